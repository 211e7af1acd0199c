// Every manual change to a position is a `manual` decision in its history: what changed, from what to
// what, and from which surface (the dashboard's pages send their header: 'page'; a direct call:
// 'api'). Through the real HTTP server on the embedded paper account, a temp store and a pinned clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { PAGE_HEADER } from '../../src/service/access.ts';
import { decisionSchema, positionSchema } from '../../src/service/apiSchemas.ts';
import { startService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-manual-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'manual-decisions-token-0123456789';

describe('manual decisions', () => {
  it('exits off and on, a plan edit and trailing started: each recorded with from -> to and its source', async () => {
    const config = configSchema.parse({ service: { port: 0, market: { speed: 400, demoPositions: 2 } } });
    const store = openSqliteStore(join(dir, 'manual.db'), { now: PINNED_NOW });
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: TOKEN,
      tokenFile: join(dir, 'unused.token'),
    });
    const call = (path: string, init?: RequestInit) => fetch(new URL(path, service.url), init);
    const api = { authorization: `Bearer ${TOKEN}` };
    const page = { ...api, [PAGE_HEADER]: '1' };
    const json = { ...api, 'content-type': 'application/json' };
    try {
      expect(await waitUntil(() => service.loop.played >= 200 && service.session.engine.openPositions > 0, 1200)).toBe(
        true,
      );
      await service.loop.pause();
      const list = positionSchema.array().parse(await (await call('/api/positions')).json());
      const p = list.find(
        (x) =>
          x.exits.enabled &&
          x.exits.pending === null &&
          !x.exits.partialDone &&
          !x.exits.trailNow &&
          x.exits.trailingEnabled,
      )!;
      expect(p).toBeDefined();
      const t = p.ticket;
      const manual = async () =>
        decisionSchema
          .array()
          .parse(await (await call(`/api/positions/${t}/decisions?limit=500`)).json())
          .filter((d) => d.rule === 'manual');

      expect((await call(`/api/positions/${t}/exits/disable`, { method: 'POST', headers: page })).status).toBe(200);
      // Switching off what is off changes nothing, and records nothing.
      expect((await call(`/api/positions/${t}/exits/disable`, { method: 'POST', headers: page })).status).toBe(200);
      expect((await call(`/api/positions/${t}/exits/enable`, { method: 'POST', headers: api })).status).toBe(200);
      const before = service.session.engine.plan(service.session.managedKey(t)!)!;
      const oldPartial = before.basePartialPct;
      const patched = await call(`/api/positions/${t}/plan`, {
        method: 'PATCH',
        headers: json,
        body: JSON.stringify({ partialPct: oldPartial + 5 }),
      });
      expect(patched.status, await patched.clone().text()).toBe(200);
      expect((await call(`/api/positions/${t}/trailing/start`, { method: 'POST', headers: page })).status).toBe(200);

      const records = await manual();
      expect(records.map((r) => [r.outcome, r.reason, r.note])).toEqual([
        ['info', 'manual_change', 'intelligent exits: on -> off; source: page'],
        ['info', 'manual_change', 'intelligent exits: off -> on; source: api'],
        [
          'info',
          'manual_change',
          `plan: partial trigger: ${oldPartial}% -> ${oldPartial + 5}% of the way to TP; source: api`,
        ],
        ['info', 'manual_change', 'trailing: waiting for breakeven -> started now; source: page'],
      ]);
      // Stored: the journal holds them as the API shows them.
      expect(store.recentDecisions(5000).filter((r) => r.rule === 'manual')).toHaveLength(4);
    } finally {
      await service.stop();
      store.close();
    }
  });
});
