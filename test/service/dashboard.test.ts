// The web dashboard, served by the service's own server: first without a browser (every page source uses
// relative URLs only; every route answers 200 with its content type and the strict CSP), then in a real
// headless Chromium against the real service playing its market: the overview lists the open positions
// with the health banner and DTMS states, a trade page shows the DTMS trade JSON, the price chart with the stop
// path and the decision history, an unknown ticket says it is not under management, the DTMS pages show
// their data, live updates arrive, and no request goes elsewhere or fails. Screenshots go to out/screenshots/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { CHART_LIBRARY_URL, PAGE_ROUTES, PAGES_DIR, readChartLibrary } from '../../src/service/dashboard.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';

const CHROMIUM = process.env.WARDEN_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_BROWSER = existsSync(CHROMIUM);
const REQUIRE_BROWSER = process.env.WARDEN_REQUIRE_BROWSER === '1';
/** Money as the strip shows it: 10,012.30 */
const MONEY = /^-?[\d,]+\.\d\d$/;
const SCREENSHOTS = fileURLToPath(new URL('../../out/screenshots/', import.meta.url));
const TOKEN = 'dashboard-test-token-0123456789';
const DTMS_STATES = ['HEALTHY', 'WARNING_L1', 'WARNING_L2', 'HEDGED', 'RECOVERING', 'CLOSED'];
const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** Absolute URLs the page sources may hold: the chart library's attribution link, and the SVG namespace (never fetched). */
const ALLOWED_ABSOLUTE = new Set(['https://www.tradingview.com/', 'http://www.w3.org/2000/svg']);

if (!HAVE_BROWSER && !REQUIRE_BROWSER) {
  console.warn(
    `dashboard browser tests SKIPPED: no Chromium at ${CHROMIUM} (install chromium or set WARDEN_CHROMIUM; WARDEN_REQUIRE_BROWSER=1 makes this a failure)`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'warden-dashboard-'));
let service: RunningService;
let store: WardenStore;

beforeAll(async () => {
  const config = configSchema.parse({ service: { port: 0, market: { speed: 400 } } });
  store = openSqliteStore(join(dir, 'dashboard.db'), { now: PINNED_NOW });
  service = await startService({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    clock: () => PINNED_NOW,
    version: 'test',
    token: TOKEN,
    tokenFile: join(dir, 'unused.token'),
  });
  // Let the loop play a few hundred bars, so positions have plans, decisions and DTMS checks.
  while (service.loop.played < 300) await new Promise((r) => setTimeout(r, 50));
}, 60_000);

