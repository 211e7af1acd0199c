// The live session's quote step: between two closed bars, a quote of a symbol decides its positions
// (with the features of the last closed bar) and what it decides goes the one way a bar step's does:
// kept (journaled pending), then sent, then the venue's fresh view. The venue is the MetaApi adapter
// over the fake SDK connection, whose quotes the test moves; the session's clock is the venue's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MetaApiBroker } from '../../src/brokers/metaApiBroker.ts';
import type { Bar } from '../../src/domain/types.ts';
import { AccountSession } from '../../src/execution/accountSession.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { FakeMetaApi, XAU } from '../brokers/fakeMetaApi.ts';
import { BAR_MS, liveConfig, PINNED_NOW, profitableEntry, sampleBars } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-quote-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const closeOf = (b: Bar) => b.time + BAR_MS;

/** Counts the store's writes (rows) and the JSON size of what they carry. */
function countingStore(store: WardenStore): {
  store: WardenStore;
  writes: Map<string, number>;
  bytes: () => number;
  reset: () => void;
} {
  const writes = new Map<string, number>();
  let bytes = 0;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const name = String(prop);
      const isWrite = /^(save|append|delete|record)/.test(name);
      return (...args: unknown[]) => {
        if (isWrite) {
          writes.set(name, (writes.get(name) ?? 0) + 1);
          bytes += JSON.stringify(args).length;
        }
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    store: proxy,
    writes,
    bytes: () => bytes,
    reset: () => {
      writes.clear();
      bytes = 0;
    },
  };
}

/** A session on the fake MetaApi account: history up to bar 1200, a trader's position with breakeven and the partial due. */
async function setUp(configExtra: Record<string, unknown> = {}) {
  const raw = sampleBars(5, 1260);
  const shift = Math.floor((PINNED_NOW - 3_000 - closeOf(raw[1199]!)) / BAR_MS) * BAR_MS;
  const bars: Bar[] = raw.map((b) => ({ ...b, time: b.time + shift }));
  const best = profitableEntry(bars, 1000, 1190, 1199);
  const fake = new FakeMetaApi('hedging');
  fake.now = closeOf(bars[best.i0]!);
  fake.setBid(bars[best.i0]!.close);
  const ticket = fake.traderOpen(best.side, 1, best.sl, best.tp);
  fake.now = closeOf(bars[1199]!) + 1_000;
  fake.feedBars(bars.slice(0, 1200));
  fake.setBid(bars[1199]!.close);
  const broker = new MetaApiBroker({ accountId: 'test', gateway: fake, symbols: [XAU], clock: () => fake.now });
  const config = liveConfig(configExtra);
  const counted = countingStore(openSqliteStore(join(dir, `q${++n}.db`), { now: fake.now }));
  const session = new AccountSession({
    config,
    baseTimeframe: 'M1',
    instruments: [await broker.instrument(XAU)],
    broker,
    store: counted.store,
    clock: () => fake.now,
    sleep: async () => {},
  });
  await session.start(new Map([[XAU, bars.slice(0, 1200)]]));
  return { bars, best, fake, broker, session, ticket, counted, store: counted.store };
}

const up = (side: 'buy' | 'sell', k: number) => (side === 'buy' ? k : -k);
const positionReads = (fake: FakeMetaApi) => fake.calls.filter((c) => c.method === 'getPositions').length;

