// A position is one lifetime: a ticket the venue hands to a later position (a new paper account on the
// same store, Binance's one position per symbol and side, a store older than lifetimes) never shares a
// plan, a decision or an intent id with the earlier one, and what a ticket's history holds is told
// apart by lifetime. Bad input (a journal row of another decision, a venue without open times, a clock
// jump) is recorded as a decision with its reason, never an error and never a silent skip.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CcxtBroker } from '../../src/brokers/ccxtBroker.ts';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { lifetimeKey, ticketOfKey } from '../../src/domain/lifetime.ts';
import type { Bar, Instrument, Position } from '../../src/domain/types.ts';
import { AccountSession } from '../../src/execution/accountSession.ts';
import { PositionLifetimes } from '../../src/execution/positionLifetimes.ts';
import { MIGRATIONS } from '../../src/store/sqliteMigrations.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { StoredLifetime, WardenStore } from '../../src/store/store.ts';
import { FakeBinanceUsdm, XAU } from '../brokers/fakeBinanceUsdm.ts';
import { BAR_MS, liveConfig, profitableEntry, sampleBars, SYMBOL } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-lifetimes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (): string => join(dir, `l${++n}.db`);

const pos = (o: Partial<Position> = {}): Position => ({
  id: '7',
  symbol: SYMBOL,
  side: 'buy',
  volume: 1,
  entryPrice: 2000,
  sl: 1990,
  tp: 2030,
  openTime: 1_000,
  comment: '',
  ...o,
});
const life = (o: Partial<StoredLifetime> = {}): StoredLifetime => ({
  key: '7#1',
  ticket: '7',
  n: 1,
  symbol: SYMBOL,
  side: 'buy',
  openTime: 1_000,
  entryPrice: 2000,
  startedAt: 1_000,
  endedAt: null,
  endReason: '',
  ...o,
});

describe('lifetime keys', () => {
  it('name the ticket and its lifetime; a bare ticket (an older store) is its own', () => {
    expect(lifetimeKey('2100002', 3)).toBe('2100002#3');
    expect(ticketOfKey('2100002#3')).toBe('2100002');
    expect(ticketOfKey('XAU/USDT:USDT:long#12')).toBe('XAU/USDT:USDT:long');
    expect(ticketOfKey('100001')).toBe('100001');
    expect(ticketOfKey('odd#ticket')).toBe('odd#ticket');
  });
});

describe('PositionLifetimes: is the venue position still the same lifetime?', () => {
  const store = openSqliteStore(file(), { now: 0 });
  const book = new PositionLifetimes(store);
  afterAll(() => store.close());

  it('by its open time when the venue gives one', () => {
    expect(book.isSame(life(), pos(), pos())).toBe(true);
    expect(book.isSame(life(), pos(), pos({ openTime: 2_000 }))).toBe(false);
    // A partial close keeps the position (volume down, same open time).
    expect(book.isSame(life(), pos(), pos({ volume: 0.3 }))).toBe(true);
  });

  it('without one (Binance): a moved entry price is a close and a reopen (an add too: never a step "done" the venue did not do)', () => {
    const l = life({ openTime: 0 });
    const last = pos({ openTime: 0 });
    expect(book.isSame(l, last, pos({ openTime: 0, volume: 0.3 }))).toBe(true); // partial close: same entry
    expect(book.isSame(l, last, pos({ openTime: 0, volume: 1, entryPrice: 2004 }))).toBe(false); // closed, opened again
    expect(book.isSame(l, last, pos({ openTime: 0, volume: 1.5, entryPrice: 2004 }))).toBe(false); // or an add: a new lifetime
    expect(book.isSame(l, undefined, pos({ openTime: 0, entryPrice: 2000 }))).toBe(true); // the lifetime's own entry
  });

  it('a side or symbol that changed is always another position', () => {
    expect(book.isSame(life(), pos(), pos({ side: 'sell' }))).toBe(false);
    expect(book.isSame(life(), pos(), pos({ symbol: 'EURUSD' }))).toBe(false);
  });
});

