// A live session on the paper account records each position the venue closes as a closed trade: the
// trader's position is managed until Warden's partial is taken, then a bar drops through its stop. The
// record has the venue's deals (the partial, Warden's, and the stop's fill), the volume-weighted exit
// price, exit `sl`, the realized profit with the partial in it, R against the initial stop, and says
// where each figure came from. The step never waits for the venue's history (a history that does not
// answer leaves the step done and the record to come); one that fails is asked again, and the outcome
// is in the record; without a history Warden stores what its own requests did and an `unknown` exit.
// While open, the position's view counts the partial as realized. Every clock is the bars' time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BrokerPort, ClosedPositionFacts, ClosedPositionQuery } from '../../src/brokers/brokerPort.ts';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Bar, Instrument } from '../../src/domain/types.ts';
import { AccountSession } from '../../src/execution/accountSession.ts';
import { ClosedTradeRecorder } from '../../src/execution/closedTrades.ts';
import type { EndedLifetime } from '../../src/execution/positionLifetimes.ts';
import { positionView } from '../../src/service/views.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { BAR_MS, liveConfig, profitableEntry, sampleBars, SYMBOL } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-closed-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

type History = Pick<BrokerPort, 'name' | 'closedPosition'>;

/** The paper account, a store and a session stepped bar by bar; the recorder fed by the session's hook. */
class Rig {
  readonly config = liveConfig();
  readonly instrument: Instrument = instrumentFromConfig(this.config, SYMBOL, true);
  readonly account = new PaperAccount([this.instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
  readonly store: WardenStore;
  readonly session: AccountSession;
  readonly recorder: ClosedTradeRecorder;
  readonly ended: EndedLifetime[] = [];
  readonly waits: number[] = [];
  now = 0;

  constructor(
    readonly bars: Bar[],
    history: (account: PaperAccount) => History,
  ) {
    this.store = openSqliteStore(join(dir, `s${++n}.db`), { now: bars[0]!.time });
    const clock = () => this.now;
    this.recorder = new ClosedTradeRecorder({
      store: this.store,
      venue: history(this.account),
      instruments: [this.instrument],
      clock,
      sleep: async (ms) => void this.waits.push(ms),
    });
    this.session = new AccountSession({
      config: this.config,
      baseTimeframe: 'M1',
      instruments: [this.instrument],
      broker: this.account,
      store: this.store,
      clock,
      sleep: async () => {},
      onLifetimeEnded: (e) => {
        this.ended.push(e);
        this.recorder.ended(e);
      },
    });
  }

  /** The trader opens a position at a bar before `upTo` that runs toward its target by `last`; the session starts at `upTo`. */
  async openAndStart(from: number, upTo: number, last: number): Promise<string> {
    for (let i = 0; i < upTo; i++) this.account.onBar(SYMBOL, this.bars[i]!, this.bars[i]!.time + BAR_MS);
    const e = profitableEntry(this.bars, from, upTo, last);
    const a = this.account
      .broker(SYMBOL)
      .open({ requestId: `hand:${from}`, side: e.side, volume: 1, sl: e.sl, tp: e.tp, comment: '', exempt: true });
    if (a.outcome !== 'applied') throw new Error('the paper account refused the test position');
    this.now = this.bars[upTo - 1]!.time + BAR_MS;
    await this.session.start(new Map([[SYMBOL, this.bars.slice(0, upTo)]]));
    return a.positionId;
  }

  async step(bar: Bar): Promise<void> {
    this.now = bar.time + BAR_MS;
    this.account.onBar(SYMBOL, bar, this.now);
    await this.session.onBar(SYMBOL, bar);
  }

  /** A bar after the last one that goes far through the position's stop (a buy's down, a sell's up). */
  stopBar(after: Bar, side: 'buy' | 'sell', sl: number): Bar {
    const far = side === 'buy' ? sl - 20 : sl + 20;
    return {
      time: after.time + BAR_MS,
      open: after.close,
      high: Math.max(after.close, far),
      low: Math.min(after.close, far),
      close: far,
      volume: 1,
      spread: after.spread,
    };
  }

  async stop(): Promise<void> {
    await this.recorder.close();
    await this.session.close();
    this.store.close();
  }
}

/** Runs the trader's position to Warden's partial, then through its stop: the rig and the ticket. */
async function partialThenStop(
  history: (account: PaperAccount) => History,
  before?: (rig: Rig, key: string) => Promise<void>,
) {
  const bars = sampleBars(5, 1400);
  const rig = new Rig(bars, history);
  const ticket = await rig.openAndStart(1180, 1200, 1240);
  const key = rig.session.managedKey(ticket)!;
  let i = 1200;
  for (; i < 1240 && rig.session.engine.plan(key)!.partialState !== 1; i++) await rig.step(bars[i]!);
  expect(rig.session.engine.plan(key)!.partialState).toBe(1);
  await before?.(rig, key);
  const position = rig.session.engine.position(key)!;
  await rig.step(rig.stopBar(bars[i - 1]!, position.side, position.sl!));
  return { rig, ticket, key, position };
}

const paperHistory = (a: PaperAccount): History => a;
/** Profits in a record are kept to 8 decimals (the float noise of a sum dropped). */
const r8 = (x: number): number => Number(x.toFixed(8));

describe('a position closed by its stop after Warden took its partial', () => {
  it('is recorded from the venue: exit sl at the volume-weighted price, realized with the partial in it, R, and where each figure came from', async () => {
    let realizedWhileOpen: number | null = null;
    const { rig, ticket, key, position } = await partialThenStop(paperHistory, async (r, k) => {
      realizedWhileOpen = positionView(r.session, k)!.realizedProfit;
    });
    expect(rig.session.managedKey(ticket)).toBeUndefined();
    expect(rig.ended.map((e) => e.lifetime.key)).toEqual([key]);
    await rig.recorder.idle();
    const t = rig.store.closedTrade(key)!;
    const deals = rig.account.broker(SYMBOL).deals.filter((d) => d.positionId === ticket);
    const [open, partial, stop] = deals;
    expect(deals.map((d) => d.reason)).toEqual(['open', 'partial', 'sl']);
    const plan = rig.ended[0]!.plan;
    const contract = rig.instrument.contractSize;

    expect(t).toMatchObject({
      key,
      ticket,
      symbol: SYMBOL,
      side: position.side,
      exitReason: 'sl',
      entryPrice: open!.price,
      openTime: open!.time,
      closeTime: stop!.time,
    });
    expect(t.volume).toEqual({ opened: 1, closed: 1, closedByWarden: partial!.volume });
    expect(t.exitPrice).toBeCloseTo((partial!.price * partial!.volume + stop!.price * stop!.volume) / 1, 8);
    expect(t.realizedProfit).toBeCloseTo(partial!.profit + stop!.profit, 6);
    expect(t.partialsProfit).toBeCloseTo(partial!.profit, 6);
    expect(t.partialsProfit!).toBeGreaterThan(0);
    expect(t.hedgesProfit).toBe(0);
    expect(t.fees).toBe(0);
    expect(t.initialSl).toBe(plan.initialSl);
    expect(t.riskMoney).toBeCloseTo(plan.risk * 1 * contract, 6);
    expect(t.r).toBeCloseTo(t.realizedProfit! / t.riskMoney!, 8);
    expect(t.deals).toEqual([
      {
        time: partial!.time,
        volume: partial!.volume,
        price: partial!.price,
        profit: r8(partial!.profit),
        by: 'warden',
        intentId: `${key}:partial:1`,
        partial: true,
        from: 'venue',
      },
      {
        time: stop!.time,
        volume: stop!.volume,
        price: stop!.price,
        profit: r8(stop!.profit),
        by: 'sl',
        intentId: '',
        partial: false,
        from: 'venue',
      },
    ]);
    expect(t.sources).toEqual({
      entry: 'venue',
      exit: 'venue',
      realized: 'venue',
      openTime: 'venue',
      closeTime: 'venue',
      initialSl: 'plan',
    });
    expect(t.history).toEqual({ venue: 'paper', status: 'answered', attempts: 1, error: '' });
    expect(t.recordedAt).toBe(rig.now);

    // While open, the partial was already counted as realized (from the fill the venue answered with).
    expect(realizedWhileOpen).toBeCloseTo(partial!.profit, 6);
    // Warden's fill of its partial is the venue's deal price.
    expect(rig.store.fillsOf(key)).toEqual([
      { intentId: `${key}:partial:1`, price: partial!.price, at: expect.any(Number) },
    ]);
    await rig.stop();
  });

  it('the step does not wait for the venue history: the record comes once it answers', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    const slow = (a: PaperAccount): History => ({
      name: 'paper',
      closedPosition: async (q: ClosedPositionQuery): Promise<ClosedPositionFacts | null> => {
        asked++;
        await held;
        return a.closedPosition(q);
      },
    });
    const { rig, key } = await partialThenStop(slow);
    // The stop's step has returned; the history is still being asked.
    await new Promise((r) => setImmediate(r));
    expect(asked).toBe(1);
    expect(rig.store.closedTrade(key)).toBeNull();
    // The next bar steps while the history is still out.
    await rig.step({ ...rig.bars[1300]!, time: rig.now + BAR_MS });
    expect(rig.store.closedTrade(key)).toBeNull();
    release();
    await rig.recorder.idle();
    expect(rig.store.closedTrade(key)).toMatchObject({
      exitReason: 'sl',
      history: { status: 'answered', attempts: 1 },
    });
    await rig.stop();
  });

  it('a history that fails is asked again after a wait, and the record says how it went', async () => {
    let failures = 2;
    const flaky = (a: PaperAccount): History => ({
      name: 'paper',
      closedPosition: async (q) => {
        if (failures-- > 0) throw new Error('history unavailable (test)');
        return a.closedPosition(q);
      },
    });
    const { rig, key } = await partialThenStop(flaky);
    await rig.recorder.idle();
    expect(rig.waits).toEqual([2_000, 10_000]);
    expect(rig.store.closedTrade(key)).toMatchObject({
      exitReason: 'sl',
      history: { venue: 'paper', status: 'answered', attempts: 3, error: '' },
    });

    // Never answering: four tries, then Warden's own facts stand, marked failed.
    const down = (): History => ({
      name: 'paper',
      closedPosition: async () => {
        throw new Error('history unavailable (test)');
      },
    });
    const again = await partialThenStop(down);
    await again.rig.recorder.idle();
    expect(again.rig.waits).toEqual([2_000, 10_000, 60_000]);
    const t = again.rig.store.closedTrade(again.key)!;
    expect(t.history).toEqual({ venue: 'paper', status: 'failed', attempts: 4, error: 'history unavailable (test)' });
    expect(t.exitReason).toBe('unknown');
    await rig.stop();
    await again.rig.stop();
  });

  it('without a venue history: what Warden did is stored (its partial at its fill), the exit is unknown, nothing is invented', async () => {
    const none = (): History => ({ name: 'paper' });
    const { rig, key, ticket } = await partialThenStop(none);
    await rig.recorder.idle();
    const t = rig.store.closedTrade(key)!;
    const partial = rig.account.broker(SYMBOL).deals.find((d) => d.positionId === ticket && d.reason === 'partial')!;
    expect(t.exitReason).toBe('unknown');
    expect(t.exitPrice).toBeNull();
    expect(t.realizedProfit).toBeNull();
    expect(t.r).toBeNull();
    expect(t.partialsProfit).toBeCloseTo(partial.profit, 6);
    expect(t.deals).toEqual([
      {
        time: expect.any(Number),
        volume: partial.volume,
        price: partial.price,
        profit: expect.any(Number),
        by: 'warden',
        intentId: `${key}:partial:1`,
        partial: true,
        from: 'journal',
      },
    ]);
    expect(t.volume).toEqual({ opened: 1, closed: partial.volume, closedByWarden: partial.volume });
    expect(t.sources).toMatchObject({ entry: 'lifetime', exit: 'none', realized: 'none', closeTime: 'lifetime' });
    expect(t.closeTime).toBe(rig.ended[0]!.lifetime.endedAt);
    expect(t.history).toEqual({ venue: 'paper', status: 'unsupported', attempts: 1, error: '' });
    expect(t.notes.join(' | ')).toMatch(/lots closed without a deal Warden or the venue can name: exit unknown/);
    await rig.stop();
  });

  it('at start, a lifetime that ended without its record (Warden stopped first) is recorded from the journal and the venue', async () => {
    const { rig, key } = await partialThenStop(paperHistory);
    await rig.recorder.idle();
    const recorded = rig.store.closedTrade(key)!;
    // As if the record had never been made: a new recorder on the store finds the lifetime and makes it.
    const db = (rig.store as unknown as { db: { prepare(sql: string): { run(...a: unknown[]): unknown } } }).db;
    db.prepare('DELETE FROM closed_trades WHERE key = ?').run(key);
    const fresh = new ClosedTradeRecorder({
      store: rig.store,
      venue: rig.account,
      instruments: [rig.instrument],
      clock: () => rig.now,
    });
    expect(fresh.recover()).toBe(1);
    await fresh.idle();
    const again = rig.store.closedTrade(key)!;
    // Without the plan, the initial stop is the one the first stop move was decided against.
    expect(again).toMatchObject({
      exitReason: 'sl',
      realizedProfit: recorded.realizedProfit,
      exitPrice: recorded.exitPrice,
      deals: recorded.deals,
    });
    expect(again.initialSl).toBe(recorded.initialSl);
    expect(again.sources.initialSl).toBe('journal');
    expect(again.r).toBeCloseTo(recorded.r!, 8);
    await fresh.close();
    await rig.stop();
  });
});
