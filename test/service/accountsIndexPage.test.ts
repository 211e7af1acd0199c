// The accounts index page in a real headless Chromium, against the index's real server with twelve
// accounts in every state (the clock pinned): the table shows each account where it is (here, on its
// holder, free, failed with the reason), its health, positions, venue and lease as a relative time, and
// links the accounts that have a dashboard to it; typing in the filter box narrows the rows (the filter
// kept in the URL), the state and health selects narrow them further, Clear brings them all back, and
// the list is asked for again on its own. Behind a read token the page asks for the token and then
// shows the list. Screenshots at a phone (390 px, the table as cards, nothing scrolling sideways) and
// a desktop (1280 px) width in out/screenshots/. No request goes elsewhere, and no console error.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import type { AccountStatus } from '../../src/service/accountSupervisor.ts';
import { buildAccountsIndex } from '../../src/service/accountsIndex.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';

const CHROMIUM = process.env.WARDEN_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_BROWSER = existsSync(CHROMIUM);
const REQUIRE_BROWSER = process.env.WARDEN_REQUIRE_BROWSER === '1';
const SCREENSHOTS = fileURLToPath(new URL('../../out/screenshots/', import.meta.url));
const TOKEN = 'accounts-page-token-0123456789';

if (!HAVE_BROWSER && !REQUIRE_BROWSER) {
  console.warn(
    `accounts index page browser tests SKIPPED: no Chromium at ${CHROMIUM} (install chromium or set WARDEN_CHROMIUM; WARDEN_REQUIRE_BROWSER=1 makes this a failure)`,
  );
}

type Where = AccountStatus['state'];
function account(id: string, state: Where, o: Partial<AccountStatus> = {}): AccountStatus {
  const held = state === 'here' || state === 'elsewhere';
  return {
    account: id,
    state,
    url: null,
    holder: held ? 'warden-a:311' : null,
    leaseUntil: held ? PINNED_NOW + 24_000 : null,
    positions: 0,
    health: held ? 'healthy' : null,
    venue: 'paper',
    problem: null,
    ...o,
  };
}

/** Twelve accounts: four running here, three on other processes, three free, two that failed here. */
const ACCOUNTS: AccountStatus[] = [
  account('eu-gold', 'here', { url: 'http://127.0.0.1:41001/', positions: 4, venue: 'metaapi' }),
  account('eu-silver', 'here', { url: 'http://127.0.0.1:41002/', positions: 1, venue: 'metaapi', health: 'degraded' }),
  account('eu-oil', 'elsewhere', { url: 'https://warden-b.example:41007/', holder: 'warden-b:902', positions: 2 }),
  account('eu-index-dax', 'free', { leaseUntil: PINNED_NOW - 95_000, holder: 'warden-c:17', health: 'idle' }),
  account('us-btc-perp', 'here', { url: 'http://127.0.0.1:41003/', positions: 7, venue: 'ccxt' }),
  account('us-eth-perp', 'failed', {
    venue: 'ccxt',
    problem: 'WARDEN_ACCOUNT_US_ETH_PERP_API_KEY is not set: the ccxt broker needs its API key',
  }),
  account('us-sol', 'elsewhere', { url: 'https://warden-b.example:41008/', holder: 'warden-b:902', venue: 'ccxt' }),
  account('asia-fx-majors', 'here', { url: 'http://127.0.0.1:41004/', positions: 3, health: 'idle' }),
  account('asia-fx-crosses', 'free'),
  account('asia-nikkei', 'elsewhere', {
    url: null,
    holder: 'warden-d:4410',
    health: 'degraded',
    leaseUntil: PINNED_NOW + 3_000,
  }),
  account('paper-demo', 'free', { health: 'healthy' }),
  account('paper-broken', 'failed', { problem: 'the store has no schema for this account', health: 'idle' }),
];

describe.runIf(!HAVE_BROWSER && REQUIRE_BROWSER)('the accounts index page in Chromium', () => {
  it('needs Chromium (WARDEN_REQUIRE_BROWSER=1)', () => {
    throw new Error(
      `WARDEN_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or point WARDEN_CHROMIUM at one`,
    );
  });
});

