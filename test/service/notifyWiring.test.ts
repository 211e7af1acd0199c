// The service sends its notifications (actions, state changes, failed intents) to the configured
// Discord webhook while the market plays: here a local HTTP server stands in for Discord. And
// `warden config check` never prints the secrets a config file holds.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.ts';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { startService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-notify-wiring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const body = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let b = '';
    req.on('data', (d: Buffer) => (b += d.toString()));
    req.on('end', () => resolve(b));
  });

describe('notifications from the running service', () => {
  it('every action and state change reaches the webhook without holding the engine', async () => {
    const received: { path: string; payload: { embeds?: { title?: string }[] } }[] = [];
    const hook = createServer((req, res) => {
      void body(req).then((b) => {
        received.push({ path: req.url ?? '', payload: JSON.parse(b) as { embeds?: { title?: string }[] } });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const port = (hook.address() as AddressInfo).port;
    const config = configSchema.parse({
      service: { port: 0, market: { speed: 500 } },
      notify: { discord: { webhookUrl: `http://127.0.0.1:${port}/api/webhooks/1/secret-token` } },
    });
    const store = openSqliteStore(join(dir, 'n.db'), { now: PINNED_NOW });
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: 'x'.repeat(20),
      tokenFile: join(dir, 't'),
      env: {},
    });
    try {
      await waitUntil(() => received.length >= 5, 800);
      expect(received.length).toBeGreaterThanOrEqual(5);
      expect(received.every((r) => r.path === '/api/webhooks/1/secret-token')).toBe(true);
      expect(received.every((r) => typeof r.payload.embeds?.[0]?.title === 'string')).toBe(true);
      const metrics = await (await fetch(new URL('metrics', service.url))).text();
      expect(metrics).toMatch(/^warden_notifications_sent [1-9]\d*$/m);
    } finally {
      await service.stop();
      store.close();
      await new Promise((r) => hook.close(r));
    }
  }, 40_000);
});

describe('warden config check', () => {
  it('shows secrets set in the file as set, never their values', async () => {
    const file = join(dir, 'secrets.yaml');
    writeFileSync(
      file,
      'service:\n  token: abcdefghijklmnopqrstuvwxyz\nnotify:\n  discord:\n    webhookUrl: https://discord.com/api/webhooks/123/secretpart\n  telegram:\n    botToken: "123456:ABCdef_ghi"\n    chatId: 42\n',
    );
    let out = '';
    const code = await run(['node', 'warden', 'config', 'check', file, '--json'], {
      out: (t) => void (out += t),
      err: () => {},
    });
    expect(code).toBe(0);
    expect(out).not.toMatch(/secretpart|ABCdef_ghi|abcdefghijklmnop/);
    const c = JSON.parse(out.slice(out.indexOf('{'))) as {
      service: { token: string };
      notify: { discord: { webhookUrl: string }; telegram: { botToken: string; chatId: number } };
    };
    expect([
      c.service.token,
      c.notify.discord.webhookUrl,
      c.notify.telegram.botToken,
      c.notify.telegram.chatId,
    ]).toEqual(['(set; hidden)', '(set; hidden)', '(set; hidden)', 42]);
  });
});
