// Runs a study's jobs on N threads. With one, everything runs here in order; with more, worker
// threads take the next job as they finish one (jobs come set by set, so a worker mostly reuses the
// bars it already read). Results are returned in job order whatever thread ran them: the study's
// output does not depend on the number of workers.
import { Worker } from 'node:worker_threads';
import { ReplayInputError } from '../replay/replayInputs.ts';
import { BarCache, runStudyJob } from './studyRun.ts';
import { jobOrder, type RunResult, type StudyJob } from './studyModel.ts';

export type FromWorker = { kind: 'result'; result: RunResult } | { kind: 'error'; input: boolean; message: string };

/** A job failed; `input` when the failure is the user's to fix (a bad or missing bar file). */
export class StudyJobError extends Error {
  constructor(
    message: string,
    readonly input: boolean,
  ) {
    super(message);
  }
}

const describeJob = (j: StudyJob) => `${j.configName} on ${j.set.name}, variant ${j.variant.index}`;

/**
 * The worker's entry: the compiled worker beside this module when it runs from dist/ (plain node), or
 * the bootstrap that registers tsx first when it runs from the TypeScript source (tests, a dev's edit).
 */
export function studyWorkerUrl(): URL {
  return import.meta.url.endsWith('.js')
    ? new URL('./studyWorker.js', import.meta.url)
    : new URL('./workerBootstrap.mjs', import.meta.url);
}

export async function runJobs(
  jobs: readonly StudyJob[],
  workers: number,
  onDone?: (done: number, total: number) => void,
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  if (workers <= 1 || jobs.length <= 1) {
    const cache = new BarCache();
    for (const job of jobs) {
      try {
        results.push(await runStudyJob(job, cache));
      } catch (err) {
        throw new StudyJobError(
          `${describeJob(job)}: ${err instanceof Error ? err.message : String(err)}`,
          err instanceof ReplayInputError,
        );
      }
      onDone?.(results.length, jobs.length);
    }
    return results.sort(jobOrder);
  }
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, () => new Worker(studyWorkerUrl()));
  const pick = affinityQueue(jobs, pool.length);
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      const give = (w: Worker, k: number) => {
        const job = pick(k);
        if (job === undefined) return;
        const onMessage = (m: FromWorker) => {
          w.off('message', onMessage);
          if (m.kind === 'error') {
            fail(new StudyJobError(`${describeJob(job)}: ${m.message}`, m.input));
            return;
          }
          results.push(m.result);
          onDone?.(results.length, jobs.length);
          if (results.length === jobs.length) resolve();
          else give(w, k);
        };
        w.on('message', onMessage);
        w.postMessage(job);
      };
      pool.forEach((w, k) => {
        w.on('error', (err) => fail(new StudyJobError(`a study worker failed: ${err.message}`, false)));
        w.on('exit', (code) => {
          if (code !== 0) fail(new StudyJobError(`a study worker exited with code ${code}`, false));
        });
        give(w, k);
      });
    });
  } finally {
    await Promise.all(pool.map((w) => w.removeAllListeners('exit').terminate()));
  }
  return results.sort(jobOrder);
}

/**
 * The next job for worker k: another of the set it is on (its bars are loaded, its code warm), else
 * the first of a set no worker is on, else of the set with the most jobs left. Which worker runs
 * what changes nothing in the results (they are sorted by job); it only saves reading a set twice.
 */
export function affinityQueue(jobs: readonly StudyJob[], workers: number): (k: number) => StudyJob | undefined {
  const bySet = new Map<number, StudyJob[]>();
  for (const j of jobs) {
    const q = bySet.get(j.setIndex);
    if (q === undefined) bySet.set(j.setIndex, [j]);
    else q.push(j);
  }
  const on = new Array<number>(workers).fill(-1);
  return (k) => {
    let q = bySet.get(on[k]!);
    if (q === undefined || q.length === 0) {
      let best = -1;
      let bestScore = -Infinity;
      for (const [set, left] of bySet) {
        if (left.length === 0) continue;
        const busy = on.some((s, i) => i !== k && s === set);
        const score = (busy ? 0 : 1e9) + left.length;
        if (score > bestScore) {
          best = set;
          bestScore = score;
        }
      }
      if (best < 0) return undefined;
      on[k] = best;
      q = bySet.get(best)!;
    }
    return q.shift();
  };
}