afterAll(async () => {
  await service?.stop();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, init?: RequestInit) => fetch(new URL(path, service.url), init);
const pageFiles = () => readdirSync(PAGES_DIR).filter((f) => /\.(html|js|css|svg)$/.test(f));
const read = (name: string) => readFileSync(join(PAGES_DIR, name), 'utf8');

describe('dashboard sources and routes (no browser)', () => {
  it('every page source uses relative URLs only: no host, no port, API paths from the root', () => {
    const files = pageFiles();
    expect(files).toEqual(
      expect.arrayContaining([
        'overview.html',
        'trade.html',
        'trades.html',
        'status.html',
        'actions.html',
        'engine.html',
        'common.js',
        'dashboard.css',
      ]),
    );
    for (const name of files) {
      const text = read(name);
      const absolute = [...text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>)]*/gi)]
        .map((m) => m[0])
        .filter((u) => !ALLOWED_ABSOLUTE.has(u));
      expect(absolute, name).toEqual([]);
      expect(text, name).not.toMatch(/localhost|127\.0\.0\.1|\[::1\]|:\d{4,5}\//);
      // Protocol-relative URLs ("//host/...") in strings or attributes.
      expect(text, name).not.toMatch(/["'`(=]\s*\/\/[a-z0-9]/i);
      // API paths in string literals start at the root (the trade page lives under /dtms/trade/).
      for (const m of text.matchAll(/(['"`])((?:\.{0,2}\/)*api\/[^'"`\n]*)\1/g))
        expect(m[2], `${name}: ${m[2]}`).toMatch(/^\/api\//);
      // Links, scripts and styles of the HTML point into this server.
      for (const m of text.matchAll(/\b(?:src|href)="([^"$]*)"/g))
        if (!ALLOWED_ABSOLUTE.has(m[1]!)) expect(m[1], `${name}: ${m[1]}`).toMatch(/^\/(?!\/)/);
      // Only common.js talks to the network, and only through getJson (which refuses a path outside /api/).
      if (name !== 'common.js') expect(text, name).not.toMatch(/\bfetch\(|XMLHttpRequest|WebSocket|new EventSource/);
    }
    expect(read('common.js')).toContain("if (!path.startsWith('/api/')) throw");
  });

  it('each route answers 200 with its content type, the strict CSP and an ETag (304 when unchanged); hidden from OpenAPI', async () => {
    const ticket = ((await (await get('/api/positions')).json()) as { ticket: string }[])[0]?.ticket ?? '1';
    const routes: [string, RegExp][] = [
      ['/', /^text\/html; charset=utf-8$/],
      [`/dtms/trade/${ticket}`, /^text\/html; charset=utf-8$/],
      ['/dtms/trade/424242', /^text\/html; charset=utf-8$/],
      ['/dtms/status', /^text\/html; charset=utf-8$/],
      ['/dtms/actions', /^text\/html; charset=utf-8$/],
      ['/dtms/engine', /^text\/html; charset=utf-8$/],
      ['/shadow', /^text\/html; charset=utf-8$/],
      ['/trades', /^text\/html; charset=utf-8$/],
      ['/assets/dashboard.css', /^text\/css; charset=utf-8$/],
      ['/assets/favicon.svg', /^image\/svg\+xml/],
      [CHART_LIBRARY_URL, /^text\/javascript; charset=utf-8$/],
      ...pageFiles()
        .filter((f) => f.endsWith('.js'))
        .map((f): [string, RegExp] => [`/assets/${f}`, /^text\/javascript; charset=utf-8$/]),
    ];
    expect(Object.keys(PAGE_ROUTES)).toHaveLength(7);
    for (const [path, type] of routes) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type'), path).toMatch(type);
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("connect-src 'self'");
      expect(csp, path).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
      expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
      const etag = r.headers.get('etag');
      expect(etag, path).toMatch(/^"[\w-]+"$/);
      await r.arrayBuffer();
      expect((await get(path, { headers: { 'if-none-match': etag! } })).status, path).toBe(304);
    }
    // The chart library is the package's own file, license header and all.
    const lib = Buffer.from(await (await get(CHART_LIBRARY_URL)).arrayBuffer());
    expect(lib.equals(readChartLibrary()!)).toBe(true);
    expect(lib.subarray(0, 200).toString()).toContain('TradingView Lightweight Charts');
    // Every asset the HTML refers to is served.
    for (const html of pageFiles().filter((f) => f.endsWith('.html'))) {
      for (const m of read(html).matchAll(/\b(?:src|href)="(\/assets\/[^"]+)"/g)) {
        const r = await get(m[1]!);
        await r.arrayBuffer(); // an unread body would keep the connection busy and the server from closing
        expect(r.status, `${html}: ${m[1]}`).toBe(200);
      }
    }
    const doc = (await (await get('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/'))).toEqual([]);
  });
});

describe.runIf(!HAVE_BROWSER && REQUIRE_BROWSER)('the dashboard in Chromium', () => {
  it('needs Chromium (WARDEN_REQUIRE_BROWSER=1)', () => {
    throw new Error(
      `WARDEN_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or point WARDEN_CHROMIUM at one`,
    );
  });
});

/** A page under watch: every request must stay on the service, succeed, and log no error (CSP violations included). */
interface Watched {
  page: Page;
  problems: string[];
  /** Requests that failed while the page was open. */
  failed: { url: string; error: string }[];
  /** 4xx answers of the API, kept apart: some pages expect them (an unknown ticket, a position that closed). */
  apiErrors: { url: string; status: number }[];
  /** JSON bodies of the API answers the page received, by path. */
  bodies: Map<string, unknown[]>;
  closing: boolean;
}

// A busy machine (CI runs the whole suite at once) makes a browser slow: waits are generous, and a test
// has the time for them. None of it is a speed check.
describe.skipIf(!HAVE_BROWSER)(
  HAVE_BROWSER ? 'the dashboard in Chromium' : `the dashboard in Chromium (SKIPPED: no Chromium at ${CHROMIUM})`,
  { timeout: 120_000 },
  () => {
    let browser: Browser;
    let origin: string;

    beforeAll(async () => {
      origin = new URL(service.url).origin;
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-quic',
          '--no-first-run',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      mkdirSync(SCREENSHOTS, { recursive: true });
    }, 30_000);

    afterAll(async () => {
      await browser?.close();
    });

    async function open(path: string, viewport = { width: 1440, height: 900 }): Promise<Watched> {
      const page = await browser.newPage({ viewport });
      page.setDefaultTimeout(30_000);
      const w: Watched = { page, problems: [], failed: [], apiErrors: [], bodies: new Map(), closing: false };
      page.on('request', (r) => {
        if (!r.url().startsWith(`${origin}/`)) w.problems.push(`request to an absolute URL elsewhere: ${r.url()}`);
      });
      page.on('requestfailed', (r) => {
        if (!w.closing) w.failed.push({ url: new URL(r.url()).pathname, error: r.failure()?.errorText ?? '?' });
      });
      page.on('response', (r) => {
        const url = new URL(r.url());
        const status = r.status();
        // The health report answers 503 when degraded: a valid report, shown in the banner.
        if (status >= 400 && !(url.pathname === '/api/health' && status === 503)) {
          if (url.pathname.startsWith('/api/') && status < 500) w.apiErrors.push({ url: url.pathname, status });
          else w.problems.push(`${status} for ${r.url()}`);
        }
        if (url.pathname.startsWith('/api/') && url.pathname !== '/api/events' && status < 500) {
          r.json().then(
            (body: unknown) => w.bodies.set(url.pathname, [...(w.bodies.get(url.pathname) ?? []), body]),
            () => undefined,
          );
        }
      });
      page.on('console', (m) => {
        // Chrome logs each 4xx fetch too; those are judged from the responses above.
        if (
          m.type() === 'error' &&
          !/^Failed to load resource: the server responded with a status of (4\d\d|503)/.test(m.text())
        )
          w.problems.push(`console error: ${m.text()}`);
      });
      page.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
      const r = await page.goto(`${origin}${path}`);
      expect(r?.status()).toBe(200);
      return w;
    }

    async function close(
      w: Watched,
      expected4xx: (e: { url: string; status: number }) => boolean = () => false,
    ): Promise<void> {
      expect(w.problems).toEqual([]);
      // A page ends its own live stream only when it says so (a position that closed while shown).
      const offline = (await w.page.locator('#live').getAttribute('data-live')) === 'offline';
      expect(w.failed.filter((f) => !(offline && f.url === '/api/events' && f.error === 'net::ERR_ABORTED'))).toEqual(
        [],
      );
      expect(w.apiErrors.filter((e) => !expected4xx(e))).toEqual([]);
      w.closing = true;
      await w.page.close();
    }

    const texts = (page: Page, selector: string) => page.locator(selector).allInnerTexts();

    async function expectPng(file: string): Promise<void> {
      const png = readFileSync(file);
      expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
      expect(png.length).toBeGreaterThan(20_000);
    }

    it('the overview lists the open positions (the tickets /api/positions gave it) with their DTMS states, the health banner, and updates live', async () => {
      const w = await open('/');
      const { page } = w;
      await page.locator('#positions tbody tr[data-ticket]').first().waitFor();
      await page.locator('#health[data-status]:not([data-status=""])').waitFor();
      // The market plays on: the rows must be exactly one of the lists the API gave the page.
      type Listed = { ticket: string; dtms: { state: string } | null };
      await expect
        .poll(
          async () => {
            const shown = await page.locator('#positions tbody tr[data-ticket]').evaluateAll((rows) =>
              rows.map((r) => ({
                ticket: r.getAttribute('data-ticket') ?? '',
                state: r.querySelector('.c-dtms .badge')?.textContent ?? '',
              })),
            );
            const lists = (w.bodies.get('/api/positions') ?? []) as Listed[][];
            return lists.some(
              (l) =>
                l.length === shown.length &&
                l.every((p, i) => p.ticket === shown[i]!.ticket && (p.dtms?.state ?? '') === shown[i]!.state),
            );
          },
          { timeout: 20_000, interval: 100 },
        )
        .toBe(true);
      for (const state of await texts(page, '#positions tbody .c-dtms .badge')) expect(DTMS_STATES).toContain(state);
      const links = await page
        .locator('#positions tbody .c-ticket a')
        .evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent]));
      for (const [href, ticket] of links) expect(href).toBe(`/dtms/trade/${ticket}`);
      expect(
        await page.locator('#positions tbody tr[data-ticket]').first().locator('.c-owner .badge').innerText(),
      ).toMatch(/^(exit plan|DTMS)$/);
      const flags = await page
        .locator('#positions tbody tr[data-ticket]')
        .first()
        .locator('.c-flags .flag')
        .allInnerTexts();
      expect(flags.slice(1)).toEqual(['partial', 'trailing']);
      // A buffered breakeven (the stop still on the losing side of the entry) says so.
      expect(flags[0]).toMatch(/^BE( \(buffered\))?$/);
      expect(await page.locator('#positions tbody tr[data-ticket]').first().locator('.c-exits').innerText()).toMatch(
        /^(on|off)$/,
      );
      // The health banner: the status and its reasons as the API reported them.
      const status = await page.locator('#health').getAttribute('data-status');
      expect(['healthy', 'degraded', 'idle']).toContain(status);
      expect(await page.locator('#health .status').textContent()).toBe(status);
      await expect
        .poll(async () => {
          const shown = {
            status: await page.locator('#health').getAttribute('data-status'),
            reasons: await texts(page, '#health .reasons li'),
          };
          const reports = (w.bodies.get('/api/health') ?? []) as { status: string; reasons: string[] }[];
          return reports.some(
            (h) => h.status === shown.status && JSON.stringify(h.reasons) === JSON.stringify(shown.reasons),
          );
        })
        .toBe(true);
      // One line per symbol under the banner: its features ready, or warming up and what they lack.
      const featureLines = await texts(page, '#health .features li');
      expect(featureLines.length).toBeGreaterThan(0);
      for (const line of featureLines)
        expect(line).toMatch(/^\S+: (features ready|warming up: missing \S.*\(\w+ \d+\/\d+\))$/);

      // Live: the stream is open and the page refreshes as the market plays, at most about once a second.
      await page.locator('#live[data-live="live"]').waitFor();
      const before = await page.locator('#updated').innerText();
      const marketBefore = await page.locator('#market-time').innerText();
      expect(before).toMatch(UTC_ISO);
      await expect.poll(() => page.locator('#updated').innerText(), { timeout: 20_000 }).not.toBe(before);
      // A refresh need not follow a new bar (the health or the decisions may change alone): the market's
      // time is waited for on its own.
      await expect.poll(() => page.locator('#market-time').innerText(), { timeout: 20_000 }).not.toBe(marketBefore);
      expect(await page.locator('#market-time').innerText()).toMatch(UTC_ISO);
      // Hundreds of step events a second, yet the positions are asked for at most about once a second
      // (an upper bound: a slow machine only asks less), and asked again as the market plays.
      const asked = () => (w.bodies.get('/api/positions') ?? []).length;
      const n0 = asked();
      await page.waitForTimeout(3000);
      expect(asked() - n0).toBeLessThanOrEqual(4);
      await expect.poll(asked, { timeout: 20_000 }).toBeGreaterThan(n0);

      await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true });
      await expectPng(join(SCREENSHOTS, 'overview.png'));
      await close(w);
    });

    it('a trade page shows the DTMS JSON, the chart with candles and the stop path, the actions and the decision history', async () => {
      // Positions open and close within a second or two at this speed: the market holds still while the page
      // loads and is checked (then plays on, and the page must follow).
      await service.loop.pause();
      let resumed = false;
      try {
        // The position with the longest stop path makes the most telling chart.
        const list = (await (await get('/api/positions')).json()) as { ticket: string }[];
        const paths = await Promise.all(
          list.map(
            async (p) =>
              (await (await get(`/api/positions/${p.ticket}/stops`)).json()) as { ticket: string; stops: unknown[] },
          ),
        );
        const ticket = paths.reduce((a, b) => (b.stops.length > a.stops.length ? b : a)).ticket;
        const w = await open(`/dtms/trade/${ticket}`);
        await checkTradePage(w, ticket);
        await checkTradeActions(w, ticket);
        // Live: once the market plays on, the page refreshes (or says the position closed meanwhile).
        const before = await w.page.locator('#updated').innerText();
        service.loop.resume();
        resumed = true;
        await expect
          .poll(
            async () =>
              (await w.page.locator('#updated').innerText()) !== before ||
              (await w.page.locator('#closed').isVisible()),
            { timeout: 20_000 },
          )
          .toBe(true);
        // A position that closed while shown keeps its last data and says so; its 404s are expected then.
        const closedShown = await w.page.locator('#closed').isVisible();
        // The first action's 401 is how the page learns it needs the token (it then asks for it once).
        await close(
          w,
          (e) =>
            (e.status === 401 && e.url.endsWith('/exits/disable')) ||
            (closedShown && e.status === 404 && e.url.includes(`/${ticket}`)),
        );
      } finally {
        if (!resumed) service.loop.resume();
      }
    });

    /** The actions panel: the token asked once for the tab, exits switched off and on, each a manual decision from the page. */
    async function checkTradeActions(w: Watched, ticket: string): Promise<void> {
      const { page } = w;
      const prompts: string[] = [];
      page.on('dialog', (d) => {
        prompts.push(d.message());
        void d.accept(TOKEN);
      });
      await page.locator('#controls:not([hidden])').waitFor();
      const button = page.locator('#act-exits');
      expect(await button.innerText()).toBe('Turn exits off');
      await button.click();
      await expect.poll(() => page.locator('#act-result').innerText()).toMatch(/^intelligent exits off; /);
      await expect.poll(() => button.innerText()).toBe('Turn exits on');
      await button.click();
      await expect.poll(() => page.locator('#act-result').innerText()).toMatch(/^intelligent exits on; /);
      // The token was asked once (the first action's 401) and kept for the tab.
      expect(prompts).toHaveLength(1);
      expect(prompts[0]).toMatch(/API token/);
      expect(await page.evaluate<string | null>("sessionStorage.getItem('warden.apiToken')")).toBe(TOKEN);
      // Both switches are in the history as manual decisions from the page.
      await page.locator('#filter-rule').selectOption('manual');
      await expect.poll(() => page.locator('#decisions tbody tr[data-rule="manual"]').count()).toBe(2);
      expect(await page.locator('#decisions tbody tr[data-rule="manual"] td.note').allInnerTexts()).toEqual([
        'intelligent exits: off -> on; source: page',
        'intelligent exits: on -> off; source: page',
      ]);
      await page.locator('#filter-rule').selectOption('');
      // A plan value out of range is refused on the page, naming the field and the range.
      const close = page.locator('#plan-close');
      if (!(await close.isDisabled())) {
        await close.fill('101');
        await page.locator('#plan-form button[type=submit]').click();
        expect(await page.locator('#act-result').innerText()).toBe(
          'Plan: Partial size (% of the volume) must be a number from 0 to 100',
        );
      }
      const history = (await (await get(`/api/positions/${ticket}/decisions?limit=500`)).json()) as {
        rule: string;
        note: string;
      }[];
      expect(history.filter((d) => d.rule === 'manual').map((d) => d.note)).toEqual([
        'intelligent exits: on -> off; source: page',
        'intelligent exits: off -> on; source: page',
      ]);
      // A new breakeven base is saved, and the page says the trigger used now when the advanced rules moved it.
      const be = page.locator('#plan-be');
      if (!(await be.isDisabled())) {
        await close.fill('');
        await be.fill('10');
        await page.locator('#plan-form button[type=submit]').click();
        await expect
          .poll(() => page.locator('#act-result').innerText())
          .toMatch(/^plan saved: breakevenPct 10( \(used now: [\d.]+; the advanced triggers: .+\))?$/);
        await expect.poll(() => be.inputValue()).toBe('10');
      }
      await page.screenshot({ path: join(SCREENSHOTS, 'trade-actions.png'), fullPage: false });
    }

    async function checkTradePage(w: Watched, ticket: string): Promise<void> {
      const { page } = w;
      await expect
        .poll(async () => Number(await page.locator('#chart').getAttribute('data-bars')), { timeout: 20_000 })
        .toBeGreaterThanOrEqual(100);
      await page.locator('#decisions tbody tr[data-rule]').first().waitFor();

      // The DTMS trade JSON, field by field, as one of the answers the page received.
      const field = (f: string) => page.locator(`[data-field="${f}"]`).innerText();
      expect(await field('trade_info.ticket')).toBe(ticket);
      const state = await field('trade_info.state');
      expect(DTMS_STATES).toContain(state);
      const trades = (w.bodies.get(`/api/dtms/trade/${ticket}`) ?? []) as {
        summary: string;
        trade_info: { state: string };
      }[];
      expect(trades.some((t) => t.trade_info.state === state)).toBe(true);
      expect(await field('summary')).toMatch(new RegExp(`^Trade ${ticket} is in (${DTMS_STATES.join('|')}) state$`));
      expect(await field('trade_info.current_score')).toMatch(/^([+-]?\d+\.\d|—)$/);
      expect(await field('trade_info.state_entry_time')).toMatch(UTC_ISO);
      for (const f of ['breakeven_triggered', 'partial_profit_triggered', 'trailing_stop_active'])
        expect(await field(`trade_info.intelligent_exits.${f}`)).toMatch(/^(yes|no)$/);
      for (const f of ['structural', 'vwap', 'momentum'])
        expect(await field(`trade_info.warnings.${f}`)).toMatch(/^\d+$/);
      expect(await field('trade_info.protection_active')).toMatch(/^(yes|no)$/);
      expect(await field('trade_info.type')).toMatch(/^(BUY|SELL)$/);
      expect(await page.locator('#raw').textContent()).toContain('"intelligent_exits"');

      // The chart: candles and the stop path drawn on a real canvas (pixels of their colours).
      expect(Number(await page.locator('#chart').getAttribute('data-stops'))).toBeGreaterThanOrEqual(1);
      // The stop line steps at each bar where the stop path (ISO times) moved the stop within the bars
      // shown (epoch ms, chart data): the page places the moves by their times, not all at the first bar.
      const path = (w.bodies.get(`/api/positions/${ticket}/stops`) ?? []).at(-1) as {
        stops: { time: string | null }[];
      };
      const bars = [...w.bodies.entries()].find(([k]) => /^\/api\/market\/[^/]+\/bars$/.test(k))?.[1].at(-1) as {
        time: number;
      }[];
      const barOf = (t: number) => bars.findLast((b) => b.time <= t)?.time;
      const moved = new Set(
        path.stops.map((x) => (x.time === null ? undefined : barOf(Date.parse(x.time)))).filter((t) => t !== undefined),
      );
      expect(Number(await page.locator('#chart').getAttribute('data-stops'))).toBeGreaterThanOrEqual(moved.size);
      // Structural types for the page's objects: the project compiles without the DOM library.
      type Canvas = {
        width: number;
        height: number;
        getContext(
          kind: '2d',
        ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
      };
      const painted = await page.locator('#chart canvas').evaluateAll((canvases) => {
        const near = (d: Uint8ClampedArray, i: number, [r, g, b]: number[]) =>
          Math.abs(d[i]! - r!) + Math.abs(d[i + 1]! - g!) + Math.abs(d[i + 2]! - b!) < 40 && d[i + 3]! > 200;
        const count = { candles: 0, stop: 0 };
        for (const c of canvases as unknown as Canvas[]) {
          const ctx = c.getContext('2d');
          if (!ctx || c.width === 0 || c.height === 0) continue;
          const d = ctx.getImageData(0, 0, c.width, c.height).data;
          for (let i = 0; i < d.length; i += 4) {
            if (near(d, i, [0x26, 0xa6, 0x9a]) || near(d, i, [0xef, 0x53, 0x50])) count.candles++;
            if (near(d, i, [0xd6, 0x45, 0x45])) count.stop++;
          }
        }
        return count;
      });
      expect(painted.candles).toBeGreaterThan(500);
      expect(painted.stop).toBeGreaterThan(50);
      // The library's attribution logo is in place (its positioning style is allowed by its hash in the CSP).
      type Styles = { getComputedStyle(e: unknown): { position: string } };
      await expect
        .poll(() =>
          page
            .locator('#chart a#tv-attr-logo')
            .evaluate((a) => (globalThis as unknown as Styles).getComputedStyle(a).position),
        )
        .toBe('absolute');
      expect(await page.locator('footer a[href="https://www.tradingview.com/"]').innerText()).toContain(
        'TradingView Lightweight Charts',
      );

      // The decision history: time, rule, outcome, reason, old/new SL, note.
      const rows = page.locator('#decisions tbody tr[data-rule]');
      expect(await rows.count()).toBeGreaterThan(0);
      expect(await rows.count()).toBeLessThanOrEqual(200);
      const cells = await rows.first().locator('td').allInnerTexts();
      expect(cells).toHaveLength(7);
      expect(cells[0]).toMatch(UTC_ISO);
      expect(['classify', 'triggers', 'breakeven', 'partial', 'trail', 'dtms']).toContain(cells[1]);
      expect(cells[3]).toMatch(/^[a-z_]+$/);

      // Filters: repeats hidden by default (the count said), shown on request; a rule alone; the terms explained.
      const shown = await rows.count();
      const hiddenText = await page.locator('#repeats-hidden').innerText();
      const hidden = hiddenText === '' ? 0 : Number(/^(\d+) repeats? hidden$/.exec(hiddenText)?.[1]);
      await page.locator('#filter-repeats').check();
      expect(await rows.count()).toBe(shown + hidden);
      expect(await page.locator('#repeats-hidden').innerText()).toBe('');
      await page.locator('#filter-rule').selectOption('triggers');
      for (const rule of await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-rule'))))
        expect(rule).toBe('triggers');
      await page.locator('#filter-rule').selectOption('');
      await page.locator('#filter-repeats').uncheck();
      expect(await rows.count()).toBe(shown);
      const terms = await page.locator('#glossary dt').allTextContents();
      for (const term of ['R', 'BE / BE (buffered)', 'ATR', 'RMAG', 'VWAP', 'HVN', 'MTF', 'CHOCH / BOS', 'DTMS'])
        expect(terms).toContain(term);

      await page.screenshot({ path: join(SCREENSHOTS, 'trade.png'), fullPage: true });
      await expectPng(join(SCREENSHOTS, 'trade.png'));
    }

    it('every page is usable on a phone (390 px) and a desktop (1400 px): the page itself never scrolls sideways; screenshots of each', async () => {
      await service.loop.pause();
      try {
        const list = (await (await get('/api/positions')).json()) as { ticket: string }[];
        const ticket = list[0]!.ticket;
        const pages: [string, string, string][] = [
          ['overview', '/', '#positions tbody tr'],
          ['trade', `/dtms/trade/${ticket}`, '#decisions tbody tr[data-rule]'],
          ['dtms-status', '/dtms/status', 'main h1'],
          ['dtms-actions', '/dtms/actions', '#actions tbody tr'],
          ['dtms-engine', '/dtms/engine', 'main h1'],
          ['trades', '/trades', 'main h1'],
          ['shadow', '/shadow', 'main h1'],
        ];
        for (const [name, path, ready] of pages) {
          for (const [width, height, label] of [
            [390, 844, 'phone'],
            [1400, 900, 'desktop'],
          ] as const) {
            const w = await open(path, { width, height });
            await w.page.locator(ready).first().waitFor();
            await w.page.locator('#updated:not(:text("—"))').waitFor();
            // The account strip is on every page, its figures in.
            await w.page.locator('#account [data-figure="balance"]').waitFor();
            expect(
              await w.page.locator('#account [data-figure="balance"]').innerText(),
              `${name}: the balance`,
            ).toMatch(MONEY);
            const [scrollWidth, innerWidth] = await w.page.evaluate<[number, number]>(
              '[document.documentElement.scrollWidth, window.innerWidth]',
            );
            expect(scrollWidth, `${name} at ${width} px`).toBeLessThanOrEqual(innerWidth);
            const file = join(SCREENSHOTS, `${name}-${label}.png`);
            await w.page.screenshot({ path: file, fullPage: width === 390 });
            await expectPng(file);
            await close(w);
          }
        }
      } finally {
        service.loop.resume();
      }
    });

    it('the account strip shows what /api/account said; when the API cannot be reached it keeps the figures greyed with their time, and the health is unknown, not green', async () => {
      const w = await open('/');
      const { page } = w;
      const strip = page.locator('#account');
      await strip.locator('[data-figure="balance"]').waitFor();
      await page.locator('#health[data-status]:not([data-status=""])').waitFor();
      type Account = {
        mode: string;
        balance: number;
        equity: number;
        openProfit: number;
        today: { realized: number };
        health: { status: string };
        exposure: { symbol: string }[];
        currency: string;
      };
      const shownMatches = async () => {
        const shown = {
          balance: await strip.locator('[data-figure="balance"]').innerText(),
          equity: await strip.locator('[data-figure="equity"]').innerText(),
          health: await strip.locator('[data-figure="health"]').innerText(),
        };
        const answers = (w.bodies.get('/api/account') ?? []) as Account[];
        const money = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
        return answers.some(
          (a) =>
            money(a.balance) === shown.balance && money(a.equity) === shown.equity && a.health.status === shown.health,
        );
      };
      await expect.poll(shownMatches, { timeout: 20_000 }).toBe(true);
      const last = ((w.bodies.get('/api/account') ?? []) as Account[]).at(-1)!;
      expect(last).toMatchObject({ mode: 'paper', currency: 'USD' });
      expect(await strip.locator('.mode').innerText()).toBe('PAPER');
      expect(await strip.innerText()).toMatch(/BALANCE\s+[\d,]+\.\d\d USD/);
      // The API goes away (every /api/ request fails): the strip says so and keeps its last figures;
      // the health is unknown in the strip and in the banner, never the last green.
      await page.route('**/api/**', (route) => route.abort('connectionrefused'));
      await expect
        .poll(
          () =>
            strip
              .locator('.problem')
              .innerText()
              .catch(() => ''),
          { timeout: 20_000 },
        )
        .toMatch(/^API unreachable \(.+\); figures as of \d{4}-\d\d-\d\dT/);
      expect(await strip.getAttribute('class')).toContain('stale');
      expect(await strip.locator('[data-figure="health"]').innerText()).toBe('unknown');
      expect(await strip.locator('[data-figure="balance"]').innerText()).toMatch(MONEY);
      await expect.poll(() => page.locator('#health .status').textContent(), { timeout: 20_000 }).toBe('unknown');
      expect(await page.locator('#error').innerText()).toMatch(/the API cannot be reached/);
      await page.screenshot({ path: join(SCREENSHOTS, 'overview-unreachable.png'), fullPage: false });
      await expectPng(join(SCREENSHOTS, 'overview-unreachable.png'));
      // Back: fresh figures, the problem gone.
      await page.unroute('**/api/**');
      await expect.poll(() => strip.locator('.problem').count(), { timeout: 20_000 }).toBe(0);
      await expect
        .poll(() => strip.locator('[data-figure="health"]').innerText(), { timeout: 20_000 })
        .not.toBe('unknown');
      // The refused requests are this test's own doing.
      w.failed.length = 0;
      w.problems = w.problems.filter((p) => !/ERR_CONNECTION_REFUSED|Failed to load resource: net::/.test(p));
      await close(w);
    });

    it("an agent's proposal shows on the trade page with its what-if; a person approves it there (the default approval: dashboard)", async () => {
      await service.loop.pause();
      try {
        const list = (await (await get('/api/positions')).json()) as {
          ticket: string;
          exits: { trailingEnabled: boolean };
        }[];
        const p = list[0]!;
        const posted = await fetch(new URL('/api/proposals', service.url), {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'x-warden-mcp': '1' },
          body: JSON.stringify({
            ticket: p.ticket,
            patch: { trailingEnabled: !p.exits.trailingEnabled },
            rationale: 'an agent thinks so',
          }),
        });
        expect(posted.status).toBe(201);
        const { id } = (await posted.json()) as { id: string };
        const w = await open(`/dtms/trade/${p.ticket}`);
        const { page } = w;
        const prompts: string[] = [];
        page.on('dialog', (d) => {
          prompts.push(d.message());
          void d.accept(/API token/.test(d.message()) ? TOKEN : 'looks right');
        });
        const item = page.locator(`#proposals .proposal[data-id="${id}"]`);
        await item.waitFor();
        expect(await item.innerText()).toContain(
          `${id}: trailing ${p.exits.trailingEnabled ? 'off' : 'on'} · proposed by mcp`,
        );
        expect(await item.locator('dl').innerText()).toMatch(/Plan as it is\s+[+-−]?\d+\.\d\d R/);
        await page.screenshot({ path: join(SCREENSHOTS, 'trade-proposal.png'), fullPage: false });
        await item.locator('button.approve').click();
        await expect
          .poll(() => page.locator('#act-result').innerText(), { timeout: 20_000 })
          // The answer, not the "approved…" the page shows while the request is on its way.
          .toBe(`${id} approved: done`);
        const decided = (await (await get(`/api/proposals/${id}`)).json()) as {
          proposal: { status: string; decidedBy: string; decisionNote: string };
        };
        expect(decided.proposal).toMatchObject({ status: 'approved', decidedBy: 'page', decisionNote: 'looks right' });
        await expect.poll(() => page.locator('#proposals').isHidden()).toBe(true);
        await close(w, (e) => e.url.endsWith('/approve') && e.status === 401);
      } finally {
        service.loop.resume();
      }
    });

    it('an unknown ticket shows "not under management"; a ticket with markup in it is shown as text', async () => {
      const w = await open('/dtms/trade/424242');
      await w.page.locator('#missing').waitFor();
      expect(await w.page.locator('#missing strong').innerText()).toBe('Trade 424242 is not under management.');
      expect(await w.page.locator('#missing').innerText()).toContain(
        'The API says: no position 424242 under management',
      );
      expect(await w.page.locator('#content').isHidden()).toBe(true);
      expect(await w.page.locator('#live').getAttribute('data-live')).toBe('offline');
      // The page asks whether the ticket closed under management (its position's 404 would name the trade).
      await close(
        w,
        (e) => (e.url === '/api/dtms/trade/424242' || e.url === '/api/positions/424242') && e.status === 404,
      );

      const evil = '<img src=x onerror=alert(1)>';
      const x = await open(`/dtms/trade/${encodeURIComponent(evil)}`);
      await x.page.locator('#missing').waitFor();
      expect(await x.page.locator('#missing strong').innerText()).toBe(`Trade ${evil} is not under management.`);
      expect(await x.page.locator('#missing img').count()).toBe(0);
      expect(await x.page.locator('#missing').innerText()).toContain('a ticket is 1 to 64 letters');
      // As source text: the test runner would rewrite an import() inside a function.
      const esc = await x.page.evaluate<string>(
        `import('/assets/common.js').then((m) => m.esc('<a href="x">&\\'</a>'))`,
      );
      expect(esc).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
      await close(x, (e) => e.url.startsWith('/api/dtms/trade/') && e.status === 400);
    });

    it('the DTMS status, actions and engine pages show their data', async () => {
      const status = await open('/dtms/status');
      await status.page.locator('#states tbody tr[data-state]').first().waitFor();
      expect(await status.page.locator('[data-field="enabled"]').innerText()).toBe('yes');
      expect(Number(await status.page.locator('[data-field="deepChecks"]').innerText())).toBeGreaterThan(0);
      expect(
        await status.page
          .locator('#states tbody tr[data-state]')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state'))),
      ).toEqual(expect.arrayContaining(DTMS_STATES));
      const counts = (await texts(status.page, '#states tbody .count')).map(Number);
      const positions = Number(await status.page.locator('[data-field="positions"]').innerText());
      const answers = (status.bodies.get('/api/dtms/status') ?? []) as {
        positions: number;
        byState: Record<string, number>;
      }[];
      expect(answers.some((s) => s.positions === positions)).toBe(true);
      expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(positions);
      await close(status);

      const actions = await open('/dtms/actions');
      await actions.page.locator('#actions tbody tr[data-ticket]').first().waitFor();
      const rows = actions.page.locator('#actions tbody tr[data-ticket]');
      expect(await rows.count()).toBeGreaterThan(0);
      expect(await rows.count()).toBeLessThanOrEqual(100);
      const first = await rows.first().locator('td').allInnerTexts();
      expect(first[0]).toMatch(UTC_ISO);
      expect(await rows.first().locator('a').getAttribute('href')).toBe(`/dtms/trade/${first[1]}`);
      expect(first[4]).toMatch(/^(dtms_|stop_to_|intent_|confirmed)/);
      await close(actions);

      const engine = await open('/dtms/engine');
      await engine.page.locator('[data-field="deepCheckSec"]').waitFor();
      expect(await engine.page.locator('[data-field="deepCheckSec"]').innerText()).toBe('900 s (15 min)');
      expect(await engine.page.locator('[data-field="scores.warningL1"]').innerText()).toBe('-5');
      expect(await engine.page.locator('[data-field="scores.hedge"]').innerText()).toBe('-14');
      expect(await engine.page.locator('[data-field="rails.dailyLossLimitPct"]').innerText()).toBe('2%');
      expect(Number(await engine.page.locator('[data-field="deepChecks"]').innerText())).toBeGreaterThan(0);
      await close(engine);
    });

    it('served beyond loopback, a page asks for the API token once, keeps it for the tab and shows the data', async () => {
      const token = 'dashboard-exposed-token-0123456789';
      const config = configSchema.parse({
        service: {
          host: '0.0.0.0',
          behindProxy: true,
          port: 0,
          market: { speed: 400, warmupMinutes: 1500, demoPositions: 2 },
        },
      });
      const exposedStore = openSqliteStore(join(dir, 'exposed.db'), { now: PINNED_NOW });
      const exposed = await startService({
        config,
        store: exposedStore,
        log: createLogger({ level: 'silent' }),
        clock: () => PINNED_NOW,
        version: 'test',
        token,
        tokenFile: join(dir, 'unused.token'),
      });
      const page = await browser.newPage();
      try {
        let prompts = 0;
        page.on('dialog', (d) => {
          prompts++;
          void d.accept(token);
        });
        const authorized: string[] = [];
        page.on('request', (r) => {
          if (new URL(r.url()).pathname === '/api/positions' && r.headers().authorization === `Bearer ${token}`)
            authorized.push(r.url());
        });
        await page.goto(exposed.url);
        await page.locator('#positions tbody tr[data-ticket]').first().waitFor({ timeout: 30_000 });
        expect(prompts).toBe(1);
        expect(authorized.length).toBeGreaterThan(0);
        expect(await page.evaluate<string | null>("sessionStorage.getItem('warden.apiToken')")).toBe(token);
      } finally {
        await page.close();
        await exposed.stop();
        exposedStore.close();
      }
    });
  },
);
