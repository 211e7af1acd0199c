// The worker thread's side of the pool (started through workerBootstrap.mjs, which lets Node load
// TypeScript): runs the jobs it is sent one at a time and posts each result back. Bars stay cached
// in the worker between jobs of the same set.
import { parentPort } from 'node:worker_threads';
import { ReplayInputError } from '../replay/replayInputs.ts';
import { BarCache, runStudyJob } from './studyRun.ts';
import type { StudyJob } from './studyModel.ts';
import type { FromWorker } from './pool.ts';

const port = parentPort;
if (port === null) throw new Error('studyWorker.ts runs as a worker thread only');
const cache = new BarCache();

port.on('message', (job: StudyJob) => {
  runStudyJob(job, cache).then(
    (result) => {
      const t = result.trades;
      // The columns' buffers move to the main thread instead of being copied.
      const buffers = [
        t.entryTime,
        t.side,
        t.entryPrice,
        t.initialSl,
        t.exitTime,
        t.exitReason,
        t.r,
        t.mfeR,
        t.maeR,
        t.flags,
        t.warningTime,
        t.warningR,
      ].map((a) => a.buffer as ArrayBuffer);
      port.postMessage({ kind: 'result', result } satisfies FromWorker, buffers);
    },
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      port.postMessage({ kind: 'error', input: err instanceof ReplayInputError, message } satisfies FromWorker);
    },
  );
});