describe('AccountSession.onQuote', () => {
  it('decides on quotes between bars: the partial, then the trail as the price moves within the minute; kept, sent and applied as a bar step does', async () => {
    const s = await setUp();
    const q0 = await s.broker.quote(XAU);
    const first = await s.session.onQuote(XAU, q0);
    expect(first).toMatchObject({ skipped: '', featuresHeld: false });
    expect(first.intents.map((r) => `${r.intent.kind}:${r.intent.rule}:${r.settled}`)).toEqual([
      'close_partial:partial:applied',
    ]);
    const trails: number[] = [];
    // Every 5 s the bid rises (for a buy) by 0.8, within the bar after the last one closed.
    for (let k = 1; k <= 10; k++) {
      s.fake.now += 5_000;
      s.fake.setBid(q0.bid + up(s.best.side, 0.8 * k));
      const r = await s.session.onQuote(XAU, await s.broker.quote(XAU));
      for (const x of r.intents) {
        expect(`${x.intent.kind}:${x.intent.rule}:${x.settled}`).toBe('move_stop:trail:applied');
        // Decided at the quote's time, inside the minute: no bar closed.
        expect(x.intent.time).toBe(s.fake.now);
        expect(x.intent.time % BAR_MS).not.toBe(0);
        trails.push(x.intent.newSl);
      }
    }
    expect(s.fake.now - closeOf(s.bars[1199]!)).toBeLessThan(BAR_MS);
    expect(trails.length).toBeGreaterThan(3);
    for (let k = 1; k < trails.length; k++)
      expect(s.best.side === 'buy' ? trails[k]! > trails[k - 1]! : trails[k]! < trails[k - 1]!).toBe(true);
    // The journal holds each intent applied, and the venue the last stop.
    const journal = s.store.intentsSince(0);
    expect(journal.map((j) => j.status)).toEqual(journal.map(() => 'applied'));
    expect(journal).toHaveLength(1 + trails.length);
    expect(s.fake.heldPositions()[0]!.sl).toBe(trails[trails.length - 1]);
    expect(s.fake.unexpected).toEqual([]);
    // The next bar step goes on from there.
    const next = await s.session.onBar(XAU, s.bars[1200]!);
    expect(next.barProblem).toBe('');
  });

  it('an idle quote (nothing decided) reads the positions once and writes two rows: the engine time and the health report', async () => {
    const s = await setUp();
    const q0 = await s.broker.quote(XAU);
    await s.session.onQuote(XAU, q0);
    // What is due at this price is decided first (the partial, then the trail from the new volume).
    for (let k = 0; k < 5; k++) {
      s.fake.now += 1_000;
      s.fake.setBid(q0.bid);
      await s.session.onQuote(XAU, await s.broker.quote(XAU));
    }
    const decisions = s.store.decisionCount();
    const rows: number[] = [];
    const bytes: number[] = [];
    for (let k = 1; k <= 5; k++) {
      s.fake.now += 1_000;
      s.fake.setBid(q0.bid);
      s.counted.reset();
      const reads = positionReads(s.fake);
      const r = await s.session.onQuote(XAU, await s.broker.quote(XAU));
      expect(r).toMatchObject({ intents: [], skipped: '' });
      expect(positionReads(s.fake) - reads).toBe(1);
      expect(Object.fromEntries(s.counted.writes)).toEqual({ saveSessionState: 1, saveHealth: 1 });
      rows.push([...s.counted.writes.values()].reduce((a, b) => a + b, 0));
      bytes.push(s.counted.bytes());
    }
    expect(s.store.decisionCount()).toBe(decisions);
    // About 400 bytes of JSON per idle quote step with one position (the health report's size grows with the book).
    expect(Math.max(...rows)).toBe(2);
    expect(Math.max(...bytes)).toBeLessThan(1_000);
  });

  it('refuses a quote that is not a price, is crossed, or is older than the last bar close: no step, nothing read or written', async () => {
    const s = await setUp();
    const q0 = await s.broker.quote(XAU);
    const lastClose = closeOf(s.bars[1199]!);
    const reads = positionReads(s.fake);
    s.counted.reset();
    const bad = [
      { q: { ...q0, bid: Number.NaN }, why: /not a positive number/ },
      { q: { ...q0, ask: Number.POSITIVE_INFINITY }, why: /not a positive number/ },
      { q: { ...q0, bid: q0.ask + 1 }, why: /crossed/ },
      { q: { ...q0, time: Number.NaN }, why: /not a time/ },
      { q: { ...q0, time: lastClose - 1 }, why: /older than the last bar's close/ },
    ];
    const version = s.session.version;
    for (const { q, why } of bad) {
      const r = await s.session.onQuote(XAU, q);
      expect(r.intents).toEqual([]);
      expect(r.skipped).toMatch(why);
    }
    expect(positionReads(s.fake)).toBe(reads);
    expect(s.counted.writes.size).toBe(0);
    // Prices refused at once are no step at all; the others do not change what the session shows.
    expect(s.session.version - version).toBeLessThanOrEqual(1);
    // The same quote twice: the second is not after the first.
    expect((await s.session.onQuote(XAU, q0)).skipped).toBe('');
    expect((await s.session.onQuote(XAU, q0)).skipped).toMatch(/not after the last quote taken/);
  });

  it('a symbol with nothing to decide is not stepped on: the venue is not read', async () => {
    const s = await setUp();
    s.fake.traderClose(s.ticket);
    await s.session.onBar(XAU, s.bars[1200]!);
    expect(s.session.engine.positionIds()).toEqual([]);
    s.fake.now = closeOf(s.bars[1200]!) + 2_000;
    s.fake.setBid(s.bars[1200]!.close);
    const reads = positionReads(s.fake);
    s.counted.reset();
    const r = await s.session.onQuote(XAU, await s.broker.quote(XAU));
    expect(r.skipped).toMatch(/nothing to decide/);
    expect(positionReads(s.fake)).toBe(reads);
    expect(s.counted.writes.size).toBe(0);
  });

  it('while the circuit breaker holds the features, a quote still decides, with the last good values', async () => {
    const s = await setUp();
    for (let k = 0; k < 5; k++) s.session.feedFailed(XAU, 'bars unreadable: test');
    expect(s.session.breakers.open(s.fake.now)).toHaveLength(1);
    const r = await s.session.onQuote(XAU, await s.broker.quote(XAU));
    expect(r.featuresHeld).toBe(true);
    expect(r.intents.map((x) => `${x.intent.rule}:${x.settled}`)).toEqual(['partial:applied']);
  });

  it('is queued with the bar steps: one step at a time, in call order', async () => {
    const s = await setUp();
    const order: string[] = [];
    s.fake.now = closeOf(s.bars[1200]!) + 3_000;
    s.fake.feedBars([s.bars[1200]!]);
    s.fake.setBid(s.bars[1200]!.close);
    const q = await s.broker.quote(XAU);
    const a = s.session.onBar(XAU, s.bars[1200]!).then(() => order.push('bar'));
    const b = s.session.onQuote(XAU, q).then((r) => order.push(`quote${r.skipped === '' ? '' : ' skipped'}`));
    expect(s.session.changing).toBe(true);
    await Promise.all([a, b]);
    expect(order).toEqual(['bar', 'quote']);
    // The quote came after the bar's close, so it was taken; one before it would not have been.
    expect((await s.session.onQuote(XAU, { ...q, time: closeOf(s.bars[1200]!) - 500 })).skipped).toMatch(
      /older than the last bar/,
    );
  });
});
