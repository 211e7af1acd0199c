// `warden serve` as a child process of the soak driver: started on the store file, answered by the
// venue the driver holds, followed through its HTTP server (the server-sent `step` event of every bar
// it played), and killed with SIGKILL at the moments the soak chooses: between two steps, at a write
// request before it reaches the venue, at one the venue applied before its answer gets back, at a read
// in the middle of a step, or while it starts. Every request is counted, and a tenth (the fault rate)
// of the write requests fail in one of the ways the venue can fail, seeded.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ContractFault } from '../brokers/brokerContract.ts';
import { toWireError, type ChildMessage, type ChildStart, type ParentMessage } from './ipc.ts';
import type { AppliedWrite, SoakVenue, VenueRequest } from './soakVenues.ts';
import type { VenueAudit } from './venueAudit.ts';

export type KillKind = 'between_steps' | 'before_write' | 'after_write' | 'mid_step' | 'during_start';
export const KILL_KINDS: readonly KillKind[] = [
  'after_write',
  'before_write',
  'mid_step',
  'between_steps',
  'during_start',
];

/** A kill waiting for its moment. */
export type ArmedKill =
  | { kind: 'before_write' | 'after_write' }
  | { kind: 'mid_step'; at: number; instead?: string }
  | { kind: 'during_start'; at: number };

const CHILD = fileURLToPath(new URL('./serveChild.ts', import.meta.url));
/** A child that says nothing for this long is stuck (a harness guard, not a measure: it only ends a hung run). */
const STUCK_MS = 120_000;

export interface ServeProcessOptions {
  venue: SoakVenue;
  audit: VenueAudit;
  store: string;
  config: string;
  faultRate: number;
  random: () => number;
  /** Where the child's stderr goes (its warnings), line by line. */
  onLog?: (line: string) => void;
}

export class ServeProcess {
  child: ChildProcess | null = null;
  url = '';
  /** Kills done, by kind, and restarts. */
  readonly kills: Record<string, number> = {};
  restarts = 0;
  private started = 0;
  readonly faults: Record<string, number> = {};
  /** Writes the venue applied (from Warden), in order. */
  readonly applied: AppliedWrite[] = [];
  requests = 0;
  writes = 0;
  /** Non-poll requests since the last bar. */
  stepRequests = 0;
  step = 0;
  armed: ArmedKill | null = null;
  private startRequests = 0;
  private ready = false;
  private stepWaiters: ((r: 'stepped' | 'killed') => void)[] = [];
  private exited: Promise<void> = Promise.resolve();
  private readonly stderrTail: string[] = [];
  /** The latest write requests and their answers (printed with a failure). */
  private readonly writeTail: string[] = [];
  private sse: AbortController | null = null;
  steps = 0;

  constructor(private readonly o: ServeProcessOptions) {}

