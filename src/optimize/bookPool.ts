// Runs books (a trial's config over a span of bars) here or on worker threads. The bars live once in
// shared memory: every worker reads the same columns, none copies them. Results come back in the order
// the jobs were given, whatever thread ran them and whenever it finished: the report does not depend
// on --workers.
import { Worker } from 'node:worker_threads';
import type { PaperBrokerOptions } from '../brokers/paperBroker.ts';
import { parseConfig, formatConfigErrors } from '../config/load.ts';
import type { WardenConfig } from '../config/schema.ts';
import type { Instrument, Timeframe } from '../domain/types.ts';
import { BarSeries } from '../market/barSeries.ts';
import type { ReplayEntry } from '../replay/entries.ts';
import type { StudyTrade } from '../study/stats.ts';
import { replayBook, type BookMarket } from './evaluate.ts';
import { trialConfig, type TrialParams } from './searchSpace.ts';

/** A trial's config (null: the trader's own) over bars [from, to), with entries [entryFirst, entryEnd). */
export interface BookJob {
  params: TrialParams | null;
  from: number;
  to: number;
  entryFirst: number;
  entryEnd: number;
}

/** Everything a thread needs to run books: sent once to each worker. */
export interface BookSetup {
  columns: Record<(typeof COLUMNS)[number], Float64Array>;
  length: number;
  instrument: Instrument;
  timeframe: Timeframe;
  broker: Omit<PaperBrokerOptions, 'timeframeMs'>;
  startingBalance: number;
  maxGapMs: number;
  /** The trader's config document ({} for the defaults). */
  doc: Record<string, unknown>;
  canonical: string;
  entries: ReplayEntry[];
}

const COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume', 'spread'] as const;

/** The series' columns copied once into shared memory (what the workers read). */
export function sharedColumns(s: BarSeries): BookSetup['columns'] {
  const out = {} as BookSetup['columns'];
  for (const c of COLUMNS) {
    const a = new Float64Array(new SharedArrayBuffer(s.length * Float64Array.BYTES_PER_ELEMENT));
    a.set(s[c].subarray(0, s.length));
    out[c] = a;
  }
  return out;
}

/** Runs the jobs of one thread: the configs validated once per trial, the bars from the shared columns. */
export class BookRunner {
  private readonly market: BookMarket;
  private readonly base: WardenConfig;
  private readonly configs = new Map<string, WardenConfig>();

  constructor(private readonly setup: BookSetup) {
    const series = new BarSeries(16);
    for (const c of COLUMNS) series[c] = setup.columns[c];
    series.length = setup.length;
    this.market = { instrument: setup.instrument, series, timeframe: setup.timeframe, broker: setup.broker, startingBalance: setup.startingBalance, maxGapMs: setup.maxGapMs };
    const r = parseConfig(setup.doc, 'the config');
    if (!r.ok) throw new Error(formatConfigErrors(r.errors));
    this.base = r.config;
  }

  private configOf(params: TrialParams | null): WardenConfig {
    if (params === null) return this.base;
    const key = JSON.stringify(params);
    let c = this.configs.get(key);
    if (c === undefined) {
      c = trialConfig(this.setup.doc, this.base, this.setup.canonical, params).config;
      this.configs.set(key, c);
    }
    return c;
  }

  run(job: BookJob): Promise<StudyTrade[]> {
    return replayBook(this.configOf(job.params), this.market, job.from, job.to, this.setup.entries.slice(job.entryFirst, job.entryEnd));
  }
}

export type ToWorker = { kind: 'job'; id: number; job: BookJob };
export type FromWorker = { kind: 'result'; id: number; trades: StudyTrade[] } | { kind: 'error'; id: number; message: string };

export interface BookPool {
  /** Runs the jobs; `onDone(bars)` after each with the bars it replayed. Results in job order. */
  run(jobs: readonly BookJob[], onDone?: (bars: number) => void): Promise<StudyTrade[][]>;
  close(): Promise<void>;
}

/** `workers` <= 1: every book on this thread, in order; more: worker threads taking the next job as they finish one. */
export function openBookPool(setup: BookSetup, workers: number): BookPool {
  if (workers <= 1) {
    const runner = new BookRunner(setup);
    return {
      async run(jobs, onDone) {
        const out: StudyTrade[][] = [];
        for (const j of jobs) {
          out.push(await runner.run(j));
          onDone?.(j.to - j.from);
        }
        return out;
      },
      close: () => Promise.resolve(),
    };
  }
  // The compiled worker beside this module when it runs from dist/ (plain node); from the TypeScript
  // source, the bootstrap that registers tsx first.
  const entry = import.meta.url.endsWith('.js') ? new URL('./optimizeWorker.js', import.meta.url) : new URL('./workerBootstrap.mjs', import.meta.url);
  const pool = Array.from({ length: workers }, () => new Worker(entry, { workerData: setup }));
  let broken: Error | null = null;
  for (const w of pool) {
    w.on('error', (err) => {
      broken ??= new Error(`an optimize worker failed: ${err.message}`);
    });
  }
  return {
    run(jobs, onDone) {
      const out = new Array<StudyTrade[]>(jobs.length);
      if (jobs.length === 0) return Promise.resolve(out);
      return new Promise((resolve, reject) => {
        let next = 0;
        let done = 0;
        let failed = false;
        const listeners: [Worker, (m: FromWorker) => void, (e: Error) => void][] = [];
        const cleanup = () => {
          for (const [w, l, e] of listeners) {
            w.off('message', l);
            w.off('error', e);
          }
        };
        const fail = (err: Error) => {
          if (failed) return;
          failed = true;
          cleanup();
          reject(err);
        };
        const give = (w: Worker) => {
          if (failed || next >= jobs.length) return;
          const id = next++;
          w.postMessage({ kind: 'job', id, job: jobs[id]! } satisfies ToWorker);
        };
        for (const w of pool) {
          const onMessage = (m: FromWorker) => {
            if (m.kind === 'error') {
              fail(new Error(m.message));
              return;
            }
            out[m.id] = m.trades;
            done++;
            onDone?.(jobs[m.id]!.to - jobs[m.id]!.from);
            if (done === jobs.length) {
              cleanup();
              resolve(out);
            } else give(w);
          };
          const onError = (e: Error) => fail(new Error(`an optimize worker failed: ${e.message}`));
          w.on('message', onMessage);
          w.on('error', onError);
          listeners.push([w, onMessage, onError]);
          if (broken) {
            fail(broken);
            return;
          }
          give(w);
        }
      });
    },
    async close() {
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
