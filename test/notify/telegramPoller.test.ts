// The Telegram command poller against a local stand-in for the Bot API (fakeTelegram.ts): long polls
// with the offset after the last update, commands from the configured chat only, messages left while
// Warden was not polling skipped, commands for another bot left alone, the rate limit on an injected
// clock, backoff after failures (waits recorded, not waited) with the bot token in no log line, a
// refused token ending the loop, and stop() ending the poll under way.
import { afterEach, describe, expect, it } from 'vitest';
import {
  parseCommand,
  TelegramCommandPoller,
  type BotCommand,
  type TelegramPollerOptions,
} from '../../src/notify/telegramPoller.ts';
import { BOT_USERNAME, FakeTelegram } from './fakeTelegram.ts';
import { captureLog, recordingSleep, TELEGRAM_TOKEN, type CapturedLog } from './support.ts';
import { waitUntil } from '../support/waitUntil.ts';

const CHAT = 4242;
let fake: FakeTelegram | null = null;
let poller: TelegramCommandPoller | null = null;

afterEach(async () => {
  await poller?.stop();
  await fake?.close();
  poller = null;
  fake = null;
});

interface Setup {
  fake: FakeTelegram;
  poller: TelegramCommandPoller;
  asked: BotCommand[];
  logs: CapturedLog;
  waits: number[];
  clock: { now: number };
}

async function setup(overrides: Partial<TelegramPollerOptions> = {}, base?: string): Promise<Setup> {
  fake = await FakeTelegram.start(TELEGRAM_TOKEN);
  const asked: BotCommand[] = [];
  const logs = captureLog();
  const rec = recordingSleep();
  const clock = { now: Date.parse('2026-03-11T10:00:00Z') };
  poller = new TelegramCommandPoller({
    botToken: TELEGRAM_TOKEN,
    chatId: CHAT,
    apiBaseUrl: base ?? fake.base,
    pollTimeoutSec: 50,
    commandsPerMinute: 20,
    timeoutMs: 5_000,
    retryBaseMs: 1000,
    retryMaxMs: 60_000,
    log: logs.log,
    answer: (cmd) => {
      asked.push(cmd);
      return Promise.resolve(`answer to /${cmd.name}`);
    },
    now: () => clock.now,
    sleep: rec.sleep,
    ...overrides,
  });
  return { fake, poller, asked, logs, waits: rec.waits, clock };
}

describe('parseCommand', () => {
  it('takes the name (lower case), the bot named and the arguments; chatter is not a command', () => {
    expect(parseCommand('/trade 1001')).toEqual({ name: 'trade', mention: null, args: ['1001'] });
    expect(parseCommand('/Exits_Off@warden_bot  77  ')).toEqual({
      name: 'exits_off',
      mention: 'warden_bot',
      args: ['77'],
    });
    expect(parseCommand('/status')).toEqual({ name: 'status', mention: null, args: [] });
    expect(parseCommand('hello /status')).toBeNull();
    expect(parseCommand('/')).toBeNull();
    expect(parseCommand('/sta-tus')).toBeNull();
  });
});