describe.skipIf(!HAVE_BROWSER)(
  HAVE_BROWSER
    ? 'the accounts index page in Chromium'
    : `the accounts index page in Chromium (SKIPPED: no Chromium at ${CHROMIUM})`,
  { timeout: 120_000 },
  () => {
    let browser: Browser;
    let open: FastifyInstance;
    let guarded: FastifyInstance;
    let origin: string;
    let guardedOrigin: string;
    /** What status() gives: a test adds an account to see the page pick it up. */
    let accounts = [...ACCOUNTS];

    beforeAll(async () => {
      const common = { status: () => accounts, log: createLogger({ level: 'silent' }), version: 'test' };
      open = await buildAccountsIndex({ ...common, clock: () => PINNED_NOW });
      origin = await open.listen({ host: '127.0.0.1', port: 0 });
      guarded = await buildAccountsIndex({ ...common, clock: () => PINNED_NOW, readToken: TOKEN });
      guardedOrigin = await guarded.listen({ host: '127.0.0.1', port: 0 });
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
      await open?.close();
      await guarded?.close();
    });

    interface Watched {
      page: Page;
      problems: string[];
    }

    async function load(
      at: string,
      width: number,
      allowed4xx: (path: string, status: number) => boolean = () => false,
      before: (page: Page) => void = () => undefined,
    ): Promise<Watched> {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      page.setDefaultTimeout(30_000);
      before(page);
      const w: Watched = { page, problems: [] };
      page.on('request', (r) => {
        if (!r.url().startsWith(`${at}/`)) w.problems.push(`request elsewhere: ${r.url()}`);
      });
      page.on('response', (r) => {
        const url = new URL(r.url());
        if (r.status() >= 400 && !allowed4xx(url.pathname, r.status())) w.problems.push(`${r.status()} for ${r.url()}`);
      });
      page.on('console', (m) => {
        if (
          m.type() === 'error' &&
          !/^Failed to load resource: the server responded with a status of 401/.test(m.text())
        )
          w.problems.push(`console error: ${m.text()}`);
      });
      page.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
      expect((await page.goto(`${at}/`))?.status()).toBe(200);
      return w;
    }

    const rowIds = (page: Page) =>
      page.locator('#accounts tbody tr[data-account]').evaluateAll((rows) => rows.map((r) => r.dataset.account));
    const idsWhere = (keep: (a: AccountStatus) => boolean) => ACCOUNTS.filter(keep).map((a) => a.account);

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
      ['desktop', 1280],
      ['phone', 390],
    ] as const) {
      it(`shows every account where it is, linked to its dashboard, and narrows as the filters change (${name})`, async () => {
        const { page, problems } = await load(origin, width);
        await expect.poll(() => rowIds(page)).toEqual(ACCOUNTS.map((a) => a.account));
        expect(await page.locator('#counts').innerText()).toMatch(
          /12 in all\s*4 here\s*3 elsewhere\s*3 free\s*2 failed/,
        );
        expect(await page.locator('#live').getAttribute('data-live')).toBe('live');

        // Each row: where it runs, the link to its dashboard when it has one, the lease from the server's clock.
        const row = (id: string) => page.locator(`#accounts tbody tr[data-account="${id}"]`);
        expect(await row('eu-gold').locator('a.account').getAttribute('href')).toBe('http://127.0.0.1:41001/');
        expect(await row('eu-gold').locator('td[data-label="Where"]').innerText()).toMatch(/here/);
        expect(await row('eu-gold').locator('td[data-label="Positions"]').innerText()).toMatch(/4$/);
        expect(await row('eu-gold').locator('td[data-label="Lease until"]').innerText()).toMatch(/in 24 s$/);
        expect(await row('eu-oil').locator('a.account').getAttribute('href')).toBe('https://warden-b.example:41007/');
        expect(await row('eu-oil').locator('td[data-label="Where"]').innerText()).toMatch(
          /elsewhere\s+on warden-b:902/,
        );
        expect(await row('asia-nikkei').locator('a').count()).toBe(0);
        expect(await row('eu-index-dax').locator('td[data-label="Lease until"]').innerText()).toMatch(
          /lapsed 1 min 35 s ago$/,
        );
        expect(await row('asia-fx-crosses').locator('td[data-label="Lease until"]').innerText()).toMatch(/never held$/);
        expect(await row('asia-fx-crosses').locator('td[data-label="Health"]').innerText()).toMatch(/no report$/);
        expect(await row('us-eth-perp').locator('a').count()).toBe(0);
        expect(await row('us-eth-perp').locator('td[data-label="Where"]').innerText()).toMatch(
          /failed\s+WARDEN_ACCOUNT_US_ETH_PERP_API_KEY is not set/,
        );
        expect(await row('eu-silver').locator('td[data-label="Health"] .badge').innerText()).toBe('degraded');
        expect(await row('us-btc-perp').locator('td[data-label="Venue"]').innerText()).toMatch(/ccxt$/);
        if (width === 390) await noSidewaysScroll(page);
        await shoot(page, `accounts-index-${name}.png`);

        // Typing narrows the rows (case aside) and keeps the filter in the URL; the counts stay over all.
        await page.locator('#f-q').pressSequentially('EU-');
        await expect.poll(() => rowIds(page)).toEqual(idsWhere((a) => a.account.startsWith('eu-')));
        expect(new URL(page.url()).searchParams.get('q')).toBe('EU-');
        expect(await page.locator('#shown').innerText()).toBe('4 of 12 shown');
        expect(await page.locator('#counts').innerText()).toMatch(/12 in all/);
        await page.locator('#f-state').selectOption('here');
        await expect.poll(() => rowIds(page)).toEqual(['eu-gold', 'eu-silver']);
        await page.locator('#f-health').selectOption('degraded');
        await expect.poll(() => rowIds(page)).toEqual(['eu-silver']);
        await page.locator('#f-q').fill('nothing-like-it');
        await expect.poll(() => page.locator('#accounts tbody td.empty').count()).toBe(1);
        expect(await page.locator('#accounts tbody').innerText()).toContain('No account matches these filters.');

        // A reload keeps the filters (the URL holds them); Clear brings every account back.
        await page.locator('#f-q').fill('us');
        await page.locator('#f-state').selectOption('failed');
        await page.locator('#f-health').selectOption('');
        await expect.poll(() => rowIds(page)).toEqual(['us-eth-perp']);
        await page.reload();
        expect(await page.locator('#f-q').inputValue()).toBe('us');
        expect(await page.locator('#f-state').inputValue()).toBe('failed');
        await expect.poll(() => rowIds(page)).toEqual(['us-eth-perp']);
        await page.locator('#f-clear').click();
        await expect.poll(() => rowIds(page)).toEqual(ACCOUNTS.map((a) => a.account));
        expect(new URL(page.url()).search).toBe('');
        if (width === 390) await noSidewaysScroll(page);
        expect(problems).toEqual([]);
        await page.close();
      });
    }

    it('asks for the list again on its own: an account taken meanwhile shows within a refresh or two', async () => {
      const { page, problems } = await load(origin, 1280);
      await expect.poll(() => rowIds(page)).toHaveLength(12);
      accounts = [...ACCOUNTS, account('zz-new-desk', 'here', { url: 'http://127.0.0.1:41009/', positions: 1 })];
      try {
        await expect.poll(() => rowIds(page), { timeout: 15_000, interval: 250 }).toContain('zz-new-desk');
        expect(await page.locator('#counts').innerText()).toMatch(/13 in all\s*5 here/);
      } finally {
        accounts = [...ACCOUNTS];
      }
      expect(problems).toEqual([]);
      await page.close();
    });

    it('behind a read token, the page loads, asks for the token once, then shows the list', async () => {
      let asked = 0;
      const { page, problems } = await load(
        guardedOrigin,
        1280,
        (path, status) => path === '/api/accounts' && status === 401,
        // The prompt is answered as it opens: the page keeps the token for the tab and asks with it.
        (p) =>
          p.on('dialog', (d) => {
            asked++;
            void d.accept(TOKEN);
          }),
      );
      await expect.poll(() => rowIds(page)).toEqual(ACCOUNTS.map((a) => a.account));
      expect(asked).toBe(1);
      expect(problems).toEqual([]);
      await page.close();
    });
  },
);
