// `warden serve` on a real account (not the played paper market), through each adapter: the account's
// rules and history are read from the venue, the position a trader opened there is adopted, the
// venue's newly closed bars drive the session, and the intents go to the venue, all through the real
// HTTP server and a real SQLite file. The venues: the ccxt adapter over the fake Binance REST API, the
// MetaApi adapter over the fake SDK connection, and a paper account standing in for a remote venue
// (reached only through BrokerPort).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfiguredBroker } from '../../src/brokers/brokerFromConfig.ts';
import { CcxtBroker } from '../../src/brokers/ccxtBroker.ts';
import { MetaApiBroker } from '../../src/brokers/metaApiBroker.ts';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Bar, Position, Side } from '../../src/domain/types.ts';
import { createLogger } from '../../src/log.ts';
import { accountSchema, healthSchema, positionSchema } from '../../src/service/apiSchemas.ts';
import { startService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { FakeBinanceUsdm, XAU as BINANCE_XAU } from '../brokers/fakeBinanceUsdm.ts';
import { FakeMetaApi, XAU as MT5_XAU } from '../brokers/fakeMetaApi.ts';
import { waitUntil } from '../support/waitUntil.ts';
import { BAR_MS, PINNED_NOW, profitableEntry, sampleBars, SYMBOL } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-real-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A venue under test: set up with history and a trader's position, then bars close there. */
interface Venue {
  symbol: string;
  broker: ConfiguredBroker['broker'];
  /** The venue holds bars [0, upTo) closed (the clock just past the last) and quotes its close. */
  closeBars(upTo: number): void;
  /** The trader opens a position at the current quote; its id. */
  open(side: Side, sl: number, tp: number): string;
  /** Checked at the end: the fake saw nothing it does not know. */
  unexpected(): string[];
}

const closeOf = (b: Bar) => b.time + BAR_MS;

function paperVenue(bars: Bar[]): Venue {
  const config = configSchema.parse({});
  const venue = new PaperAccount([instrumentFromConfig(config, SYMBOL, true)], {
    accountMode: 'hedging',
    timeframeMs: BAR_MS,
  });
  let fed = 0;
  return {
    symbol: SYMBOL,
    broker: venue,
    closeBars(upTo) {
      for (; fed < upTo; fed++) venue.onBar(SYMBOL, bars[fed]!, closeOf(bars[fed]!));
    },
    open(side, sl, tp) {
      const a = venue
        .broker(SYMBOL)
        .open({ requestId: `hand${side}`, side, volume: 1, sl, tp, comment: '', exempt: true });
      if (a.outcome !== 'applied') throw new Error('the venue refused the test position');
      return a.positionId;
    },
    unexpected: () => [],
  };
}

function binanceVenue(bars: Bar[]): Venue {
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
  return {
    symbol: BINANCE_XAU,
    broker,
    closeBars(upTo) {
      fake.feedBars(bars.slice(0, upTo), closeOf(bars[upTo - 1]!) + 1_000);
      fake.bid = bars[upTo - 1]!.close;
    },
    open: (side, sl, tp) => fake.traderOpen(side, 1, sl, tp),
    unexpected: () => fake.unexpected,
  };
}

function metaApiVenue(bars: Bar[]): Venue {
  const fake = new FakeMetaApi('hedging');
  const broker = new MetaApiBroker({
    accountId: 'test-account',
    gateway: fake,
    symbols: [MT5_XAU],
    clock: () => fake.now,
  });
  let fed = 0;
  return {
    symbol: MT5_XAU,
    broker,
    closeBars(upTo) {
      fake.now = closeOf(bars[upTo - 1]!) + 1_000;
      fake.feedBars(bars.slice(fed, upTo));
      fed = upTo;
      fake.setBid(bars[upTo - 1]!.close);
    },
    open: (side, sl, tp) => fake.traderOpen(side, 1, sl, tp),
    unexpected: () => fake.unexpected,
  };
}

describe.each([
  ['a paper account standing in for a remote venue', paperVenue],
  ['the ccxt adapter over the fake Binance USD-M API', binanceVenue],
  ['the MetaApi adapter over the fake SDK connection', metaApiVenue],
])('serve on a real account: %s', (name, make) => {
  it('adopts the venue position, steps on the venue bars as they close, and sends its intents to the venue', async () => {
    const raw = sampleBars(5, 1260);
    // Bar 1201 closed within the minute before the pinned instant, on the minute grid, as a live
    // venue's would (health judges feeds on the session's clock, pinned here).
    const shift = Math.floor((PINNED_NOW - 3_000 - closeOf(raw[1201]!)) / BAR_MS) * BAR_MS;
    const bars: Bar[] = raw.map((b) => ({ ...b, time: b.time + shift }));
    // A trader's position opened earlier, with its stop and target beyond every price since and well
    // toward the target now: breakeven is due when the session starts.
    const best = profitableEntry(bars, 1000, 1190, 1201);
    expect(best.progress).toBeGreaterThan(0.35);
    const venue = make(bars);
    venue.closeBars(best.i0 + 1);
    const ticket = venue.open(best.side, best.sl, best.tp);
    venue.closeBars(1200);
    const atVenue = async (): Promise<Position | undefined> =>
      (await venue.broker.positions()).find((p) => p.id === ticket);
    expect(await atVenue()).toMatchObject({ sl: best.sl, tp: best.tp });

    // Bars only (quoteSec 0): what is checked is what the bar feed decides; quotes are tested below.
    // 1,200 M1 bars are all the venue holds: H1's and M15's EMA200 cannot be ready (warmStart.test.ts has
    // a venue with the history they need). Here no data passes, as on paper, so the same rules decide on
    // every venue whatever features the short history leaves missing.
    const config = configSchema.parse({
      service: { port: 0 },
      broker: { kind: 'ccxt', symbols: [venue.symbol], pollSec: 1, quoteSec: 0, historyBars: 1000 },
      exits: { noDataPasses: true },
    });
    const configured: ConfiguredBroker = {
      kind: 'ccxt',
      broker: venue.broker,
      symbols: [venue.symbol],
      paper: null,
      describe: name,
    };
    const store = openSqliteStore(
      join(dir, `real-${venue.symbol.replace(/\W/g, '')}-${Math.random().toString(36).slice(2)}.db`),
      { now: PINNED_NOW },
    );
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: 'test-token-0123456789abcdef',
      tokenFile: join(dir, 'unused.token'),
      broker: configured,
    });
    try {
      expect(service.paper).toBeNull();
      // A real account: DTMS opens nothing there unless the config says so.
      expect(service.session.engine.config.dtms.actions.openPositions).toBe(false);
      expect(service.dtms).toBe(
        'DTMS on: tighten, partial close, close (in place of a hedge too); hedges and re-adds off on a real account unless dtms.actions.openPositions is true',
      );
      const get = async (path: string) => (await fetch(new URL(path, service.url))).json() as Promise<unknown>;
      const listed = positionSchema.array().parse(await get('/api/positions'));
      expect(listed.map((p) => p.ticket)).toEqual([ticket]);
      // Two bars close at the venue; the loop polls every second.
      venue.closeBars(1202);
      await waitUntil(() => service.loop.played >= 2);
      expect(service.loop.played).toBe(2);
      const health = healthSchema.parse(await get('/api/health'));
      expect(health.feeds.map((f) => f.symbol)).toEqual([venue.symbol]);
      expect(health.feeds[0]!.lastBarAt).toBe(new Date(closeOf(bars[1201]!)).toISOString());
      // What the session decided went to the venue, was applied there, and the venue shows it.
      const sent = store.intentsSince(0);
      // The same engine on the same bars decides the same on every venue: the partial (70% of 1 lot)
      // and a trailing stop, both applied. (At the pinned instant, in the London session. In the
      // overlap session the breakeven buffer is tighter, and the venues' different fill prices then
      // make the breakeven due on some and already protected on others.)
      expect(sent.map((i) => `${i.intent.kind}:${i.intent.rule}:${i.status}`)).toEqual([
        'close_partial:partial:applied',
        'move_stop:trail:applied',
      ]);
      const now = await atVenue();
      expect(now?.volume).toBeCloseTo(0.3, 9);
      expect(now?.tp).toBe(best.tp);
      expect(best.side === 'buy' ? now!.sl! > best.sl : now!.sl! < best.sl).toBe(true);
      expect(now!.sl).toBe(sent[1]!.intent.newSl);
      // The account strip: the venue's balance and equity, today's bookings (the partial's profit, as
      // Warden reckoned it from the fill), the position as the exposure, the mode and health.
      const view = positionSchema.parse(await get(`/api/positions/${encodeURIComponent(ticket)}`));
      const account = accountSchema.parse(await get('/api/account'));
      expect(account).toMatchObject({
        mode: 'live',
        venue: 'ccxt',
        account: name,
        stale: false,
        errors: [],
        health: { status: health.status },
      });
      expect(account.currency).toMatch(/^USDT?$/);
      expect(account.today.from).toBe(new Date(Math.floor(PINNED_NOW / 86_400_000) * 86_400_000).toISOString());
      expect(view.realizedProfit).not.toBeNull();
      expect(account.today.profit).toBeCloseTo(view.realizedProfit!, 1);
      expect(account.openProfit).toBeCloseTo(account.equity! - account.balance!, 1);
      expect(Math.sign(account.openProfit!)).toBe(Math.sign(view.profit!));
      expect(account.exposure).toEqual([
        {
          symbol: venue.symbol,
          positions: 1,
          buyVolume: best.side === 'buy' ? 0.3 : 0,
          sellVolume: best.side === 'sell' ? 0.3 : 0,
          netVolume: best.side === 'buy' ? 0.3 : -0.3,
        },
      ]);
      expect(venue.unexpected()).toEqual([]);
    } finally {
      await service.stop();
      store.close();
    }
  }, 30_000);

  it("in shadow mode decides the same and sends nothing: the venue keeps the trader's stop and volume", async () => {
    const raw = sampleBars(5, 1260);
    const shift = Math.floor((PINNED_NOW - 3_000 - closeOf(raw[1201]!)) / BAR_MS) * BAR_MS;
    const bars: Bar[] = raw.map((b) => ({ ...b, time: b.time + shift }));
    const best = profitableEntry(bars, 1000, 1190, 1201);
    const venue = make(bars);
    venue.closeBars(best.i0 + 1);
    const ticket = venue.open(best.side, best.sl, best.tp);
    venue.closeBars(1200);
    const atVenue = async (): Promise<Position | undefined> =>
      (await venue.broker.positions()).find((p) => p.id === ticket);
    // The same short history as above: no data passes, so shadow mode decides as live did there.
    const config = configSchema.parse({
      service: { port: 0 },
      broker: { kind: 'ccxt', mode: 'shadow', symbols: [venue.symbol], pollSec: 1, quoteSec: 0, historyBars: 1000 },
      exits: { noDataPasses: true },
    });
    const configured: ConfiguredBroker = {
      kind: 'ccxt',
      broker: venue.broker,
      symbols: [venue.symbol],
      paper: null,
      describe: name,
    };
    const store = openSqliteStore(
      join(dir, `shadow-${venue.symbol.replace(/\W/g, '')}-${Math.random().toString(36).slice(2)}.db`),
      { now: PINNED_NOW },
    );
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: 'test-token-0123456789abcdef',
      tokenFile: join(dir, 'unused.token'),
      broker: configured,
    });
    try {
      venue.closeBars(1202);
      await waitUntil(() => service.loop.played >= 2);
      // The same decisions as live (the partial and a trailing stop), recorded as shadow, none sent.
      expect(store.intentsSince(0)).toEqual([]);
      const shadow = store.recentDecisions(1000).filter((r) => r.outcome === 'shadow');
      expect(shadow.map((r) => r.rule)).toEqual(['partial', 'trail']);
      expect(await atVenue()).toMatchObject({ volume: 1, sl: best.sl, tp: best.tp });
      // A Binance position's ticket (XAU/USDT:USDT:long) is addressed URL-encoded.
      const view = positionSchema.parse(
        await (await fetch(new URL(`/api/positions/${encodeURIComponent(ticket)}`, service.url))).json(),
      );
      expect(view).toMatchObject({ volume: 1, sl: best.sl });
      expect(view.shadow).toMatchObject({ wouldBeSl: shadow[1]!.newSl, wouldBeVolume: 0.3, decisions: 2 });
      expect(venue.unexpected()).toEqual([]);
    } finally {
      await service.stop();
      store.close();
    }
  }, 30_000);
});

