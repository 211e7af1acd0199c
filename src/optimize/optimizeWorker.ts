// The worker thread's side of the book pool (started through workerBootstrap.mjs, which lets Node load
// TypeScript): the setup (shared bars, entries, the trader's config) arrives once as workerData; batches
// of jobs over one span come one at a time, and each batch's results go back with its id.
import { parentPort, workerData } from 'node:worker_threads';
import { BookRunner, type BookSetup, type FromWorker, type ToWorker } from './bookPool.ts';

const port = parentPort;
if (port === null) throw new Error('optimizeWorker.ts runs as a worker thread only');
const runner = new BookRunner(workerData as BookSetup);

port.on('message', (m: ToWorker) => {
  try {
    port.postMessage({ kind: 'result', id: m.id, trades: runner.runBatch(m.jobs) } satisfies FromWorker);
  } catch (err) {
    port.postMessage({
      kind: 'error',
      id: m.id,
      message: err instanceof Error ? err.message : String(err),
    } satisfies FromWorker);
  }
});
