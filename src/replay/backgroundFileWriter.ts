// Writes chunks of bytes to an open file on a worker thread, in order, so the replay loop does not
// wait on write(2): decisions.jsonl is ~40 MB for a 1M-bar replay, ~0.1 s of writes here. The worker
// starts on the first chunk (short replays never start one). close() blocks (Atomics.wait) until
// every chunk is written, then reports the first write error, so a caller that returns after close()
// has the whole file on disk, exactly as with synchronous writes.
import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';

// CommonJS, evaluated in the worker: write each chunk fully, count it, wake the waiting closer.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const state = new Int32Array(workerData.state);
parentPort.on('message', (m) => {
  if (Atomics.load(state, 1) === 0) {
    try {
      const bytes = new Uint8Array(m.buffer, 0, m.length);
      let off = 0;
      while (off < bytes.length) off += writeSync(workerData.fd, bytes, off, bytes.length - off);
    } catch (e) {
      Atomics.store(state, 1, 1);
      workerData.errors.postMessage({ message: String((e && e.message) || e), code: e && typeof e.code === 'string' ? e.code : undefined });
    }
  }
  Atomics.add(state, 0, 1);
  Atomics.notify(state, 0);
  // The buffer goes back for the next chunk: left here, the idle thread would hold every chunk's
  // memory until its own GC, which it seldom has reason to run.
  workerData.spent.postMessage(m.buffer, [m.buffer]);
});
`;

/** How long close() waits for the worker before it gives up (a dead worker must not hang a replay). */
const CLOSE_TIMEOUT_MS = 120_000;

export class BackgroundFileWriter {
  private worker: Worker | null = null;
  private errors: MessagePort | null = null;
  /** Buffers the thread has written and handed back, to be filled again. */
  private spent: MessagePort | null = null;
  /** [chunks written, failed (0/1)], shared with the worker. */
  private readonly state = new Int32Array(new SharedArrayBuffer(8));
  private posted = 0;

  constructor(
    private readonly fd: number,
    private readonly what: string,
  ) {}

  /** True once a chunk went to the thread (until finish). */
  get started(): boolean {
    return this.worker !== null;
  }

  /** Queues `length` bytes of `buffer`; the buffer is transferred (the caller must not touch it again). */
  write(buffer: ArrayBuffer, length: number): void {
    if (length === 0) return;
    if (this.worker === null) {
      const channel = new MessageChannel();
      const spent = new MessageChannel();
      this.errors = channel.port1;
      this.spent = spent.port1;
      this.worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { fd: this.fd, state: this.state.buffer, errors: channel.port2, spent: spent.port2 },
        transferList: [channel.port2, spent.port2],
      });
      this.worker.unref();
    }
    this.posted++;
    this.worker.postMessage({ buffer, length }, [buffer]);
  }

  /** A buffer of at least `bytes` the thread has written and handed back, or null (none back yet). */
  reuse(bytes: number): ArrayBuffer | null {
    if (this.spent === null) return null;
    for (;;) {
      const m: unknown = receiveMessageOnPort(this.spent)?.message;
      if (!(m instanceof ArrayBuffer)) return null;
      if (m.byteLength >= bytes) return m;
    }
  }

  /** Blocks until every chunk queued so far is written (the thread keeps running); throws the first write error. */
  drain(): void {
    if (this.worker === null) return;
    this.waitWritten();
    if (Atomics.load(this.state, 1) === 1) {
      const failure = this.failure();
      this.stop();
      throw failure;
    }
  }

  private waitWritten(): void {
    const deadline = Date.now() + CLOSE_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(this.state, 0);
      if (done >= this.posted) break;
      if (Date.now() > deadline)
        throw new Error(`writing ${this.what}: the writer thread did not finish within ${CLOSE_TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.state, 0, done, 1000);
    }
  }

  private stop(): void {
    void this.worker?.terminate();
    this.errors?.close();
    this.spent?.close();
    this.spent = null;
    this.worker = null;
  }

  /** Waits until every queued chunk is written; throws the first write error. Does not close the fd. */
  finish(): void {
    if (this.worker === null) return;
    this.waitWritten();
    const failure = Atomics.load(this.state, 1) === 1 ? this.failure() : null;
    void this.worker.terminate();
    this.errors?.close();
    this.spent?.close();
    this.spent = null;
    this.worker = null;
    if (failure !== null) throw failure;
  }

  /** The worker's first write error, with its code (ENOSPC: a full disk) and the file's path. */
  private failure(): FileWriteError {
    const m: unknown = this.errors ? receiveMessageOnPort(this.errors)?.message : undefined;
    const message = typeof m === 'object' && m !== null && 'message' in m ? String(m.message) : 'write failed';
    const code = typeof m === 'object' && m !== null && 'code' in m && typeof m.code === 'string' ? m.code : undefined;
    return new FileWriteError(`writing ${this.what}: ${message}`, this.what, code);
  }
}

/** A write of the writer thread failed: `code` is the system's (ENOSPC, EDQUOT, EIO...), `path` the file's. */
export class FileWriteError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'FileWriteError';
  }
}