describe('serve on a real account that gives no bar history', () => {
  it('starts anyway (the mode and rules were read), warns, and warms the features from the live bars', async () => {
    const raw = sampleBars(9, 1210);
    const shift = Math.floor((PINNED_NOW - 3_000 - closeOf(raw[1202]!)) / BAR_MS) * BAR_MS;
    const bars: Bar[] = raw.map((b) => ({ ...b, time: b.time + shift }));
    const venue = paperVenue(bars);
    venue.closeBars(1200);
    const ticket = venue.open('buy', Math.floor(bars[1199]!.close - 30), Math.ceil(bars[1199]!.close + 60));
    // History requests (1,000 bars) are refused, as MetaApi documents for some account types; polls work.
    const broker: ConfiguredBroker['broker'] = Object.assign(
      Object.create(venue.broker) as ConfiguredBroker['broker'],
      {
        candles: (symbol: string, tf: 'M1', limit: number) =>
          limit >= 1000
            ? Promise.reject(new Error('historical candles are not supported for this account'))
            : venue.broker.candles(symbol, tf, limit),
      },
    );
    const config = configSchema.parse({
      service: { port: 0 },
      broker: { kind: 'metaapi', symbols: [SYMBOL], pollSec: 1, quoteSec: 0 },
    });
    const store = openSqliteStore(join(dir, 'nohistory.db'), { now: PINNED_NOW });
    const warnings: string[] = [];
    const log = createLogger({ level: 'warn', destination: { write: (line: string) => void warnings.push(line) } });
    const service = await startService({
      config,
      store,
      log,
      clock: () => PINNED_NOW,
      version: 'test',
      token: 'test-token-0123456789abcdef',
      tokenFile: join(dir, 'unused.token'),
      broker: { kind: 'metaapi', broker, symbols: [SYMBOL], paper: null, describe: 'no-history venue' },
    });
    try {
      expect(warnings.join('')).toMatch(/no bar history from the broker: the features warm up from live bars/);
      expect(service.session.engine.positionIds()).toEqual([`${ticket}#1`]);
      const until = async (n: number) => {
        await waitUntil(() => service.loop.played >= n);
      };
      // No history: the first poll feeds the last 3 closed bars, then each one as it closes.
      await until(3);
      expect(service.loop.played).toBe(3);
      expect(service.session.health().feeds[0]!.lastBarAt).toBe(closeOf(bars[1199]!));
      venue.closeBars(1203);
      await until(6);
      expect(service.loop.played).toBe(6);
      expect(service.session.health().feeds[0]!.lastBarAt).toBe(closeOf(bars[1202]!));
    } finally {
      await service.stop();
      store.close();
    }
  }, 30_000);
});

