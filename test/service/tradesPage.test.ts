// The closed trades pages in a real headless Chromium, against `warden serve` on the paper account (the
// clock pinned) once its market has closed a few positions: /trades lists exactly what
// /api/trades/closed gave it, newest close first, each row linking to its trade page, and filters by
// symbol (kept in the URL); a closed ticket's trade page shows its whole life (entry, exit and why,
// realized with the partials, R, where each figure came from, the closing deals, the price with the stop
// path, the decisions) instead of "not under management". Both at a desktop and a phone width (390 px),
// where the page never scrolls sideways; screenshots in out/screenshots/. No request goes elsewhere,
// and the only 4xx is the closed position's own 404 (the page follows its pointer).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { ClosedTrade, WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const CHROMIUM = process.env.WARDEN_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_BROWSER = existsSync(CHROMIUM);
const SCREENSHOTS = fileURLToPath(new URL('../../out/screenshots/', import.meta.url));
const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
if (!HAVE_BROWSER) console.warn(`closed trades page browser tests SKIPPED: no Chromium at ${CHROMIUM}`);

describe.skipIf(!HAVE_BROWSER)(
  HAVE_BROWSER
    ? 'the closed trades pages in Chromium'
    : `the closed trades pages in Chromium (SKIPPED: no Chromium at ${CHROMIUM})`,
  { timeout: 120_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-trades-page-'));
    let service: RunningService;
    let store: WardenStore;
    let browser: Browser;
    let origin: string;

    beforeAll(async () => {
      const config = configSchema.parse({
        service: { port: 0, market: { speed: 400, warmupMinutes: 1500, demoPositions: 3 } },
      });
      store = openSqliteStore(join(dir, 'trades.db'), { now: PINNED_NOW });
      service = await startService({
        config,
        store,
        log: createLogger({ level: 'silent' }),
        clock: () => PINNED_NOW,
        version: 'test',
        token: 'trades-page-token-0123456789',
        tokenFile: join(dir, 'unused.token'),
      });
      // Enough closed trades for a list worth filtering, one of them with a partial when the market gives one.
      await waitUntil(() => {
        const all = store.closedTradePage({ limit: 200 });
        return all.length >= 12 && (all.some((t) => t.deals.length > 1) || all.length >= 40);
      }, 2400);
      await service.loop.pause();
      await waitUntil(() => store.endedWithoutClosedTrade(10).length === 0);
      origin = new URL(service.url).origin;
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      });
      mkdirSync(SCREENSHOTS, { recursive: true });
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      await service?.stop();
      store?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    interface Watched {
      page: Page;
      problems: string[];
      bodies: Map<string, unknown[]>;
    }

    async function open(
      path: string,
      width: number,
      allowed4xx: (path: string, status: number) => boolean = () => false,
    ): Promise<Watched> {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      page.setDefaultTimeout(30_000);
      const w: Watched = { page, problems: [], bodies: new Map() };
      page.on('request', (r) => {
        if (!r.url().startsWith(`${origin}/`)) w.problems.push(`request elsewhere: ${r.url()}`);
      });
      page.on('response', (r) => {
        const url = new URL(r.url());
        const status = r.status();
        if (status >= 400 && !(url.pathname === '/api/health' && status === 503) && !allowed4xx(url.pathname, status))
          w.problems.push(`${status} for ${r.url()}`);
        if (url.pathname.startsWith('/api/') && url.pathname !== '/api/events') {
          r.json().then(
            (body: unknown) =>
              w.bodies.set(url.pathname + url.search, [...(w.bodies.get(url.pathname + url.search) ?? []), body]),
            () => undefined,
          );
        }
      });
      page.on('console', (m) => {
        if (
          m.type() === 'error' &&
          !/^Failed to load resource: the server responded with a status of (404|503)/.test(m.text())
        )
          w.problems.push(`console error: ${m.text()}`);
      });
      page.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
      expect((await page.goto(`${origin}${path}`))?.status()).toBe(200);
      return w;
    }

    /** The page is no wider than the window: nothing scrolls sideways. */
    async function noSidewaysScroll(page: Page): Promise<void> {
      const widths = await page.evaluate<{ doc: number; view: number }>(
        '({ doc: document.documentElement.scrollWidth, view: window.innerWidth })',
      );
      expect(widths.doc, `page ${widths.doc}px wide in a ${widths.view}px window`).toBeLessThanOrEqual(widths.view);
    }

    async function shoot(page: Page, name: string): Promise<void> {
      const file = join(SCREENSHOTS, name);
      await page.screenshot({ path: file, fullPage: true });
      const png = readFileSync(file);
      expect(png.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))).toBe(true);
      expect(png.length).toBeGreaterThan(10_000);
    }

    for (const [name, width] of [
      ['desktop', 1400],
      ['phone', 390],
    ] as const) {
      it(`/trades lists the closed trades the API gave it, linked to their pages, and filters by symbol (${name})`, async () => {
        const w = await open('/trades', width);
        const { page } = w;
        await page.locator('#trades tbody tr[data-lifetime]').first().waitFor();
        const shown = await page
          .locator('#trades tbody tr[data-lifetime]')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-lifetime')));
        const all = store.closedTradePage({ limit: 100 });
        expect(shown).toEqual(all.map((t) => t.key));
        const first = page.locator('#trades tbody tr[data-lifetime]').first();
        expect(await first.locator('a').getAttribute('href')).toBe(`/dtms/trade/${all[0]!.ticket}`);
        expect(await first.locator('td.time').innerText()).toMatch(UTC_ISO);
        expect(await page.locator('[data-field="count"]').innerText()).toBe(String(all.length));
        expect(await page.locator('#nav-check, header nav a[href="/trades"][aria-current="page"]').count()).toBe(1);
        await noSidewaysScroll(page);
        await shoot(page, `trades-${name}.png`);

        // One symbol: the rows are that symbol's trades, and the URL keeps the filter.
        const symbol = all[0]!.symbol;
        await page.locator('#f-symbol').selectOption(symbol);
        await page.locator('#filters button[type="submit"]').click();
        const only = all.filter((t) => t.symbol === symbol).map((t) => t.key);
        await expect
          .poll(() =>
            page
              .locator('#trades tbody tr[data-lifetime]')
              .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-lifetime'))),
          )
          .toEqual(only);
        expect(new URL(page.url()).search).toBe(`?symbol=${symbol}`);
        // The page asked the API with the filter.
        expect(
          [...w.bodies.keys()].some((k) => k.startsWith('/api/trades/closed?') && k.includes(`symbol=${symbol}`)),
        ).toBe(true);
        await noSidewaysScroll(page);
        expect(w.problems).toEqual([]);
        await page.close();
      });

      it(`a closed ticket's page shows its whole life, not "not under management" (${name})`, async () => {
        // The trade with the most closing deals (a partial, when the market gave one).
        const t = store
          .closedTradePage({ limit: 200 })
          .reduce((a: ClosedTrade, b) => (b.deals.length > a.deals.length ? b : a));
        const w = await open(
          `/dtms/trade/${t.ticket}`,
          width,
          (path, status) =>
            status === 404 && (path === `/api/dtms/trade/${t.ticket}` || path === `/api/positions/${t.ticket}`),
        );
        const { page } = w;
        await page.locator('.closed-only:not([hidden]) #c-trade dd').first().waitFor();
        expect(await page.locator('#missing').isHidden()).toBe(true);
        expect(await page.locator('#closed strong').innerText()).toBe(`Trade ${t.ticket} is closed`);
        expect(await page.locator('.open-only').first().isHidden()).toBe(true);
        const field = (f: string) => page.locator(`[data-field="${f}"]`).innerText();
        expect(await field('closed.lifetime')).toBe(t.key);
        expect(await field('closed.openTime')).toBe(new Date(t.openTime).toISOString().replace(/\.\d{3}Z$/, 'Z'));
        expect(await field('closed.closeTime')).toBe(new Date(t.closeTime).toISOString().replace(/\.\d{3}Z$/, 'Z'));
        expect(await field('closed.exitReason')).toBe(
          {
            sl: 'stop loss',
            tp: 'take profit',
            warden_close: 'Warden closed',
            warden_partials: 'Warden partials',
            dtms_close: 'DTMS closed',
            stop_out: 'stop-out',
            outside: 'outside Warden',
            unknown: 'unknown',
          }[t.exitReason],
        );
        const signed = (x: number | null, suffix = '') =>
          x === null ? '—' : `${x > 0 ? '+' : ''}${x.toFixed(2)}${suffix}`;
        expect(await field('closed.realizedProfit')).toBe(signed(t.realizedProfit));
        expect(await field('closed.partialsProfit')).toBe(signed(t.partialsProfit));
        expect(await field('closed.r')).toBe(signed(t.r, ' R'));
        expect(await field('closed.sources.exit')).toBe("the venue's history");
        expect(await page.locator('#deals tbody tr[data-by]').count()).toBe(t.deals.length);
        // The decision history: the lifetime's, its end the newest.
        await page.locator('#decisions tbody tr[data-rule]').first().waitFor();
        expect(await page.locator('#decisions tbody tr[data-rule]').first().getAttribute('data-rule')).toBe('lifetime');
        // The price with the stop path, up to the exit.
        await expect
          .poll(async () => Number(await page.locator('#chart').getAttribute('data-bars')))
          .toBeGreaterThan(100);
        expect(Number(await page.locator('#chart').getAttribute('data-stops'))).toBeGreaterThanOrEqual(
          t.initialSl === null ? 0 : 2,
        );
        expect(await page.locator('#live').getAttribute('data-live')).toBe('offline');
        await noSidewaysScroll(page);
        await shoot(page, `closed-trade-${name}.png`);
        expect(w.problems).toEqual([]);
        await page.close();
      });
    }
  },
);
