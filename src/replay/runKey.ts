// The identity of a replay run for `warden replay --store`: a SHA-256 of everything that determines its
// output files, so a checkpoint is only ever picked up by a run that would write the same bytes. Two
// runs with the same key write the same decisions.jsonl and report.json; anything that changes them
// (a bar, the config, an entry, a broker option, the Warden version, the output directory) changes it.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { toPlainJson } from '../domain/plainJson.ts';
import type { ReplayJob } from './replayRun.ts';

// 2: the bars (and the finer bars) enter as their fingerprint (per-column SHA-256, the same whether
// streamed or in memory); the gaps, a function of the bars, no longer enter on their own.
const FORMAT = 'warden-replay-run/2';

/** Hex SHA-256 run key of a replay job (see the file comment for what goes in). */
export function replayRunKey(job: ReplayJob): string {
  const h = createHash('sha256');
  const part = (name: string, value: unknown) => h.update(`${name} ${toPlainJson(value) ?? 'undefined'}\n`);
  part('format', FORMAT);
  part('version', job.version);
  part('out', job.outDir === null ? null : path.resolve(job.outDir));
  part('instrument', job.instrument);
  part('timeframe', job.timeframe);
  part('config', job.config);
  part('entriesSource', job.entriesSource);
  part('entries', job.entries);
  const { fineBars, ...broker } = job.broker;
  part('broker', broker);
  // Only when set, so the keys of runs without spread-less files stay as they were.
  if (job.spreadNote !== undefined) part('spreadNote', job.spreadNote);
  part('startingBalance', job.startingBalance);
  part('maxGapMs', job.maxGapMs ?? null);
  part('maxTradeCharts', job.maxTradeCharts ?? null);
  part('data', job.data);
  part('bars', job.bars.fingerprint());
  part('fineBars', fineBars === undefined ? null : fineBars.fingerprint());
  return h.digest('hex');
}
