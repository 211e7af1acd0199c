// The notifier between the engine and the channels: `notify` only enqueues (never waits, never throws),
// and one background worker per channel sends, so a dead Telegram never holds up Discord and neither
// ever holds up an exit decision. Each channel has its own bounded queue (the oldest event is dropped
// when it is full, and counted), and each send is retried with exponential backoff unless the service
// asked for a wait of its own (429) or the failure cannot pass (bad token, deleted webhook).
import type { Logger } from 'pino';
import { ChannelError, type NotificationChannel } from './channels.ts';
import type { Severity } from '../config/notifySchema.ts';
import { atLeast, type NotificationEvent } from './notificationEvent.ts';

export const DEFAULT_QUEUE_SIZE = 1000;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_RETRY_BASE_MS = 1000;
export const DEFAULT_RETRY_MAX_MS = 60_000;
/** Longest wait a 429 may impose on one retry: a service asking for an hour is treated as down. */
export const MAX_RETRY_AFTER_MS = 600_000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;

/** Waits `ms`; resolves early (or rejects) when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** The default sleep: a timer that does not keep the process alive, cancelled by the notifier's close. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });

export interface NotifierOptions {
  channels: readonly NotificationChannel[];
  log: Logger;
  /** Events below this severity are not sent (counted as `filtered`). Default 'info'. */
  minSeverity?: Severity;
  /** Events waiting per channel; when full the oldest is dropped. Default 1000. */
  queueSize?: number;
  /** Sends of one event per channel at most. Default 5. */
  maxAttempts?: number;
  /** Wait before the first retry, ms; doubles at each further one. Default 1000. */
  retryBaseMs?: number;
  /** Longest backoff wait, ms (a 429's retry_after is used as given, up to MAX_RETRY_AFTER_MS). Default 60000. */
  retryMaxMs?: number;
  /** Injected for tests: waits between retries. */
  sleep?: Sleep;
  /** Injected for tests: the clock of the stats' timestamps. */
  now?: () => number;
}

export interface ChannelStats {
  /** Events delivered. */
  sent: number;
  /** Events given up after their last attempt, or refused for good (bad token, deleted webhook). */
  failed: number;
  /** Events dropped unsent: the queue was full (oldest first), or the notifier closed before them. */
  dropped: number;
  /** Events waiting (not counting the one being sent). */
  queued: number;
  /** 1 while an event is being sent or waiting for its next try. */
  inFlight: number;
  /** Failed tries that were tried again. */
  retries: number;
  /** The last failure's message (no secrets) and when it happened (epoch ms); null before the first. */
  lastError: string | null;
  lastErrorAt: number | null;
}

export interface NotifierStats {
  /** Events handed to `notify` at or above the minimum severity. */
  accepted: number;
  /** Events below the minimum severity. */
  filtered: number;
  channels: Record<string, ChannelStats>;
}

interface Lane {
  channel: NotificationChannel;
  queue: NotificationEvent[];
  /** The worker's promise while it runs. */
  worker: Promise<void> | null;
  stats: ChannelStats;
  /** A full-queue warning was logged since the last delivery (one line per overflow, not one per drop). */
  overflowLogged: boolean;
}

function errorMessage(err: unknown): string {
  // A ChannelError's message is scrubbed; for others only the message is taken (a cause may hold a URL).
  if (err instanceof Error) return err.message;
  return String(err);
}

export class Notifier {
  private readonly lanes: Lane[];
  private readonly log: Logger;
  private readonly minSeverity: Severity;
  private readonly queueSize: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  /** Aborted when closing runs out of time: cancels sends in flight and backoff waits. */
  private readonly stop = new AbortController();
  private closing = false;
  private accepted = 0;
  private filtered = 0;

  constructor(options: NotifierOptions) {
    this.log = options.log.child({ component: 'notify' });
    this.minSeverity = options.minSeverity ?? 'info';
    this.queueSize = Math.max(1, Math.floor(options.queueSize ?? DEFAULT_QUEUE_SIZE));
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
    this.retryBaseMs = Math.max(0, options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS);
    this.retryMaxMs = Math.max(this.retryBaseMs, options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS);
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
    this.lanes = options.channels.map((channel) => ({
      channel,
      queue: [],
      worker: null,
      stats: { sent: 0, failed: 0, dropped: 0, queued: 0, inFlight: 0, retries: 0, lastError: null, lastErrorAt: null },
      overflowLogged: false,
    }));
  }

  /** Names of the channels events go to. */
  get channelNames(): string[] {
    return this.lanes.map((l) => l.channel.name);
  }

