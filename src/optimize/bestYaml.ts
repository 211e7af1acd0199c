// best.yaml: the trader's own config document with the tuned values set, validated by the config schema,
// under a comment saying what it was tuned on (the data's dates, not the run's). Secrets the trader may
// have written in the file (the API token, notification credentials) are left out: the output folder is
// made to be shared, and none of them changes an exit.
import { stringify } from 'yaml';
import type { WardenConfig } from '../config/schema.ts';
import type { OptimizeReport } from './reportModel.ts';
import { trialConfig } from './searchSpace.ts';

const SECRETS = [
  ['service', 'token'],
  ['notify', 'discord', 'webhookUrl'],
  ['notify', 'telegram', 'botToken'],
] as const;

function dropPath(doc: Record<string, unknown>, keys: readonly string[]): boolean {
  let o: unknown = doc;
  for (const k of keys.slice(0, -1)) {
    if (typeof o !== 'object' || o === null) return false;
    o = (o as Record<string, unknown>)[k];
  }
  if (typeof o !== 'object' || o === null) return false;
  const last = keys[keys.length - 1]!;
  if (!(last in o)) return false;
  delete (o as Record<string, unknown>)[last];
  return true;
}

export function bestYaml(
  doc: Record<string, unknown>,
  config: WardenConfig,
  r: OptimizeReport,
  configName: string,
): string {
  const { doc: tuned } = trialConfig(doc, config, r.tunedOn.canonical, r.best.params);
  const dropped = SECRETS.filter((p) => dropPath(tuned, p)).map((p) => p.join('.'));
  const t = r.tunedOn;
  const head = [
    `Tuned by ${r.generatedBy} optimize from ${configName}: trial #${r.best.trial} of ${r.trialCount} (seed ${r.seed}), objective ${r.objective}.`,
    `Data: ${t.files.join(', ')}, ${t.symbol} ${t.timeframe}, ${t.bars} bars from ${t.first} to ${t.last}; ${t.entryCount} entries (${t.entries}).`,
    `Walk-forward: ${r.folds.length} fold(s) over ${r.windows.length} windows (${r.windows.map((w) => `${w.firstBar.slice(0, 10)}..${w.lastBar.slice(0, 10)}`).join(', ')}).`,
    `Chosen as ${r.best.rule}.`,
    ...(r.best.beatsBaseline
      ? []
      : [
          `WARNING: it does not beat the config it started from on the training windows (mean ${r.best.meanTraining ?? 'n/a'} against ${r.best.baselineMeanTraining ?? 'n/a'}): keep yours.`,
        ]),
    `Out of sample (mean over the folds): ${r.gap.meanOutOfSample ?? 'n/a'} against ${r.gap.meanBaselineOutOfSample ?? 'n/a'} for the config it started from; PBO ${r.pbo.pbo ?? 'n/a'}. See report.html.`,
    ...(dropped.length > 0 ? [`Left out (secrets; set them again): ${dropped.join(', ')}.`] : []),
  ];
  return `${head.map((l) => `# ${l}`).join('\n')}\n${stringify(tuned, { lineWidth: 0 })}`;
}
