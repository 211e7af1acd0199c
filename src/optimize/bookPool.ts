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
import { replayBooks, type BookMarket } from './evaluate.ts';
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
    this.market = {
      instrument: setup.instrument,
      series,
      timeframe: setup.timeframe,
      broker: setup.broker,
      startingBalance: setup.startingBalance,
      maxGapMs: setup.maxGapMs,
    };
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

  /** Jobs over one span (see spanBatches), played together over one market: the trades of each, in order. */
  runBatch(jobs: readonly BookJob[]): StudyTrade[][] {
    const j = jobs[0];
    if (j === undefined) return [];
    return replayBooks(
      jobs.map((b) => this.configOf(b.params)),
      this.market,
      j.from,
      j.to,
      this.setup.entries.slice(j.entryFirst, j.entryEnd),
    );
  }
}

/**
 * Books at most played together over one market: each holds its engine and broker, and the pass's
 * gain (the market folded once) is had long before this many.
 */
export const MAX_BOOKS_PER_PASS = 24;

/**
 * The jobs grouped by span (the same bars and entries), each group cut into batches that keep every
 * thread busy: a group of K jobs on W threads in batches of ceil(K / W) (at most MAX_BOOKS_PER_PASS).
 * Batches hold job indexes; their order follows the jobs'.
 */
export function spanBatches(jobs: readonly BookJob[], workers: number): number[][] {
  const groups = new Map<string, number[]>();
  jobs.forEach((j, i) => {
    const key = `${j.from}:${j.to}:${j.entryFirst}:${j.entryEnd}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(i);
  });
  const out: number[][] = [];
  for (const g of groups.values()) {
    const size = Math.max(1, Math.min(MAX_BOOKS_PER_PASS, Math.ceil(g.length / Math.max(1, workers))));
    for (let k = 0; k < g.length; k += size) out.push(g.slice(k, k + size));
  }
  return out;
}

export type ToWorker = { kind: 'batch'; id: number; jobs: BookJob[] };
export type FromWorker =
  | { kind: 'result'; id: number; trades: StudyTrade[][] }
  | { kind: 'error'; id: number; message: string };

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
      run(jobs, onDone) {
        const out = new Array<StudyTrade[]>(jobs.length);
        for (const batch of spanBatches(jobs, 1)) {
          const got = runner.runBatch(batch.map((i) => jobs[i]!));
          batch.forEach((i, k) => (out[i] = got[k]!));
          onDone?.(batch.reduce((a, i) => a + jobs[i]!.to - jobs[i]!.from, 0));
        }
        return Promise.resolve(out);
      },
      close: () => Promise.resolve(),
    };
  }
  // The compiled worker beside this module when it runs from dist/ (plain node); from the TypeScript
  // source, the bootstrap that registers tsx first.
  const entry = import.meta.url.endsWith('.js')
    ? new URL('./optimizeWorker.js', import.meta.url)
    : new URL('./workerBootstrap.mjs', import.meta.url);
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
      const batches = spanBatches(jobs, pool.length);
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
          if (failed || next >= batches.length) return;
          const id = next++;
          w.postMessage({ kind: 'batch', id, jobs: batches[id]!.map((i) => jobs[i]!) } satisfies ToWorker);
        };
        for (const w of pool) {
          const onMessage = (m: FromWorker) => {
            if (m.kind === 'error') {
              fail(new Error(m.message));
              return;
            }
            const batch = batches[m.id]!;
            batch.forEach((i, k) => (out[i] = m.trades[k]!));
            done++;
            onDone?.(batch.reduce((a, i) => a + jobs[i]!.to - jobs[i]!.from, 0));
            if (done === batches.length) {
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
