// A live account for tests: the sample market, a paper account (optionally faulty), a SQLite store
// file, and an AccountSession driven bar by bar on a fake clock (the bar's close time), the trader
// opening a position every `every` bars by hand. `CrashingBroker` makes the process "die" at a chosen
// request: the step never finishes, the test drops the session and starts a new one from the store.
import type { BrokerAnswer } from '../../src/brokers/brokerAnswer.ts';
import type { OrderGateway } from '../../src/brokers/brokerPort.ts';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import type { PaperFaults } from '../../src/brokers/paperBroker.ts';
import { configSchema, type WardenConfig } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { ceilToStep, floorToStep, roundStop } from '../../src/domain/rounding.ts';
import type { Bar, Instrument, Intent, Position, Side } from '../../src/domain/types.ts';
import { AccountSession } from '../../src/execution/accountSession.ts';
import { generateSampleMarket, SAMPLE_SHAPES } from '../../src/market/sampleMarket.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';

export const BAR_MS = 60_000;
export const SYMBOL = 'XAUUSDc';

/**
 * The instant tests that need a "now" pin it to: a Wednesday morning (UTC), in the London session,
 * far from the crypto weekend window, the FX weekend close and a day's roll. A test never
 * reads the wall clock: its outcome must not depend on the day or hour it runs.
 */
export const PINNED_NOW = Date.parse('2026-03-11T10:00:00Z');

export function liveConfig(extra: Record<string, unknown> = {}): WardenConfig {
  return configSchema.parse(extra);
}

export function sampleBars(seed: number, bars: number): Bar[] {
  return generateSampleMarket({ seed, bars, ...SAMPLE_SHAPES.XAUUSD! }).bars;
}

export interface ProfitableEntry {
  i0: number;
  side: Side;
  sl: number;
  tp: number;
  /** How far the price at `last` has gone from the entry (bar i0's close) to the target, 0..1. */
  progress: number;
}

/**
 * A trader's position for tests that need the engine to act at once: opened at the close of a bar in
 * [from, to), with its stop and target beyond every price from there to bar `last`, choosing the bar
 * and side furthest toward the target at `last` (so breakeven, and often the partial, are due).
 */
export function profitableEntry(bars: readonly Bar[], from: number, to: number, last: number): ProfitableEntry {
  let best: ProfitableEntry = { i0: from, side: 'buy', sl: 0, tp: 0, progress: -1 };
  for (let i0 = from; i0 < to; i0++) {
    let hi = -Infinity;
    let lo = Infinity;
    for (let k = i0 + 1; k <= last; k++) {
      hi = Math.max(hi, bars[k]!.high);
      lo = Math.min(lo, bars[k]!.low);
    }
    const e = bars[i0]!.close;
    const c = bars[last]!.close;
    const upTp = Math.ceil(hi + 2);
    const downTp = Math.floor(lo - 2);
    const up: ProfitableEntry = { i0, side: 'buy', sl: Math.floor(lo - 2), tp: upTp, progress: (c - e) / (upTp - e) };
    const down: ProfitableEntry = {
      i0,
      side: 'sell',
      sl: Math.ceil(hi + 3),
      tp: downTp,
      progress: (e - c) / (e - downTp),
    };
    for (const cand of [up, down]) if (cand.progress > best.progress) best = cand;
  }
  return best;
}

/** What happens at the request that crashes: it never leaves, or the broker applies it and the answer is lost. */
export type CrashMode = 'before_send' | 'after_apply';

export class CrashingBroker implements OrderGateway {
  readonly name = 'paper';
  sends = 0;
  crashed = false;
  readonly crash: Promise<void>;
  private signal!: () => void;
  /** Every request that reached the account, in order. */
  readonly sent: string[] = [];

  constructor(
    readonly inner: PaperAccount,
    private readonly crashAt: number,
    private readonly mode: CrashMode,
  ) {
    this.crash = new Promise((resolve) => (this.signal = resolve));
  }

  positions(): Promise<Position[]> {
    if (this.crashed) return new Promise(() => {});
    return this.inner.positions();
  }

  send(intent: Intent): Promise<BrokerAnswer> {
    if (this.crashed) return new Promise(() => {});
    this.sends++;
    if (this.sends === this.crashAt) {
      this.crashed = true;
      if (this.mode === 'after_apply') {
        this.sent.push(intent.id);
        void this.inner.send(intent);
      }
      this.signal();
      return new Promise(() => {});
    }
    this.sent.push(intent.id);
    return this.inner.send(intent);
  }
}

