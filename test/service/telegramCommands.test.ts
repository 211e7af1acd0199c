// Telegram commands against the running service (the embedded paper account, a temp SQLite store, a
// pinned clock), with a local stand-in for the Bot API (test/notify/fakeTelegram.ts): every command's
// answer, a bad or unknown ticket, an action visible through the HTTP API afterwards and recorded in
// the decision journal with source telegram, shadow mode's summary, another chat ignored, the rate
// limit, and stopping the service ending the long poll.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { HELP_TEXT } from '../../src/notify/telegramCommands.ts';
import { accountSchema, decisionSchema, positionSchema } from '../../src/service/apiSchemas.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { FakeTelegram } from '../notify/fakeTelegram.ts';
import { TELEGRAM_TOKEN } from '../notify/support.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-telegram-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'telegram-test-token-0123456789';
const CHAT = 4242;

async function serve(
  file: string,
  fake: FakeTelegram,
  extra: { shadow?: boolean; perMinute?: number; lines?: string[] } = {},
): Promise<{ service: RunningService; store: WardenStore }> {
  const config = configSchema.parse({
    ...(extra.shadow === true ? { broker: { mode: 'shadow' } } : {}),
    service: { port: 0, market: { speed: 400, demoPositions: 2 } },
    notify: {
      minSeverity: 'critical',
      telegram: {
        apiBaseUrl: fake.base,
        commands: true,
        commandsPerMinute: extra.perMinute ?? 100,
        pollTimeoutSec: 50,
      },
    },
  });
  const store = openSqliteStore(file, { now: PINNED_NOW });
  const lines = extra.lines;
  const log =
    lines === undefined
      ? createLogger({ level: 'silent' })
      : createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } });
  // The bot's credentials from the environment, as a deployment keeps them.
  const env = { WARDEN_TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN, WARDEN_TELEGRAM_CHAT_ID: String(CHAT) };
  const service = await startService({
    config,
    store,
    log,
    clock: () => PINNED_NOW,
    version: 'test',
    token: TOKEN,
    tokenFile: join(dir, 'unused.token'),
    env,
  });
  return { service, store };
}

/** Sends a command from the configured chat and resolves with the reply's text. */
async function ask(fake: FakeTelegram, text: string): Promise<string> {
  fake.message(text);
  const reply = await fake.sent.next();
  expect(reply.chat_id).toBe(CHAT);
  expect(reply.parse_mode).toBe('HTML');
  return reply.text;
}

