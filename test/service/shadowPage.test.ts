// The shadow pages in a real headless Chromium, against `warden serve --shadow` on the paper account:
// the overview says SHADOW MODE and shows each position's would-be stop under the venue's; /shadow shows
// the totals and every position the shadow book knows (the tickets /api/shadow gave it), at desktop and
// phone widths (screenshots in out/screenshots/). No request goes elsewhere or fails.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const CHROMIUM = process.env.WARDEN_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_BROWSER = existsSync(CHROMIUM);
const SCREENSHOTS = fileURLToPath(new URL('../../out/screenshots/', import.meta.url));
if (!HAVE_BROWSER) console.warn(`shadow page browser tests SKIPPED: no Chromium at ${CHROMIUM}`);

describe.skipIf(!HAVE_BROWSER)(
  HAVE_BROWSER ? 'the shadow pages in Chromium' : `the shadow pages in Chromium (SKIPPED: no Chromium at ${CHROMIUM})`,
  { timeout: 120_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-shadow-page-'));
    let service: RunningService;
    let store: WardenStore;
    let browser: Browser;

    beforeAll(async () => {
      const config = configSchema.parse({ broker: { mode: 'shadow' }, service: { port: 0, market: { speed: 400 } } });
      store = openSqliteStore(join(dir, 'shadow.db'), { now: PINNED_NOW });
      service = await startService({
        config,
        store,
        log: createLogger({ level: 'silent' }),
        clock: () => PINNED_NOW,
        version: 'test',
        token: 'shadow-page-token-0123456789',
        tokenFile: join(dir, 'unused.token'),
      });
      await waitUntil(
        () =>
          (service.session.shadow?.scores().filter((s) => s.final).length ?? 0) >= 5 &&
          service.session.engine.openPositions > 0,
        2000,
      );
      await service.loop.pause();
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

    async function open(path: string, width: number) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const problems: string[] = [];
      const origin = new URL(service.url).origin;
      page.on('request', (r) => {
        if (!r.url().startsWith(`${origin}/`)) problems.push(`request elsewhere: ${r.url()}`);
      });
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
      });
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      expect((await page.goto(`${origin}${path}`))?.status()).toBe(200);
      return { page, problems };
    }

    it('the overview says SHADOW MODE and shows the would-be stops', async () => {
      const { page, problems } = await open('/', 1440);
      await page.locator('#mode:not([hidden])').waitFor();
      expect(await page.locator('#mode').innerText()).toMatch(
        /^SHADOW MODE: Warden decides and sends nothing for XAUUSDc, EURUSD, BTCUSDc/,
      );
      await page.locator('#positions tbody tr[data-ticket]').first().waitFor();
      expect(await page.locator('#positions tbody .shadow-sl').count()).toBe(
        await page.locator('#positions tbody tr[data-ticket]').count(),
      );
      await page.screenshot({ path: join(SCREENSHOTS, 'overview-shadow.png'), fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    });

    for (const [name, width] of [
      ['desktop', 1440],
      ['phone', 390],
    ] as const) {
      it(`/shadow shows the totals and every position of /api/shadow (${name})`, async () => {
        const report = (await (await fetch(`${service.url}api/shadow`)).json()) as {
          positions: { ticket: string }[];
          totals: { positions: number };
        };
        const { page, problems } = await open('/shadow', width);
        await page.locator('#shadow tbody tr[data-ticket]').first().waitFor();
        expect(await page.locator('#mode').innerText()).toMatch(
          /^SHADOW MODE: nothing is sent for XAUUSDc, EURUSD, BTCUSDc\./,
        );
        const shown = await page
          .locator('#shadow tbody tr[data-ticket]')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-ticket')));
        expect(shown).toEqual(report.positions.map((p) => p.ticket));
        expect(await page.locator('#totals dd').first().innerText()).toBe(String(report.totals.positions));
        const file = join(SCREENSHOTS, `shadow-${name}.png`);
        await page.screenshot({ path: file, fullPage: false });
        expect(readFileSync(file).length).toBeGreaterThan(10_000);
        expect(problems).toEqual([]);
        await page.close();
      });
    }
  },
);