export interface LiveRunOptions {
  seed: number;
  bars: number;
  /** A hand-opened position every this many bars after the warm-up. */
  every: number;
  warmup: number;
  storeFile: string;
  faults?: PaperFaults;
  config?: WardenConfig;
  /** Crash at these global request numbers (1-based, counted over the whole run), with these modes. */
  crashes?: { at: number; mode: CrashMode }[];
}

export interface LiveRunResult {
  account: PaperAccount;
  session: AccountSession;
  store: WardenStore;
  instrument: Instrument;
  restarts: number;
  opened: number;
  /** Every request id that reached the broker (across restarts). */
  sent: string[];
  /** Requests the session made, the ones lost in a crash included. */
  sends: number;
  waits: number[];
}

/** Runs the whole market through a session, crashing and restarting at the requested sends. */
export async function runLive(o: LiveRunOptions): Promise<LiveRunResult> {
  const config = o.config ?? liveConfig();
  const instrument = instrumentFromConfig(config, SYMBOL, true);
  const bars = sampleBars(o.seed, o.bars);
  const account = new PaperAccount([instrument], {
    accountMode: 'hedging',
    timeframeMs: BAR_MS,
    ...(o.faults ? { faults: o.faults } : {}),
  });
  const crashes = [...(o.crashes ?? [])].sort((a, b) => a.at - b.at);
  let now = bars[0]!.time;
  const clock = (): number => now;
  const waits: number[] = [];
  const sent: string[] = [];
  let sendsBefore = 0;
  let restarts = 0;
  let opened = 0;

  const boot = async (
    upTo: number,
  ): Promise<{ session: AccountSession; store: WardenStore; broker: CrashingBroker }> => {
    const store = openSqliteStore(o.storeFile, { now });
    const next = crashes.find((c) => c.at > sendsBefore);
    const broker = new CrashingBroker(account, next ? next.at - sendsBefore : -1, next?.mode ?? 'before_send');
    const session = new AccountSession({
      config,
      baseTimeframe: 'M1',
      instruments: [instrument],
      broker,
      store,
      clock,
      sleep: async (ms) => void waits.push(ms),
    });
    await session.start(new Map([[SYMBOL, bars.slice(0, upTo)]]));
    return { session, store, broker };
  };

  let cur = await boot(0);
  for (let i = 0; i < bars.length; i++) {
    const bar = bars[i]!;
    now = bar.time + BAR_MS;
    account.onBar(SYMBOL, bar, now);
    const step = cur.session.onBar(SYMBOL, bar);
    const crashed = await Promise.race([step.then(() => false), cur.broker.crash.then(() => true)]);
    if (crashed) {
      // The process died in this step: what it wrote is what the store has; start again from there.
      sendsBefore += cur.broker.sends;
      sent.push(...cur.broker.sent);
      cur.store.close();
      restarts++;
      cur = await boot(i + 1);
    }
    if (i >= o.warmup && (i - o.warmup) % o.every === 0 && i < bars.length - o.every) {
      const f = cur.session.engine.features(SYMBOL);
      const broker = account.broker(SYMBOL);
      const q = broker.quote();
      const side = opened % 2 === 0 ? 'buy' : 'sell';
      const entry = side === 'buy' ? q.ask : q.bid;
      const atr = f.atr > 0 ? f.atr : entry * 0.002;
      const s = side === 'buy' ? 1 : -1;
      const sl = roundStop(side, entry - s * 1.5 * atr, instrument.tickSize);
      const tp =
        side === 'buy'
          ? floorToStep(entry + 3 * atr, instrument.tickSize)
          : ceilToStep(entry - 3 * atr, instrument.tickSize);
      const a = broker.open({
        requestId: `hand:${opened}`,
        side,
        volume: 0.3,
        sl,
        tp,
        comment: opened % 3 === 0 ? 'scalp' : '',
        exempt: true,
      });
      if (a.outcome === 'applied') opened++;
    }
  }
  sendsBefore += cur.broker.sends;
  sent.push(...cur.broker.sent);
  return {
    account,
    session: cur.session,
    store: cur.store,
    instrument,
    restarts,
    opened,
    sent,
    sends: sendsBefore,
    waits,
  };
}