  /** Queues an event for every channel and returns at once. Never throws. */
  notify(event: NotificationEvent): void {
    try {
      if (!atLeast(event.severity, this.minSeverity)) {
        this.filtered++;
        return;
      }
      this.accepted++;
      for (const lane of this.lanes) {
        if (this.closing) {
          lane.stats.dropped++;
          continue;
        }
        if (lane.queue.length >= this.queueSize) {
          lane.queue.shift();
          lane.stats.dropped++;
          if (!lane.overflowLogged) {
            lane.overflowLogged = true;
            this.log.warn(
              { channel: lane.channel.name, queueSize: this.queueSize },
              'notification queue full: dropping the oldest notifications',
            );
          }
        }
        lane.queue.push(event);
        if (lane.worker === null) lane.worker = this.work(lane);
      }
    } catch (err) {
      // Notifications are a side line: a bug here must not reach the engine.
      try {
        this.log.error({ error: errorMessage(err) }, 'notify failed');
      } catch {
        // The logger itself failed: nothing more to do.
      }
    }
  }

  /** Per channel: sent, failed, dropped, queued... */
  stats(): NotifierStats {
    const channels: Record<string, ChannelStats> = {};
    for (const lane of this.lanes) channels[lane.channel.name] = { ...lane.stats, queued: lane.queue.length };
    return { accepted: this.accepted, filtered: this.filtered, channels };
  }

  /** Resolves when every queue is empty and nothing is in flight (or being retried). */
  async idle(): Promise<void> {
    for (;;) {
      const running = this.lanes.map((l) => l.worker).filter((w): w is Promise<void> => w !== null);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  /**
   * Stops taking events and sends what it can within `timeoutMs`; then cancels the sends in flight and
   * drops what is left (counted, and logged). Resolves with the final stats.
   */
  async close(timeoutMs: number = DEFAULT_CLOSE_TIMEOUT_MS): Promise<NotifierStats> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs));
    });
    const drained = await Promise.race([this.idle().then(() => 'drained' as const), deadline]);
    clearTimeout(timer);
    if (drained === 'timeout') {
      this.stop.abort();
      let left = 0;
      for (const lane of this.lanes) {
        left += lane.queue.length;
        lane.stats.dropped += lane.queue.length;
        lane.queue.length = 0;
      }
      // The sends in flight end at once on the abort; a channel that ignores it is not waited for long.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([this.idle(), new Promise<void>((resolve) => (grace = setTimeout(resolve, 1000)))]);
      clearTimeout(grace);
      this.log.warn({ timeoutMs, dropped: left }, 'notifier closed before every notification was sent');
    }
    return this.stats();
  }

  private async work(lane: Lane): Promise<void> {
    // Not one byte is sent inside notify(): the worker starts after the caller's synchronous code.
    await Promise.resolve();
    try {
      for (;;) {
        const event = lane.queue.shift();
        if (event === undefined) break;
        lane.stats.inFlight = 1;
        await this.deliver(lane, event);
        lane.stats.inFlight = 0;
      }
    } finally {
      lane.stats.inFlight = 0;
      lane.worker = null;
    }
  }

  /** Sends one event to one channel, with retries. Never throws. */
  private async deliver(lane: Lane, event: NotificationEvent): Promise<void> {
    const name = lane.channel.name;
    for (let attempt = 1; ; attempt++) {
      if (this.stop.signal.aborted) {
        lane.stats.dropped++;
        return;
      }
      try {
        await lane.channel.send(event, this.stop.signal);
        lane.stats.sent++;
        lane.overflowLogged = false;
        if (attempt > 1)
          this.log.info({ channel: name, attempt, title: event.title }, 'notification delivered after retrying');
        return;
      } catch (err) {
        const message = errorMessage(err);
        lane.stats.lastError = message;
        lane.stats.lastErrorAt = this.now();
        if (this.stop.signal.aborted) {
          lane.stats.dropped++;
          return;
        }
        const retryable = err instanceof ChannelError ? err.retryable : true;
        const status = err instanceof ChannelError ? err.status : null;
        if (!retryable || attempt >= this.maxAttempts) {
          lane.stats.failed++;
          this.log.error(
            {
              channel: name,
              attempt,
              status,
              error: message,
              kind: event.kind,
              positionId: event.positionId,
              title: event.title,
            },
            retryable
              ? `notification not delivered after ${attempt} attempts: given up`
              : 'notification refused: not retried',
          );
          return;
        }
        const wait = this.backoff(err, attempt);
        lane.stats.retries++;
        this.log.warn(
          { channel: name, attempt, status, waitMs: wait, error: message, title: event.title },
          'notification not delivered: retrying',
        );
        try {
          await this.sleep(wait, this.stop.signal);
        } catch {
          // An injected sleep that rejects (aborted) just ends the wait.
        }
      }
    }
  }

  /** The wait before try `attempt + 1`: the service's own (429) when it gave one, else base x 2^(attempt-1). */
  private backoff(err: unknown, attempt: number): number {
    if (err instanceof ChannelError && err.retryAfterMs !== null)
      return Math.min(Math.max(0, err.retryAfterMs), MAX_RETRY_AFTER_MS);
    return Math.min(this.retryBaseMs * 2 ** (attempt - 1), this.retryMaxMs);
  }
}
