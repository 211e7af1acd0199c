// `warden serve --shadow` on the embedded paper account: Warden decides on every position and records
// each intent it would send (outcome 'shadow'), and sends nothing: the journal holds no intent and the
// paper venue has applied no request of Warden's. /api/shadow scores every position; a symbol is
// promoted to live through the API, recorded, and its decisions are sent from then on. A restart in
// shadow mode goes on with the same would-be positions. `warden shadow report` reads the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { wardenCli } from '../support/cliRun.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-shadow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'shadow-test-token-0123456789';

async function serve(file: string, lines: string[]): Promise<{ service: RunningService; store: WardenStore }> {
  const config = configSchema.parse({ broker: { mode: 'shadow' }, service: { port: 0, market: { speed: 500 } } });
  const store = openSqliteStore(file, { now: PINNED_NOW });
  const log = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } });
  const service = await startService({
    config,
    store,
    log,
    clock: () => PINNED_NOW,
    version: 'test',
    token: TOKEN,
    tokenFile: join(dir, 'unused.token'),
  });
  return { service, store };
}

/** Request ids the paper venue applied that are not the played market's own demo opens. */
function wardenRequests(service: RunningService): string[] {
  return service.paper!.snapshot().symbols.flatMap((s) => s.broker.appliedIds.filter((id) => !id.startsWith('demo:')));
}

describe('shadow mode on the embedded paper account', () => {
  const file = join(dir, 'shadow.db');

  it('decides, records every would-be intent as a shadow decision, sends nothing; promotion makes a symbol live', async () => {
    const lines: string[] = [];
    const { service, store } = await serve(file, lines);
    try {
      // The played market's two weeks of history make every feature ready at the first step.
      expect(service.session.health().features.map((f) => [f.symbol, f.featuresReady, f.missing])).toEqual(
        ['XAUUSDc', 'EURUSD', 'BTCUSDc'].map((s) => [s, true, []]),
      );
      const shadowDecisions = () => store.recentDecisions(100_000).filter((r) => r.outcome === 'shadow');
      expect(
        await waitUntil(
          () =>
            service.loop.played >= 900 &&
            shadowDecisions().some((r) => r.rule === 'breakeven') &&
            shadowDecisions().some((r) => r.rule === 'partial'),
          2000,
        ),
      ).toBe(true);
      await service.loop.pause();
      expect(store.intentsSince(0)).toEqual([]);
      expect(wardenRequests(service)).toEqual([]);
      const shadow = shadowDecisions();
      expect(
        shadow.every(
          (r) => r.reason === 'not_sent_shadow' && r.note.includes('shadow mode: not sent') && r.intentId !== '',
        ),
      ).toBe(true);
      expect(lines.some((l) => l.includes('shadow, not sent: breakeven'))).toBe(true);

      const report = (await (await fetch(`${service.url}api/shadow`)).json()) as {
        mode: string;
        shadowed: string[];
        totals: { positions: number; final: number; decisions: number; diffMeanR: number | null };
        positions: {
          ticket: string;
          symbol: string;
          decisions: number;
          shadowExit: unknown;
          actualExit: unknown;
          shadowR: number | null;
          actualR: number | null;
          wouldBeSl: number | null;
          venueSl: number | null;
        }[];
      };
      expect(report.mode).toBe('shadow');
      expect(report.shadowed).toEqual(['XAUUSDc', 'EURUSD', 'BTCUSDc']);
      expect(report.totals.positions).toBeGreaterThan(0);
      // The answer holds what its schema names, nothing of the book's internals.
      expect(Object.keys(report.positions[0]!).sort()).toEqual([
        'actualExit',
        'actualR',
        'decisions',
        'entryPrice',
        'final',
        'openTime',
        'shadowExit',
        'shadowR',
        'side',
        'symbol',
        'ticket',
        'venueSl',
        'venueVolume',
        'virtual',
        'wouldBeSl',
        'wouldBeVolume',
      ]);
      expect(report.totals.decisions).toBe(report.positions.reduce((n, p) => n + p.decisions, 0));
      expect(report.totals.final).toBeGreaterThan(0);
      expect(report.totals.diffMeanR).not.toBeNull();
      // The venue's stop is never Warden's: a would-be stop differs from it where Warden would have moved it.
      const venue = new Map((await service.broker.positions()).map((p) => [p.id, p]));
      for (const p of report.positions) {
        const v = venue.get(p.ticket);
        if (v !== undefined && p.venueSl !== null) expect(v.sl).toBe(p.venueSl);
      }
      // A managed position's view: sl and volume are the venue's, the shadow block the would-be ones.
      const list = (await (await fetch(`${service.url}api/positions`)).json()) as {
        ticket: string;
        sl: number | null;
        volume: number;
        shadow: { wouldBeSl: number | null } | null;
      }[];
      expect(list.length).toBeGreaterThan(0);
      for (const p of list) {
        expect(p.shadow).not.toBeNull();
        expect(p.sl).toBe(venue.get(p.ticket)?.sl ?? p.sl);
        expect(p.volume).toBe(venue.get(p.ticket)?.volume ?? p.volume);
      }

      // Promotion: the token is needed, an unknown symbol is a 409 with a message.
      const post = (body: unknown, token = TOKEN) =>
        fetch(`${service.url}api/shadow/promote`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });
      expect((await post({ symbol: 'XAUUSDc' }, 'wrong-token-0123456789')).status).toBe(401);
      const unknown = await post({ symbol: 'GBPUSD' });
      expect(unknown.status).toBe(409);
      expect(((await unknown.json()) as { message: string }).message).toMatch(/GBPUSD is not shadowed/);
      expect((await post({})).status).toBe(400);
      const promoted = await post({ symbol: 'XAUUSDc' });
      expect(promoted.status).toBe(200);
      expect(
        store.recentDecisions(100_000).some((r) => r.reason === 'promoted_to_live' && r.symbol === 'XAUUSDc'),
      ).toBe(true);
      expect((await post({ symbol: 'XAUUSDc' })).status).toBe(409);
      service.loop.resume();
      expect(await waitUntil(() => store.intentsSince(0).length > 0, 2000)).toBe(true);
      await service.loop.pause();
      // Only the promoted symbol's decisions are sent.
      expect(new Set(store.intentsSince(0).map((i) => i.intent.symbol))).toEqual(new Set(['XAUUSDc']));
      expect(wardenRequests(service).length).toBeGreaterThan(0);
    } finally {
      await service.stop();
      store.close();
    }
  });

  it('a restart in shadow mode goes on with the same would-be positions and promotions; warden shadow report reads the store', async () => {
    const lines: string[] = [];
    const { service, store } = await serve(file, lines);
    try {
      const book = service.session.shadow!;
      expect(book.shadowed()).toEqual(['EURUSD', 'BTCUSDc']);
      expect(book.scores().length).toBeGreaterThan(0);
    } finally {
      await service.stop();
      store.close();
    }
    const text = await wardenCli('shadow', 'report', '--store', file);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^shadow report of .*: \d+ position\(s\), \d+ ended/m);
    expect(text.stdout).toMatch(/promoted to live: XAUUSDc/);
    expect(text.stdout).toMatch(
      /would-be [+-]\d\.\d\d R against actual [+-]\d\.\d\d R per position; difference [+-]\d\.\d\d ± \d\.\d{3} R/,
    );
    const json = await wardenCli('shadow', 'report', '--store', file, '--json');
    expect((JSON.parse(json.stdout) as { totals: { positions: number } }).totals.positions).toBeGreaterThan(0);
    const none = await wardenCli('shadow', 'report', '--store', join(dir, 'nothing.db'));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no store there/);
  });
});
