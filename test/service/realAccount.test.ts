// `warden serve` on a real account (not the played paper market): the account's rules and history are
// read from the venue, the position a trader opened there is adopted, the venue's newly closed bars
// drive the session, and the intents go to the venue, all through the real HTTP server and a real
// SQLite file. The venue here is a paper account standing in for a remote one: it is reached only
// through BrokerPort, as ccxt's and MetaApi's adapters are.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfiguredBroker } from '../../src/brokers/brokerFromConfig.ts';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Bar } from '../../src/domain/types.ts';
import { createLogger } from '../../src/log.ts';
import { healthSchema, positionSchema } from '../../src/service/apiSchemas.ts';
import { startService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { BAR_MS, sampleBars, SYMBOL } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-real-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('serve on a real account (venue bars, venue positions)', () => {
  it('adopts the venue position, steps on the venue bars as they close, and sends its intents to the venue', async () => {
    const config = configSchema.parse({ service: { port: 0 }, broker: { kind: 'ccxt', symbols: [SYMBOL], pollSec: 1, historyBars: 1000 } });
    const instrument = instrumentFromConfig(config, SYMBOL, true);
    const raw = sampleBars(5, 1260);
    // The history ends a few seconds ago, as a live venue's would (health judges feeds on the wall clock).
    const shift = Date.now() - 3_000 - (raw[1199]!.time + BAR_MS);
    const bars: Bar[] = raw.map((b) => ({ ...b, time: b.time + shift }));
    // A trader's position opened at bar i0, with its stop and target beyond every price since: pick
    // the bar and side furthest in profit at the last bar, so breakeven is due when the session starts.
    let best = { i0: 0, side: 'buy' as 'buy' | 'sell', sl: 0, tp: 0, progress: -1 };
    for (let i0 = 1000; i0 < 1190; i0++) {
      let hi = -Infinity;
      let lo = Infinity;
      for (let k = i0 + 1; k < 1200; k++) {
        hi = Math.max(hi, bars[k]!.high);
        lo = Math.min(lo, bars[k]!.low);
      }
      const e = bars[i0]!.close;
      const c = bars[1199]!.close;
      const up = { i0, side: 'buy' as const, sl: Math.floor(lo - 2), tp: Math.ceil(hi + 2), progress: (c - e) / (Math.ceil(hi + 2) - e) };
      const down = { i0, side: 'sell' as const, sl: Math.ceil(hi + 3), tp: Math.floor(lo - 2), progress: (e - c) / (e - Math.floor(lo - 2)) };
      for (const cand of [up, down]) if (cand.progress > best.progress) best = cand;
    }
    expect(best.progress).toBeGreaterThan(0.35);
    const venue = new PaperAccount([instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
    venue.addHistory(SYMBOL, bars.slice(0, best.i0));
    venue.onBar(SYMBOL, bars[best.i0]!, bars[best.i0]!.time + BAR_MS);
    const opened = venue.broker(SYMBOL).open({ requestId: 'hand', side: best.side, volume: 1, sl: best.sl, tp: best.tp, comment: '', exempt: true });
    if (opened.outcome !== 'applied') throw new Error('the venue refused the test position');
    const ticket = opened.positionId;
    const { side, sl } = best;
    for (let k = best.i0 + 1; k < 1200; k++) venue.onBar(SYMBOL, bars[k]!, bars[k]!.time + BAR_MS);
    expect((await venue.positions()).map((p) => p.id)).toEqual([ticket]);

    const configured: ConfiguredBroker = { kind: 'ccxt', broker: venue, symbols: [SYMBOL], paper: null, describe: 'test venue' };
    const store = openSqliteStore(join(dir, 'real.db'), { now: Date.now() });
    const service = await startService({ config, store, log: createLogger({ level: 'silent' }), version: 'test', token: 'test-token-0123456789abcdef', tokenFile: join(dir, 'unused.token'), broker: configured });
    try {
      expect(service.paper).toBeNull();
      const get = async (path: string) => (await fetch(new URL(path, service.url))).json() as Promise<unknown>;
      const listed = positionSchema.array().parse(await get('/api/positions'));
      expect(listed.map((p) => p.ticket)).toEqual([ticket]);
      // Two bars close at the venue; the loop polls every second.
      venue.onBar(SYMBOL, bars[1200]!, bars[1200]!.time + BAR_MS);
      venue.onBar(SYMBOL, bars[1201]!, bars[1201]!.time + BAR_MS);
      const deadline = Date.now() + 10_000;
      while (service.loop.played < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(service.loop.played).toBe(2);
      const health = healthSchema.parse(await get('/api/health'));
      expect(health.feeds.map((f) => f.symbol)).toEqual([SYMBOL]);
      expect(health.feeds[0]!.lastBarAt).toBe(new Date(bars[1201]!.time + BAR_MS).toISOString());
      // What the session decided went to the venue, and the venue shows it.
      const sent = store.intentsSince(0);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.every((i) => i.status === 'applied')).toBe(true);
      const atVenue = (await venue.positions()).find((p) => p.id === ticket)!;
      const tightened = side === 'buy' ? atVenue.sl! > sl : atVenue.sl! < sl;
      expect(tightened || atVenue.volume < 1).toBe(true);
    } finally {
      await service.stop();
      store.close();
    }
  }, 30_000);
});
