// The quote feed of a real account: the MetaApi adapter over the fake SDK connection streams its
// quotes (pushed as the test moves the price), a venue without a stream is asked at every pass, and a
// stream that stops shows in the feed's problems (health). The session is a recorder here (its quote
// step is tested in test/execution/quoteStep.test.ts); the clock and the sleeps are the test's.
import { describe, expect, it } from 'vitest';
import type { BrokerQuote } from '../../src/brokers/brokerPort.ts';
import { MetaApiBroker } from '../../src/brokers/metaApiBroker.ts';
import type { QuoteStepReport } from '../../src/execution/accountSession.ts';
import { QuoteFeed } from '../../src/service/quoteFeed.ts';
import { FakeMetaApi, XAU } from '../brokers/fakeMetaApi.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';

/** A session that records the quotes it is handed and takes each. */
function recorder() {
  const got: { symbol: string; q: BrokerQuote }[] = [];
  return {
    got,
    session: {
      onQuote: async (symbol: string, q: BrokerQuote): Promise<QuoteStepReport> => {
        got.push({ symbol, q });
        return { intents: [], featuresHeld: false, skipped: '' };
      },
    },
  };
}

function streamed() {
  const fake = new FakeMetaApi('hedging');
  fake.now = PINNED_NOW;
  const broker = new MetaApiBroker({ accountId: 'test', gateway: fake, symbols: [XAU], clock: () => fake.now });
  return { fake, broker };
}

