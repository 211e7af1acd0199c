// Taking a position out of DTMS's hands through the real HTTP server (the embedded paper account, a
// temp SQLite store, a pinned clock): the token, the answers and their messages, the decision record
// with the trader's reason, the position's view, the exits switch saying whether DTMS still defends,
// and the switch surviving a restart on the same store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import {
  decisionSchema,
  dtmsSwitchSchema,
  dtmsTradeSchema,
  exitsSwitchSchema,
  positionSchema,
} from '../../src/service/apiSchemas.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-dtms-switch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'dtms-switch-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

async function serve(file: string, speed: number): Promise<{ service: RunningService; store: WardenStore }> {
  const config = configSchema.parse({ service: { port: 0, market: { speed, demoPositions: 2 } } });
  const store = openSqliteStore(file, { now: PINNED_NOW });
  const service = await startService({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    clock: () => PINNED_NOW,
    version: 'test',
    token: TOKEN,
    tokenFile: join(dir, 'unused.token'),
  });
  return { service, store };
}

describe('POST /api/positions/{ticket}/dtms/disable and /enable', () => {
  it("take a position out of DTMS's hands and give it back: recorded with the reason, shown, stored across a restart", async () => {
    const file = join(dir, 'switch.db');
    const a = await serve(file, 400);
    const call = (path: string, init?: RequestInit) => fetch(new URL(path, a.service.url), init);
    let ticket = '';
    try {
      // The paper account: DTMS may open positions there.
      expect(a.service.dtms).toBe('DTMS on: tighten, partial close, hedge, re-add, close');
      expect(a.service.session.engine.config.dtms.actions.openPositions).toBe(true);
      expect(
        await waitUntil(() => a.service.loop.played >= 200 && a.service.session.engine.openPositions > 0, 1200),
      ).toBe(true);
      await a.service.loop.pause();
      const list = positionSchema.array().parse(await (await call('/api/positions')).json());
      const p = list.find((x) => x.dtms !== null && x.exits.pending === null)!;
      expect(p.dtms?.enabled).toBe(true);
      ticket = p.ticket;
      const path = `/api/positions/${ticket}/dtms/disable`;

      // The token, like every mutating endpoint.
      const noToken = await call(path, { method: 'POST' });
      expect(noToken.status).toBe(401);

      // Exits off first: the answer says DTMS still defends the position, and how to stop that.
      const exitsOff = exitsSwitchSchema.parse(
        await (
          await call(`/api/positions/${ticket}/exits/disable`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}` },
          })
        ).json(),
      );
      expect(exitsOff).toEqual({
        ticket,
        enabled: false,
        dtmsDefends: true,
        message: `intelligent exits off; DTMS still defends this position; POST /api/positions/${ticket}/dtms/disable to take it out of DTMS's hands`,
      });

      const off = await call(path, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ reason: 'news at 14:30, I manage it by hand' }),
      });
      expect(off.status).toBe(200);
      const body = dtmsSwitchSchema.parse(await off.json());
      expect(body.enabled).toBe(false);
      expect(body.message).toMatch(
        /^taken out of DTMS's hands by hand: news at 14:30, I manage it by hand; DTMS stops in [A-Z_0-9]+ \(score [^)]+\): no check, no action; /,
      );
      expect(body.message).toMatch(
        /(no hedge open|its hedge #\S+ \([\d.]+\) stays open as it is: DTMS will not close it, even when the position closes); source: api$/,
      );
      expect(body.position.dtms).toMatchObject({
        enabled: false,
        disabledReason: 'news at 14:30, I manage it by hand',
      });
      expect(body.position.stopOwner).toBe('exit_plan');

      const view = positionSchema.parse(await (await call(`/api/positions/${ticket}`)).json());
      expect(view.dtms).toMatchObject({ enabled: false, disabledReason: 'news at 14:30, I manage it by hand' });
      const trade = dtmsTradeSchema.parse(await (await call(`/api/dtms/trade/${ticket}`)).json());
      expect(trade.trade_info.protection_active).toBe(false);
      const history = decisionSchema
        .array()
        .parse(await (await call(`/api/positions/${ticket}/decisions?limit=20`)).json());
      const rec = history.find((d) => d.reason === 'dtms_disabled')!;
      expect(rec).toMatchObject({ rule: 'dtms', outcome: 'info', note: body.message });

      // Now the exits switch says DTMS does not defend it; once more is a conflict, with why.
      const exitsAgain = exitsSwitchSchema.parse(
        await (
          await call(`/api/positions/${ticket}/exits/disable`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}` },
          })
        ).json(),
      );
      expect(exitsAgain).toMatchObject({
        dtmsDefends: false,
        message: 'intelligent exits off; DTMS does not defend this position',
      });
      const again = await call(path, { method: 'POST', headers: auth, body: '{}' });
      expect(again.status).toBe(409);
      expect(((await again.json()) as { message: string }).message).toMatch(
        /^DTMS already leaves this position alone \(since .*Z: news at 14:30, I manage it by hand\)$/,
      );

      // Malformed and unknown.
      const bad = await call(path, { method: 'POST', headers: auth, body: JSON.stringify({ why: 'x' }) });
      expect(bad.status).toBe(400);
      const unknown = await call('/api/positions/424242/dtms/disable', { method: 'POST', headers: auth, body: '{}' });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({ error: 'not_found', message: 'no position 424242 under management' });
      // No body at all is fine: the record says no reason was given.
      const enableNothing = await call(
        `/api/positions/${list.find((x) => x.ticket !== ticket && x.dtms !== null)?.ticket ?? ticket}/dtms/enable`,
        { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } },
      );
      expect(enableNothing.status).toBe(409);
      expect(((await enableNothing.json()) as { message: string }).message).toBe('DTMS already defends this position');
    } finally {
      await a.service.stop();
      a.store.close();
    }

    // A restart on the same store, with a market too slow to move before the checks: still out of DTMS's hands.
    const b = await serve(file, 2);
    const call2 = (path: string, init?: RequestInit) => fetch(new URL(path, b.service.url), init);
    try {
      await b.service.loop.pause();
      const view = positionSchema.parse(await (await call2(`/api/positions/${ticket}`)).json());
      expect(view.dtms).toMatchObject({ enabled: false, disabledReason: 'news at 14:30, I manage it by hand' });
      const on = await call2(`/api/positions/${ticket}/dtms/enable`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ reason: 'news is out' }),
      });
      expect(on.status).toBe(200);
      const body = dtmsSwitchSchema.parse(await on.json());
      expect(body.enabled).toBe(true);
      expect(body.message).toMatch(
        /^given back to DTMS by hand: news is out; out of its hands since .*Z; picks up in [A-Z_0-9]+, its timers restarted and its next deep check due now/,
      );
      expect(body.position.dtms?.enabled).toBe(true);
      expect(b.store.defence(b.service.session.managedKey(ticket)!)?.disabled).toBeNull();
    } finally {
      await b.service.stop();
      b.store.close();
    }
  }, 60_000);
});