/**
 * A fake MetaApi account: 1,200 closed bars, the trader's position well toward its target (the partial
 * is due), the last bar's close quoted. Bars are polled once (at start; none closes during the test).
 */
function streamingVenue() {
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
  const broker = new MetaApiBroker({
    accountId: 'test-account',
    gateway: fake,
    symbols: [MT5_XAU],
    clock: () => fake.now,
  });
  return { bars, fake, ticket, broker };
}

describe('serve on a real account that streams quotes (MetaApi)', () => {
  it('decides on the streamed quotes between bars, sends to the venue, reports the feed, and closes the stream on stop', async () => {
    const { bars, fake, ticket, broker } = streamingVenue();
    // Bars polled once (at start; none closes during the test), quotes taken every 20 ms.
    const config = configSchema.parse({
      service: { port: 0 },
      broker: { kind: 'metaapi', symbols: [MT5_XAU], pollSec: 300, quoteSec: 0.02 },
    });
    const store = openSqliteStore(join(dir, 'quotes.db'), { now: PINNED_NOW });
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: 'test-token-0123456789abcdef',
      tokenFile: join(dir, 'unused.token'),
      broker: { kind: 'metaapi', broker, symbols: [MT5_XAU], paper: null, describe: 'fake MetaApi' },
    });
    try {
      expect(service.quotes?.describe()).toBe('decisions on quotes every 0.02 s (streamed)');
      expect(fake.listening).toBe(1);
      // A quote streams in, 2 s after the last bar closed: the partial is decided on it and sent.
      fake.now += 2_000;
      fake.setBid(bars[1199]!.close);
      await waitUntil(() => store.intentsSince(0).length >= 1);
      const sent = store.intentsSince(0);
      expect(sent.map((i) => `${i.intent.kind}:${i.intent.rule}`)[0]).toBe('close_partial:partial');
      expect(sent[0]!.intent.time).toBe(fake.now);
      expect(service.loop.played).toBe(0);
      await waitUntil(() => store.intent(sent[0]!.intent.id)?.status === 'applied');
      expect(fake.heldPositions().find((p) => p.id === ticket)?.volume).toBeCloseTo(0.3, 9);
      expect(service.quotes!.steps).toBeGreaterThanOrEqual(1);
      expect(fake.unexpected).toEqual([]);
    } finally {
      await service.stop();
      store.close();
    }
    expect(fake.listening).toBe(0);
    expect(fake.closed).toBe(true);
  }, 30_000);

  it("in shadow mode a quote's decision is recorded as shadow and not sent", async () => {
    const { bars, fake, ticket, broker } = streamingVenue();
    const config = configSchema.parse({
      service: { port: 0 },
      broker: { kind: 'metaapi', mode: 'shadow', symbols: [MT5_XAU], pollSec: 300, quoteSec: 0.02 },
    });
    const store = openSqliteStore(join(dir, 'quotes-shadow.db'), { now: PINNED_NOW });
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: 'test-token-0123456789abcdef',
      tokenFile: join(dir, 'unused.token'),
      broker: { kind: 'metaapi', broker, symbols: [MT5_XAU], paper: null, describe: 'fake MetaApi' },
    });
    try {
      expect(service.quotes?.describe()).toBe('decisions on quotes every 0.02 s (streamed)');
      expect(fake.listening).toBe(1);
      // A quote streams in, 2 s after the last bar closed: the partial is decided on it, and not sent.
      fake.now += 2_000;
      fake.setBid(bars[1199]!.close);
      const shadowed = () => store.recentDecisions(100).filter((r) => r.outcome === 'shadow');
      await waitUntil(() => shadowed().length >= 1);
      expect(shadowed()[0]).toMatchObject({ rule: 'partial', time: fake.now });
      expect(store.intentsSince(0)).toEqual([]);
      expect(service.loop.played).toBe(0);
      expect(fake.heldPositions().find((p) => p.id === ticket)?.volume).toBe(1);
      expect(service.session.shadow!.position(ticket)).toMatchObject({
        wouldBeVolume: 0.3,
        venueVolume: 1,
        decisions: 1,
      });
      expect(fake.unexpected).toEqual([]);
    } finally {
      await service.stop();
      store.close();
    }
    expect(fake.listening).toBe(0);
    expect(fake.closed).toBe(true);
  }, 30_000);
});