/** A paper account, a store file and a session over the sample bars, stepped by hand. */
class Rig {
  readonly config = liveConfig();
  readonly instrument: Instrument = instrumentFromConfig(this.config, SYMBOL, true);
  account = new PaperAccount([this.instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
  store!: WardenStore;
  session!: AccountSession;
  now = 0;
  constructor(
    readonly bars: Bar[],
    readonly storeFile: string,
  ) {}

  async start(upTo: number): Promise<Awaited<ReturnType<AccountSession['start']>>> {
    this.now = this.bars[upTo - 1]!.time + BAR_MS;
    this.store = openSqliteStore(this.storeFile, { now: this.now });
    this.session = new AccountSession({
      config: this.config,
      baseTimeframe: 'M1',
      instruments: [this.instrument],
      broker: this.account,
      store: this.store,
      clock: () => this.now,
      sleep: async () => {},
    });
    return this.session.start(new Map([[SYMBOL, this.bars.slice(0, upTo)]]));
  }

  async step(i: number): Promise<void> {
    const bar = this.bars[i]!;
    this.now = bar.time + BAR_MS;
    this.account.onBar(SYMBOL, bar, this.now);
    await this.session.onBar(SYMBOL, bar);
  }

  async stop(): Promise<void> {
    await this.session.close();
    this.store.close();
  }

  /** The trader opens a position at bar i's close, far toward its target by bar `last` (see profitableEntry). */
  openProfitable(from: number, upTo: number, last: number): string {
    const e = profitableEntry(this.bars, from, upTo, last);
    const a = this.account
      .broker(SYMBOL)
      .open({ requestId: `hand:${from}`, side: e.side, volume: 1, sl: e.sl, tp: e.tp, comment: '', exempt: true });
    if (a.outcome !== 'applied') throw new Error('the paper account refused the test position');
    return a.positionId;
  }
}

describe('a new paper account on the same store: its tickets start again at 100001', () => {
  it('the second position on ticket 100001 is a new lifetime: its own intents are sent, its history is apart, the reuse is recorded', async () => {
    const bars = sampleBars(5, 1400);
    const rig = new Rig(bars, file());
    // Run 1: the trader's position 100001 is managed until its partial is taken.
    for (let i = 0; i < 1000; i++) rig.account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
    const first = rig.openProfitable(990, 1000, 1030);
    expect(first).toBe('100001');
    for (let i = 1000; i < 1011; i++) rig.account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
    await rig.start(1011);
    for (let i = 1011; i < 1030; i++) await rig.step(i);
    const firstKey = rig.session.managedKey('100001');
    expect(firstKey).toBe('100001#1');
    const run1 = rig.store.intentsFor('100001#1');
    expect(run1.filter((x) => x.intent.rule === 'partial' && x.status === 'applied')).toHaveLength(1);
    await rig.stop();

    // Run 2: a new paper account (tickets from 100001 again) with another position, on the same store.
    rig.account = new PaperAccount([rig.instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
    for (let i = 0; i < 1200; i++) rig.account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
    const second = rig.openProfitable(1180, 1200, 1240);
    expect(second).toBe('100001');
    for (let i = 1200; i < 1216; i++) rig.account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
    const started = await rig.start(1216);
    expect(started.closedWhileAway).toEqual(['100001#1']);
    expect(started.adopted).toEqual(['100001#2']);
    for (let i = 1216; i < 1240; i++) await rig.step(i);

    // Its decisions are sent (ids of lifetime #2), none meets the journal, and the venue shows them.
    const run2 = rig.store.intentsFor('100001#2');
    expect(run2.length).toBeGreaterThan(0);
    expect(run2.every((x) => x.intent.id.startsWith('100001#2:') && x.status === 'applied')).toBe(true);
    const plan = rig.session.engine.plan('100001#2')!;
    const atVenue = (await rig.account.positions()).find((p) => p.id === '100001')!;
    if (plan.partialState === 1) {
      expect(plan.closedVolume).toBeGreaterThan(0);
      expect(atVenue.volume).toBeCloseTo(plan.initialVolume - plan.closedVolume, 9);
    }
    const reasons = rig.store
      .decisionsFor('100001#2')
      .filter((r) => r.rule === 'lifetime')
      .map((r) => r.reason);
    expect(reasons).toEqual(['lifetime_started', 'ticket_reused']);
    expect(rig.store.decisionsOf(['100001#1', '100001#2']).some((r) => r.reason === 'journal_conflict')).toBe(false);
    // The ticket's two lifetimes, each with its own history.
    expect(rig.store.lifetimesOf('100001').map((l) => [l.key, l.endedAt === null])).toEqual([
      ['100001#1', false],
      ['100001#2', true],
    ]);
    expect(rig.store.decisionsFor('100001#1').at(-1)).toMatchObject({ rule: 'lifetime', reason: 'lifetime_ended' });
    expect(rig.store.decisionsFor('100001#2').every((r) => r.positionId === '100001#2')).toBe(true);
    await rig.stop();
  });
});

describe('a store older than lifetimes (schema 5)', () => {
  it('keeps its managed positions under their bare ticket; a later position on the ticket is <ticket>#1, and an old journal row never settles it', async () => {
    const bars = sampleBars(5, 1400);
    const rig = new Rig(bars, file());
    for (let i = 0; i < 1200; i++) rig.account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
    const ticket = rig.openProfitable(1180, 1200, 1240);
    for (let i = 1200; i < 1216; i++) rig.account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
    // The old store: an earlier position on this ticket had its partial applied (the old id form).
    const old = openSqliteStore(rig.storeFile, { now: 0, migrations: MIGRATIONS.slice(0, 5) });
    old.recordIntent(
      {
        id: `${ticket}:partial:1`,
        positionId: ticket,
        symbol: SYMBOL,
        kind: 'close_partial',
        rule: 'partial',
        episode: 1,
        newSl: Number.NaN,
        oldSl: null,
        volume: 0.7,
        time: 0,
        price: 1,
        reason: 'an earlier run',
        targetId: ticket,
        side: 'buy',
        comment: '',
        action: '',
      },
      0,
    );
    old.markIntent(`${ticket}:partial:1`, 'applied', '10009', 'applied', 0);
    old.close();
    const started = await rig.start(1216);
    expect(rig.store.meta().schemaVersion).toBe(MIGRATIONS.length);
    expect(started.adopted).toEqual([`${ticket}#1`]);
    for (let i = 1216; i < 1240; i++) await rig.step(i);
    const plan = rig.session.engine.plan(`${ticket}#1`)!;
    expect(plan.partialState).toBe(1);
    // Partial done means the venue closed volume for THIS position.
    const atVenue = (await rig.account.positions()).find((p) => p.id === ticket)!;
    expect(plan.closedVolume).toBeGreaterThan(0);
    expect(atVenue.volume).toBeCloseTo(1 - plan.closedVolume, 9);
    expect(rig.store.intent(`${ticket}#1:partial:1`)?.status).toBe('applied');
    await rig.stop();
  });
});

describe('a journal row of another decision under the same id', () => {
  it('is not sent and does not settle this decision: recorded as journal_conflict, decided afresh under the next id', async () => {
    const bars = sampleBars(5, 1400);
    const rig = new Rig(bars, file());
    for (let i = 0; i < 1200; i++) rig.account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
    const ticket = rig.openProfitable(1180, 1200, 1240);
    for (let i = 1200; i < 1216; i++) rig.account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
    await rig.start(1216);
    const key = rig.session.managedKey(ticket)!;
    // A fault: the id the engine is about to use for its partial is in the journal already.
    rig.store.recordIntent(
      {
        id: `${key}:partial:1`,
        positionId: 'elsewhere',
        symbol: SYMBOL,
        kind: 'close_partial',
        rule: 'partial',
        episode: 1,
        newSl: Number.NaN,
        oldSl: null,
        volume: 0.1,
        time: 0,
        price: 1,
        reason: 'not this decision',
        targetId: 'elsewhere',
        side: 'buy',
        comment: '',
        action: '',
      },
      0,
    );
    rig.store.markIntent(`${key}:partial:1`, 'applied', '10009', 'applied', 0);
    for (let i = 1216; i < 1240; i++) await rig.step(i);
    const conflict = rig.store.decisionsFor(key).find((r) => r.reason === 'journal_conflict');
    expect(conflict).toMatchObject({ rule: 'lifetime', intentId: `${key}:partial:1` });
    expect(conflict!.note).toMatch(/already in the journal \(applied/);
    // Not settled by the other row: the partial went out under the next id and the venue closed volume.
    const plan = rig.session.engine.plan(key)!;
    expect(rig.store.intent(`${key}:partial:2`)?.status).toBe('applied');
    expect(plan.partialState).toBe(1);
    expect(plan.closedVolume).toBeGreaterThan(0);
    expect((await rig.account.positions()).find((p) => p.id === ticket)!.volume).toBeCloseTo(1 - plan.closedVolume, 9);
    await rig.stop();
  });
});

describe('a clock jump', () => {
  it('is recorded as a decision with its reason; the steps go on', async () => {
    const bars = sampleBars(5, 1300);
    const rig = new Rig(bars, file());
    for (let i = 0; i < 1200; i++) rig.account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
    await rig.start(1200);
    await rig.step(1200);
    await rig.step(1201);
    // The session's clock goes back an hour (a corrected clock) at the next bar.
    const bar = bars[1202]!;
    rig.account.onBar(SYMBOL, bar, bar.time + BAR_MS);
    rig.now = bar.time + BAR_MS - 3_600_000;
    await rig.session.onBar(SYMBOL, bar);
    const jump = rig.store.recentDecisions(50).find((r) => r.reason === 'clock_jump');
    expect(jump).toMatchObject({ rule: 'lifetime', positionId: '' });
    // The bar closed a minute after the last one; the clock reads an hour earlier than that.
    expect(jump!.note).toMatch(/went back 3540 s/);
    // The clock is set right again at the next bar: that jump is recorded too.
    await rig.step(1203);
    const jumps = rig.store.recentDecisions(50).filter((r) => r.reason === 'clock_jump');
    expect(jumps).toHaveLength(2);
    expect(jumps[1]!.note).toMatch(/moved 3660 s while the market moved 60 s/);
    await rig.stop();
  });
});

describe('Binance: a position closed and opened again on the same symbol and side', () => {
  it('is a new lifetime (XAU/USDT:USDT:long#2) with a fresh plan: nothing of the first one answers for it', async () => {
    const bars = sampleBars(5, 1400);
    const fake = new FakeBinanceUsdm();
    const broker = new CcxtBroker({
      exchangeId: 'binanceusdm',
      apiKey: 'k-0123456789',
      secret: 's-0123456789',
      fetchImplementation: fake.fetch,
      enableRateLimit: false,
      timeoutMs: 2_000,
      clock: () => fake.now,
    });
    const config = liveConfig();
    const instrument = await broker.instrument(XAU);
    const store = openSqliteStore(file(), { now: 0 });
    let now = bars[1199]!.time + BAR_MS;
    const session = new AccountSession({
      config,
      baseTimeframe: 'M1',
      instruments: [instrument],
      broker,
      store,
      clock: () => now,
      sleep: async () => {},
    });
    const closeAt = (i: number): void => {
      fake.feedBars(bars.slice(0, i + 1), bars[i]!.time + BAR_MS + 1_000);
      fake.bid = bars[i]!.close;
      now = bars[i]!.time + BAR_MS;
    };
    const step = async (i: number): Promise<void> => {
      closeAt(i);
      await session.onBar(XAU, bars[i]!);
    };
    // The trader's first long, well toward its target: Warden takes its partial.
    const e1 = profitableEntry(bars, 1000, 1190, 1201);
    closeAt(e1.i0);
    const id = fake.traderOpen(e1.side, 1, e1.sl, e1.tp);
    closeAt(1199);
    await session.start(new Map([[XAU, bars.slice(0, 1200)]]));
    for (let i = 1200; i < 1204; i++) await step(i);
    expect(session.managedKey(id)).toBe(`${id}#1`);
    expect(store.intentsFor(`${id}#1`).some((x) => x.intent.rule === 'partial' && x.status === 'applied')).toBe(true);
    // Between two bars the trader closes it and opens the same side again, at another price.
    fake.bid = bars[1204]!.close + 3;
    fake.traderClose(e1.side);
    fake.traderOpen(e1.side, 1, e1.side === 'buy' ? fake.bid - 40 : fake.bid + 40, e1.tp);
    await step(1204);
    expect(session.managedKey(id)).toBe(`${id}#2`);
    const plan = session.engine.plan(`${id}#2`)!;
    expect(plan).toMatchObject({ ticket: id, initialVolume: 1, closedVolume: 0, partialState: 0 });
    expect(store.lifetimesOf(id).map((l) => l.key)).toEqual([`${id}#1`, `${id}#2`]);
    const reasons = store
      .decisionsFor(`${id}#2`)
      .filter((r) => r.rule === 'lifetime')
      .map((r) => r.reason);
    expect(reasons).toEqual(['lifetime_started', 'ticket_reused', 'open_time_unknown']);
    // No intent of lifetime #1 answers for #2.
    expect(store.intentsFor(`${id}#2`).every((x) => x.intent.id.startsWith(`${id}#2:`))).toBe(true);
    expect(fake.unexpected).toEqual([]);
    await session.close();
    store.close();
  });
});