describe('QuoteFeed', () => {
  it('streams from the venue: each pass takes the latest quote only, nothing when none is new; stop closes the stream', async () => {
    const { fake, broker } = streamed();
    const rec = recorder();
    let now = PINNED_NOW;
    const feed = new QuoteFeed({
      broker,
      session: rec.session,
      symbols: [XAU],
      everyMs: 2_000,
      staleMs: 60_000,
      clock: () => now,
    });
    expect(await feed.open()).toBe('streamed');
    expect(feed.describe()).toBe('decisions on quotes every 2 s (streamed)');
    expect(fake.listening).toBe(1);
    const before = fake.calls.length;
    for (let k = 1; k <= 3; k++) {
      fake.now += 500;
      fake.setBid(2000 + k);
    }
    expect(await feed.pass()).toBe(1);
    expect(rec.got.map((g) => g.q)).toEqual([{ time: fake.now, bid: 2003, ask: 2003.2 }]);
    // Nothing new: no step, and nothing asked of the venue (the stream carries the quotes).
    now += 2_000;
    expect(await feed.pass()).toBe(0);
    expect(fake.calls.slice(before).map((c) => c.method)).toEqual([]);
    // A malformed or foreign price is dropped; crossed ones go to the session, which refuses them.
    fake.streamPrice({ symbol: XAU, bid: Number.NaN, ask: 1, time: 'not a time' });
    fake.streamPrice({ symbol: 'EURUSD', bid: 1.1, ask: 1.2, time: new Date(fake.now + 1) });
    expect(await feed.pass()).toBe(0);
    expect(feed.steps).toBe(1);
    expect(feed.problems()).toEqual([]);
    await feed.stop();
    expect(fake.listening).toBe(0);
    fake.now += 500;
    fake.setBid(2010);
    expect(rec.got).toHaveLength(1);
  });

  it('a stream that has sent nothing for staleMs: health says so, and the venue is asked meanwhile', async () => {
    const { fake, broker } = streamed();
    const rec = recorder();
    let now = PINNED_NOW;
    const feed = new QuoteFeed({
      broker,
      session: rec.session,
      symbols: [XAU],
      everyMs: 2_000,
      staleMs: 30_000,
      clock: () => now,
    });
    await feed.open();
    fake.now += 1_000;
    fake.setBid(2001);
    await feed.pass();
    now += 29_000;
    expect(feed.problems()).toEqual([]);
    // The stream stops (the connection dropped): the terminal's price is not used, the RPC is asked.
    fake.streamConnected = false;
    fake.now += 40_000;
    fake.setBid(2005);
    now += 2_000;
    expect(feed.problems()).toEqual([
      expect.stringMatching(
        /^quotes of XAUUSDc are stale: the quote stream has sent nothing new for 31 s \(limit 30 s\)/,
      ),
    ]);
    expect(await feed.pass()).toBe(1);
    expect(rec.got.at(-1)!.q).toMatchObject({ bid: 2005, time: fake.now });
    expect(fake.calls.at(-1)?.method).toBe('getSymbolPrice');
    // It streams again: healthy again.
    fake.streamConnected = true;
    fake.now += 1_000;
    fake.setBid(2006);
    expect(feed.problems()).toEqual([]);
    expect(await feed.pass()).toBe(1);
    await feed.stop();
  });

  it('polls a venue without a stream at every pass; a quote that has not moved is not stepped on; failures are counted, not thrown', async () => {
    let quote: BrokerQuote = { time: PINNED_NOW, bid: 100, ask: 100.5 };
    let failing = false;
    let asked = 0;
    const broker = {
      quote: async (): Promise<BrokerQuote> => {
        asked++;
        if (failing) throw new Error('venue down');
        return quote;
      },
    };
    const rec = recorder();
    let now = PINNED_NOW;
    const feed = new QuoteFeed({
      broker,
      session: rec.session,
      symbols: ['BTC/USDT:USDT'],
      everyMs: 5_000,
      staleMs: 20_000,
      crypto: new Set(['BTC/USDT:USDT']),
      clock: () => now,
    });
    expect(await feed.open()).toBe('polled');
    expect(feed.describe()).toBe('decisions on quotes every 5 s (polled)');
    expect(await feed.pass()).toBe(1);
    expect(await feed.pass()).toBe(0);
    quote = { time: PINNED_NOW + 5_000, bid: 101, ask: 101.5 };
    expect(await feed.pass()).toBe(1);
    failing = true;
    now += 25_000;
    expect(await feed.pass()).toBe(0);
    expect(asked).toBe(4);
    expect(feed.problems()).toEqual([
      expect.stringMatching(/^quotes of BTC\/USDT:USDT are stale: the venue has given no new quote for 25 s/),
    ]);
    await feed.stop();
  });

  it('a stream that cannot be opened: quotes are polled, and the start line says why', async () => {
    const rec = recorder();
    const broker = {
      quote: async (): Promise<BrokerQuote> => ({ time: PINNED_NOW, bid: 1, ask: 1.1 }),
      watchQuotes: async (): Promise<() => Promise<void>> => {
        throw new Error('metaapi: cannot subscribe to the quotes of XAUUSDc');
      },
    };
    const feed = new QuoteFeed({
      broker,
      session: rec.session,
      symbols: [XAU],
      everyMs: 1_000,
      staleMs: 10_000,
      clock: () => PINNED_NOW,
    });
    expect(await feed.open()).toBe('polled');
    expect(feed.describe()).toBe(
      'decisions on quotes every 1 s (polled: the stream could not be opened, metaapi: cannot subscribe to the quotes of XAUUSDc)',
    );
    expect(await feed.pass()).toBe(1);
  });

  it('runs a pass every everyMs on its own sleep, and stops after the pass under way', async () => {
    const { fake, broker } = streamed();
    const rec = recorder();
    const naps: number[] = [];
    let release: (() => void) | null = null;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        naps.push(ms);
        release = resolve;
      });
    const feed = new QuoteFeed({
      broker,
      session: rec.session,
      symbols: [XAU],
      everyMs: 3_000,
      staleMs: 60_000,
      clock: () => PINNED_NOW,
      sleep,
    });
    const running = feed.run();
    const waitNap = async (n: number) => {
      for (let i = 0; i < 100 && naps.length < n; i++) await new Promise((r) => setImmediate(r));
    };
    for (let k = 1; k <= 3; k++) {
      await waitNap(k);
      fake.now += 1_000;
      fake.setBid(2000 + k);
      release!();
    }
    await waitNap(4);
    expect(naps).toEqual([3_000, 3_000, 3_000, 3_000]);
    expect(rec.got.map((g) => g.q.bid)).toEqual([2001, 2002, 2003]);
    const stopped = feed.stop();
    release!();
    await stopped;
    await running;
    expect(fake.listening).toBe(0);
  });
});