describe('Telegram commands on the running service', () => {
  it('answers every command; an action is the API action, shown by the API and recorded with source telegram', async () => {
    const fake = await FakeTelegram.start(TELEGRAM_TOKEN);
    const { service, store } = await serve(join(dir, 'commands.db'), fake);
    const api = async (path: string, init?: RequestInit): Promise<unknown> =>
      (await fetch(new URL(path, service.url), init)).json();
    try {
      expect(service.commands).not.toBeNull();
      expect(await waitUntil(() => service.loop.played >= 200 && service.session.engine.openPositions > 0, 1200)).toBe(
        true,
      );
      await service.loop.pause();
      await fake.held.next();

      expect(await ask(fake, '/help')).toBe(HELP_TEXT);
      expect(await ask(fake, '/start')).toBe(HELP_TEXT);
      expect(await ask(fake, '/frobnicate 12')).toBe(`Unknown command /frobnicate.\n\n${HELP_TEXT}`);

      const status = await ask(fake, '/status');
      const health = service.session.health();
      expect(status).toContain('<b>Warden test</b>, mode <b>paper</b>');
      expect(status).toContain('Account: paper account (embedded; played market of XAUUSDc, EURUSD, BTCUSDc)');
      expect(status).toContain(`Health: <b>${health.status}</b>`);
      expect(status).toContain(`Positions managed: ${health.positions}`);
      // The account's money as the strip shows it (the paper account is read on every ask: the market is paused).
      const account = accountSchema.parse(await api('/api/account'));
      expect(status).toContain(
        `Balance ${account.balance!.toFixed(2)} USD, equity ${account.equity!.toFixed(2)}, open P/L ${account.openProfit! >= 0 ? '+' : ''}${account.openProfit!.toFixed(2)}`,
      );
      expect(status).toMatch(
        /Today \(since \d{4}-\d\d-\d\d 00:00:00 UTC\): realized [+-]\d+\.\d\d in \d+ booking\(s\)/,
      );

      const list = positionSchema.array().parse(await api('/api/positions'));
      const positions = await ask(fake, '/positions');
      const lines = positions.split('\n');
      expect(lines[0]).toBe(`<b>Open positions: ${list.length}</b>`);
      expect(lines).toHaveLength(list.length + 1);
      for (const p of list) {
        const line = lines.find((l) => l.startsWith(`<b>#${p.ticket}</b> `))!;
        expect(line).toContain(`${p.symbol} ${p.side.toUpperCase()} ${p.volume} @ `);
        expect(line).toMatch(/, SL (\d+\.\d+|n\/a), P\/L [+-]\d+\.\d\d, exits on$/);
      }

      // A position whose exits are on, trailing allowed and not yet asked to start.
      const p = list.find(
        (x) => x.exits.enabled && x.exits.trailingEnabled && !x.exits.trailNow && x.exits.pending === null,
      )!;
      const t = p.ticket;
      const trade = await ask(fake, `/trade ${t}`);
      expect(trade.split('\n')[0]).toBe(lines.find((l) => l.startsWith(`<b>#${t}</b> `)));
      expect(trade).toContain(`Exits: on, ${p.exits.tradeType}`);
      expect(trade).toContain('<b>Last decisions</b>');
      expect(trade).toMatch(/\n\d\d-\d\d \d\d:\d\d \w+ \w+ \(\w+\)/);

      // Bad arguments: one line each.
      expect(await ask(fake, '/trade')).toBe('Which position? Usage: /trade N, N a ticket as /positions shows it.');
      expect(await ask(fake, '/trade abc')).toBe('No position abc under management (/positions lists them).');
      expect(await ask(fake, '/trade <b>')).toBe(
        '"&lt;b&gt;" is not a ticket. Usage: /trade N, N a ticket as /positions shows it.',
      );
      expect(await ask(fake, '/exits_off 1 2')).toBe(
        'One ticket only. Usage: /exits_off N, N a ticket as /positions shows it.',
      );
      expect(await ask(fake, '/trail 424242')).toBe('No position 424242 under management (/positions lists them).');

      // Exits off: the API shows it, and the journal says who did it.
      const off = await ask(fake, `/exits_off ${t}`);
      expect(off).toMatch(
        new RegExp(
          `^Intelligent exits off for #${t} \\(${p.symbol} ${p.side.toUpperCase()}\\)\\. DTMS (still defends it|does not defend it)\\.$`,
        ),
      );
      expect(positionSchema.parse(await api(`/api/positions/${t}`)).exits.enabled).toBe(false);
      expect(await ask(fake, `/exits_off ${t}`)).toBe(
        `Intelligent exits were already off for #${t} (${p.symbol} ${p.side.toUpperCase()}): nothing changed.`,
      );
      const history = () => api(`/api/positions/${t}/decisions?limit=50`).then((d) => decisionSchema.array().parse(d));
      const offRecords = (await history()).filter((d) => d.note.includes('source: telegram'));
      expect(offRecords).toHaveLength(1);
      expect(offRecords[0]).toMatchObject({
        rule: 'manual',
        outcome: 'info',
        reason: 'manual_change',
        note: `intelligent exits: on -> off; source: telegram (chat ${CHAT}, user @trader)`,
      });

      expect(await ask(fake, `/exits_on ${t}`)).toMatch(
        new RegExp(`^Intelligent exits on for #${t} .*\\. DTMS (defends it too|does not defend it)\\.$`),
      );
      expect(positionSchema.parse(await api(`/api/positions/${t}`)).exits.enabled).toBe(true);

      // Trailing now: the API's own action.
      expect(await ask(fake, `/trail ${t}`)).toBe(
        `Trailing of #${t} starts now: the stop follows the price from the next step, and only ever tightens.`,
      );
      expect(positionSchema.parse(await api(`/api/positions/${t}`)).exits.trailNow).toBe(true);
      const notes = (await history()).filter((d) => d.note.includes('source: telegram')).map((d) => d.note);
      expect(notes).toEqual([
        `intelligent exits: on -> off; source: telegram (chat ${CHAT}, user @trader)`,
        `intelligent exits: off -> on; source: telegram (chat ${CHAT}, user @trader)`,
        `trailing: waiting for breakeven -> started now; source: telegram (chat ${CHAT}, user @trader)`,
      ]);
      expect(store.recentDecisions(1000).filter((d) => d.note.includes('source: telegram'))).toHaveLength(3);
      // /trade shows the action among the last decisions.
      expect(await ask(fake, `/trade ${t}`)).toContain(
        'manual info (manual_change): trailing: waiting for breakeven -&gt; started now; source: telegram',
      );

      // A position out of DTMS's hands: /trade says since when (the API's disabledAt, an ISO time) and why.
      const d = list.find((x) => x.dtms !== null && x.exits.pending === null)!;
      const dtmsOff = await fetch(new URL(`/api/positions/${d.ticket}/dtms/disable`, service.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'news <soon>' }),
      });
      expect(dtmsOff.status).toBe(200);
      const disabledAt = positionSchema.parse(await api(`/api/positions/${d.ticket}`)).dtms!.disabledAt!;
      expect(disabledAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(await ask(fake, `/trade ${d.ticket}`)).toContain(
        `\nDTMS: out of its hands since ${disabledAt.slice(0, 19).replace('T', ' ')} UTC: news &lt;soon&gt;\n`,
      );

      expect(await ask(fake, '/shadow')).toBe('Not in shadow mode: every decision is sent.');
    } finally {
      await service.stop();
      store.close();
      await fake.close();
    }
  }, 60_000);

  it('in shadow mode: the summary; another chat ignored; the rate limit; stopping the service ends the long poll', async () => {
    const fake = await FakeTelegram.start(TELEGRAM_TOKEN);
    const lines: string[] = [];
    const { service, store } = await serve(join(dir, 'shadow.db'), fake, { shadow: true, perMinute: 3, lines });
    try {
      expect(
        await waitUntil(() => service.loop.played >= 300 && (service.session.shadow?.scores().length ?? 0) > 0, 1200),
      ).toBe(true);
      await service.loop.pause();
      await fake.held.next();

      // Another chat's command comes first and is never answered: the first reply is to ours.
      fake.message('/exits_off 1 please', { id: 777, type: 'group' });
      const shadow = await ask(fake, '/shadow');
      expect(fake.sent.all).toHaveLength(1);
      expect(service.commands?.stats().foreign).toBe(1);
      expect(lines.join('')).not.toContain('please');
      const report = service.session.shadow!;
      expect(shadow.split('\n').slice(0, 3)).toEqual([
        '<b>Shadow mode</b>',
        `Shadowed: ${report.shadowed().join(', ')}; promoted to live: none`,
        expect.stringMatching(/^Positions: \d+ \(\d+ ended both ways\); would-be decisions: \d+ on \d+ position\(s\)$/),
      ]);
      expect(shadow).toMatch(/\n#\S+ \w+ (BUY|SELL): \d+ decision\(s\), would-be /);

      expect(await ask(fake, '/status')).toContain('mode <b>shadow</b>');
      expect(await ask(fake, '/positions')).toMatch(/^<b>Open positions: \d+<\/b>/);
      // Three a minute: the fourth is refused politely, the fifth not answered at all.
      expect(await ask(fake, '/help')).toBe(
        'Too many commands: I answer at most 3 a minute. Please try again in 60 s.',
      );
      fake.message('/help');
      expect(await waitUntil(() => service.commands?.stats().rateLimited === 2)).toBe(true);
      expect(fake.sent.all).toHaveLength(4);

      // Stopping the service aborts the poll held at the fake, and no poll follows.
      expect(await waitUntil(() => fake.holding === 1)).toBe(true);
      const polls = fake.polls.length;
      await service.stop();
      expect(service.commands?.polling).toBe(false);
      await fake.dropped.next();
      expect(fake.holding).toBe(0);
      expect(fake.polls).toHaveLength(polls);
      expect(lines.join('')).not.toContain(TELEGRAM_TOKEN);
    } finally {
      await service.stop();
      store.close();
      await fake.close();
    }
  }, 60_000);
});