  /** Starts the child and waits until it serves (or, with a kill armed during the start, until it died). */
  async start(): Promise<'ready' | 'killed'> {
    if (this.started++ > 0) this.restarts++;
    const start: ChildStart = {
      venue: this.o.venue.kind,
      store: this.o.store,
      config: this.o.config,
      now: this.o.venue.now,
    };
    const child = fork(CHILD, [JSON.stringify(start)], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    this.ready = false;
    this.startRequests = 0;
    let buffered = '';
    const onData = (d: Buffer) => {
      buffered += d.toString('utf8');
      let at: number;
      while ((at = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        this.stderrTail.push(line);
        if (this.stderrTail.length > 40) this.stderrTail.shift();
        this.o.onLog?.(line);
      }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const outcome = new Promise<'ready' | 'killed'>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`warden serve did not start: ${this.tail()}`)), STUCK_MS);
      child.on('message', (raw: unknown) => {
        const m = raw as ChildMessage;
        if (m.t === 'ready') {
          clearTimeout(guard);
          this.url = m.url;
          this.ready = true;
          resolve('ready');
        } else if (m.t === 'fatal') {
          clearTimeout(guard);
          reject(new Error(`warden serve failed to start: ${m.message}\n${this.tail()}`));
        } else this.onRequest(child, m);
      });
      void this.exited.then(() => {
        clearTimeout(guard);
        if (!this.ready) {
          if (this.child === child && child.signalCode !== 'SIGKILL')
            reject(new Error(`warden serve exited while starting (code ${child.exitCode}): ${this.tail()}`));
          resolve('killed');
        }
        for (const w of this.stepWaiters.splice(0)) w('killed');
      });
    });
    const r = await outcome;
    if (r === 'ready') await this.follow(child);
    return r;
  }

  /** Follows the child's steps through its server-sent events; resolves once the stream is open. */
  private async follow(child: ChildProcess): Promise<void> {
    const abort = new AbortController();
    this.sse = abort;
    const res = await fetch(new URL('api/events', this.url), { signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`GET /api/events answered ${res.status}`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    // The first chunk is the stream's ': connected' comment: from then on no step is missed.
    const first = await reader.read();
    text += decoder.decode(first.value ?? new Uint8Array(), { stream: true });
    void (async () => {
      try {
        for (;;) {
          let at: number;
          while ((at = text.indexOf('\n\n')) >= 0) {
            const block = text.slice(0, at);
            text = text.slice(at + 2);
            if (/^event: step$/m.test(block) && this.child === child) {
              this.steps++;
              for (const w of this.stepWaiters.splice(0)) w('stepped');
            }
          }
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
        }
      } catch {
        // The child was killed (or stopped): its stream ends with it.
      }
    })();
  }

  /** Resolves once the child has finished more than `after` steps, or died. */
  stepAfter(after: number): Promise<'stepped' | 'killed'> {
    if (this.steps > after) return Promise.resolve('stepped');
    if (this.child === null) return Promise.resolve('killed');
    return new Promise((resolve, reject) => {
      const guard = setTimeout(
        () =>
          reject(
            new Error(
              `no step from warden serve after bar ${this.step} (requests this step: ${this.stepRequests}): ${this.tail()}`,
            ),
          ),
        STUCK_MS,
      );
      const wait = (r: 'stepped' | 'killed') => {
        if (r === 'stepped' && this.steps <= after) {
          this.stepWaiters.push(wait);
          return;
        }
        clearTimeout(guard);
        resolve(r);
      };
      this.stepWaiters.push(wait);
    });
  }

  /** A bar closed at the venue: the child's clock moves, and MetaApi streams the bar and the quote. */
  barClosed(): void {
    this.step++;
    this.stepRequests = 0;
    const now = this.o.venue.now;
    this.send({ t: 'time', now });
    const s = this.o.venue.streamAfterBar();
    if (s) this.send({ t: 'stream', now, symbol: s.symbol, candles: s.candles, price: s.price });
  }

  private send(m: ParentMessage): void {
    const c = this.child;
    if (c?.connected && c.exitCode === null && c.signalCode === null) c.send(m);
  }

  /** Kills so far, each counted as it begins (before the process is gone). */
  get killCount(): number {
    return Object.values(this.kills).reduce((a, b) => a + b, 0);
  }

  /** Resolves once the child (a killed one too) has exited. */
  async gone(): Promise<void> {
    await this.exited;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** SIGKILL, and waits until the process is gone. */
  async kill(kind: string): Promise<void> {
    const c = this.child;
    if (!c) return;
    this.kills[kind] = (this.kills[kind] ?? 0) + 1;
    this.o.audit.kills.push({ step: this.step, kind });
    this.sse?.abort();
    c.kill('SIGKILL');
    await this.exited;
    if (this.child === c) this.child = null;
  }

  /** Stops the child as Ctrl-C or SIGTERM would (the bar under way finishes and is stored). */
  async stop(): Promise<number | null> {
    const c = this.child;
    if (!c) return null;
    this.sse?.abort();
    c.kill('SIGTERM');
    await this.exited;
    if (this.child === c) this.child = null;
    return c.exitCode;
  }

  tail(): string {
    const writes = this.writeTail.length === 0 ? '' : `last write requests:\n${this.writeTail.join('\n')}\n`;
    return `${writes}${this.stderrTail.length === 0 ? '(nothing on stderr)' : `last lines on stderr:\n${this.stderrTail.join('\n')}`}`;
  }

  private noteWrite(line: string): void {
    this.writeTail.push(line);
    if (this.writeTail.length > 30) this.writeTail.shift();
  }

  private onRequest(child: ChildProcess, m: Extract<ChildMessage, { t: 'fetch' | 'gateway' }>): void {
    const venue = this.o.venue;
    const req: VenueRequest =
      m.t === 'fetch'
        ? { t: 'fetch', url: m.url, method: m.method, body: m.body }
        : { t: 'gateway', method: m.method, args: m.args };
    const write = venue.isWrite(req);
    const poll = venue.isPoll(req);
    this.requests++;
    if (!this.ready) this.startRequests++;
    else if (!poll) this.stepRequests++;
    const k = this.armed;
    const killNow = (kind: string) => {
      this.armed = null;
      void this.kill(kind);
    };
    if (k?.kind === 'during_start' && !this.ready && this.startRequests >= k.at) return killNow('during_start');
    if (k?.kind === 'mid_step' && this.ready && !poll && this.stepRequests >= k.at)
      return killNow(k.instead ? `mid_step (instead of ${k.instead}: no write came)` : 'mid_step');
    if (k?.kind === 'before_write' && write) return killNow('before_write');
    let fault: ContractFault | null = null;
    if (write) {
      this.writes++;
      if (this.o.random() < this.o.faultRate) {
        fault = venue.faultKinds[Math.floor(this.o.random() * venue.faultKinds.length)]!;
        this.faults[fault] = (this.faults[fault] ?? 0) + 1;
        venue.injectFault(fault);
      }
    }
    const before = write ? venue.snapshot() : null;
    // The fakes change their state synchronously at the call: what the request did is read at once,
    // before any other request of the child is answered.
    const answer = venue.handle(req);
    if (before) {
      const source = venue.describe(req);
      this.o.audit.observe(fault ? { ...source, request: `${source.request} (fault: ${fault})` } : source);
      this.applied.push(...venue.appliedBy(req, before, this.step));
    }
    const shown = write
      ? `step ${this.step}: ${venue.describe(req).request} [${venue.describe(req).clientId}]${fault ? ` fault ${fault}` : ''}`
      : '';
    if (k?.kind === 'after_write' && write) {
      answer.catch(() => undefined);
      this.noteWrite(`${shown} -> applied, then SIGKILL`);
      return killNow('after_write');
    }
    answer.then(
      (value) => {
        if (write) this.noteWrite(`${shown} -> ${answerText(value)}`);
        this.reply(child, { t: 'reply', id: m.id, now: venue.now, ok: true, value });
      },
      (err: unknown) => {
        if (write) this.noteWrite(`${shown} -> ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
        this.reply(child, { t: 'reply', id: m.id, now: venue.now, ok: false, error: toWireError(err) });
      },
    );
  }

  private reply(child: ChildProcess, m: ParentMessage): void {
    if (this.child !== child || !child.connected) return;
    child.send(m);
  }
}

/** An answer in a line: an HTTP status and body, or an SDK result. */
function answerText(value: unknown): string {
  if (value !== null && typeof value === 'object' && 'status' in value && 'body' in value) {
    const v = value as { status: number; body: string };
    return `${v.status} ${v.body.length > 160 ? `${v.body.slice(0, 160)}…` : v.body}`;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}