describe('TelegramCommandPoller', () => {
  it('skips what was sent before it started, long-polls from the last update, answers its chat in order', async () => {
    const s = await setup();
    s.fake.message('/status');
    s.poller.start();
    const firstHeld = await s.fake.held.next();
    // The message left before the start was skipped: the first long poll asks for the update after it.
    expect(s.fake.polls[0]).toMatchObject({ offset: -1, timeout: 0 });
    expect(firstHeld).toEqual({ offset: 501, timeout: 50, allowed_updates: ['message'] });
    expect(s.asked).toEqual([]);

    const id = s.fake.message('/trade 1001');
    s.fake.message('/positions');
    const first = await s.fake.sent.next();
    const second = await s.fake.sent.next();
    expect([first.text, second.text]).toEqual(['answer to /trade', 'answer to /positions']);
    expect(first).toMatchObject({ chat_id: CHAT, parse_mode: 'HTML' });
    expect(s.asked.map((c) => [c.name, c.args, c.from])).toEqual([
      ['trade', ['1001'], `chat ${CHAT}, user @trader`],
      ['positions', [], `chat ${CHAT}, user @trader`],
    ]);
    const next = await s.fake.held.next();
    expect(next.offset).toBe(id + 2);
  });

  it('ignores other chats (logged at debug without their text), chatter and commands for another bot', async () => {
    const s = await setup();
    s.poller.start();
    await s.fake.held.next();
    s.fake.message('/exits_off 1001 secret-words', { id: 999, type: 'group' });
    s.fake.message('just talking');
    s.fake.message(`/status@some_other_bot`);
    s.fake.message(`/status@${BOT_USERNAME}`);
    const reply = await s.fake.sent.next();
    expect(reply.text).toBe('answer to /status');
    expect(s.fake.sent.all).toHaveLength(1);
    expect(s.asked.map((c) => c.name)).toEqual(['status']);
    expect(s.poller.stats()).toMatchObject({ updates: 4, foreign: 1, answered: 1 });
    const foreign = s.logs.lines
      .map((l) => JSON.parse(l) as { level: number; msg: string; chatId?: number })
      .find((l) => l.msg.includes('another chat'));
    expect(foreign).toMatchObject({ level: 20, chatId: 999 });
    expect(s.logs.text()).not.toContain('secret-words');
  });

  it('answers a chat given as @channelusername by its name', async () => {
    const s = await setup({ chatId: '@warden_desk' });
    s.poller.start();
    await s.fake.held.next();
    s.fake.message('/status', { id: -100123, username: 'other_desk', type: 'supergroup' });
    s.fake.message('/help', { id: -100555, username: 'Warden_Desk', type: 'supergroup' });
    expect((await s.fake.sent.next()).chat_id).toBe(-100555);
    expect(s.asked.map((c) => c.name)).toEqual(['help']);
  });

  it('answers at most N commands a minute: one polite refusal, then silence until the minute has passed', async () => {
    const s = await setup({ commandsPerMinute: 2 });
    s.poller.start();
    await s.fake.held.next();
    for (const c of ['/status', '/positions', '/help', '/shadow']) s.fake.message(c);
    await s.fake.sent.next();
    await s.fake.sent.next();
    const refusal = await s.fake.sent.next();
    expect(refusal.text).toBe('Too many commands: I answer at most 2 a minute. Please try again in 60 s.');
    expect(await waitUntil(() => s.poller.stats().rateLimited === 2)).toBe(true);
    expect(s.fake.sent.all).toHaveLength(3);
    expect(s.asked.map((c) => c.name)).toEqual(['status', 'positions']);
    // A minute on (the injected clock), commands are answered again.
    s.clock.now += 60_000;
    s.fake.message('/trade 5');
    expect((await s.fake.sent.next()).text).toBe('answer to /trade');
  });

  it('backs off after failed polls (doubling; a 429 retry_after as given) and keeps the token out of every log line', async () => {
    const s = await setup();
    s.fake.script(
      'getUpdates',
      { status: 502, body: 'Bad Gateway' },
      { status: 502, body: `<html>upstream /bot${TELEGRAM_TOKEN}/getUpdates failed</html>` },
      {
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: 'Too Many Requests: retry after 7',
          parameters: { retry_after: 7 },
        },
      },
      {
        status: 409,
        body: { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request' },
      },
    );
    s.poller.start();
    await s.fake.held.next();
    expect(s.waits).toEqual([1000, 2000, 7000, 8000]);
    expect(s.poller.stats().pollFailures).toBe(4);
    const text = s.logs.text();
    expect(text).toContain('HTTP 409 (a webhook is set on this bot, or another program polls it)');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(TELEGRAM_TOKEN);
    expect(text).not.toContain(TELEGRAM_TOKEN.split(':')[1]!);
    // Answered again once Telegram answers.
    s.fake.message('/help');
    expect((await s.fake.sent.next()).text).toBe('answer to /help');
  });

  it('backs off when Telegram cannot be reached at all, the token scrubbed from the reason', async () => {
    const gone = await FakeTelegram.start(TELEGRAM_TOKEN);
    const base = gone.base;
    await gone.close();
    const s = await setup({}, base);
    s.poller.start();
    expect(await waitUntil(() => s.waits.length >= 3)).toBe(true);
    await s.poller.stop();
    expect(s.waits.slice(0, 3)).toEqual([1000, 2000, 4000]);
    expect(s.logs.text()).toMatch(/request failed/);
    expect(s.logs.text()).not.toContain(TELEGRAM_TOKEN);
  });

  it('stops polling when Telegram refuses the token', async () => {
    const s = await setup();
    s.fake.script('getMe', { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
    s.poller.start();
    expect(await waitUntil(() => !s.poller.polling && s.poller.stats().pollFailures === 1)).toBe(true);
    expect(s.fake.polls).toEqual([]);
    expect(s.logs.text()).toContain('Telegram refuses the bot token');
    expect(s.logs.text()).not.toContain(TELEGRAM_TOKEN);
  });

  it('stop() ends the long poll under way: the client drops it, no poll follows', async () => {
    const s = await setup();
    s.poller.start();
    await s.fake.held.next();
    const polls = s.fake.polls.length;
    await s.poller.stop();
    expect(s.poller.polling).toBe(false);
    await s.fake.dropped.next();
    expect(s.fake.holding).toBe(0);
    expect(s.fake.polls).toHaveLength(polls);
  });

  it('a command whose answer throws gets a short apology, and the next is answered', async () => {
    const s = await setup({
      answer: (cmd) =>
        cmd.name === 'boom'
          ? Promise.reject(new Error('the store cannot be written <disk full>'))
          : Promise.resolve('ok'),
    });
    s.poller.start();
    await s.fake.held.next();
    s.fake.message('/boom');
    s.fake.message('/help');
    expect((await s.fake.sent.next()).text).toBe('Sorry, /boom failed: the store cannot be written &lt;disk full&gt;');
    expect((await s.fake.sent.next()).text).toBe('ok');
  });
});
