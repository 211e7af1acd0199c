// The `notify:` section: defaults, refusals that name the field (and never echo a credential), the
// credentials taken from the environment, and createNotifier end to end against local services.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PARSE_OPTIONS, toConfigErrors } from '../../src/config/errors.ts';
import { notifySchema, type NotifyConfig } from '../../src/config/notifySchema.ts';
import { createNotifier, notifyFromEnv, NotifyConfigError } from '../../src/notify/notifyConfig.ts';
import { FakeService } from './fakeService.ts';
import {
  captureLog,
  DISCORD_PATH,
  DISCORD_TOKEN,
  event,
  recordingSleep,
  TELEGRAM_PATH,
  TELEGRAM_TOKEN,
} from './support.ts';

/** The section as the main config will hold it, so paths read `notify.…`. */
const root = z.strictObject({ notify: notifySchema });

function refusals(notify: unknown): { path: string; message: string }[] {
  const input = { notify };
  const parsed = root.safeParse(input, PARSE_OPTIONS);
  if (parsed.success) throw new Error('expected the section to be refused');
  return toConfigErrors(parsed.error.issues, root, input);
}

const parse = (notify: unknown): NotifyConfig => notifySchema.parse(notify);

describe('notify config', () => {
  it('defaults: no channel, every severity, queue 1000, 5 attempts, 10 s timeout', () => {
    expect(root.parse({}).notify).toEqual({
      minSeverity: 'info',
      queueSize: 1000,
      maxAttempts: 5,
      timeoutMs: 10_000,
      retryBaseMs: 1000,
      retryMaxMs: 60_000,
    });
    expect(parse({ telegram: { botToken: TELEGRAM_TOKEN, chatId: 42 } }).telegram).toEqual({
      botToken: TELEGRAM_TOKEN,
      chatId: 42,
      apiBaseUrl: 'https://api.telegram.org',
      commands: false,
      commandsPerMinute: 20,
      pollTimeoutSec: 30,
    });
  });

  it('refuses a webhook URL that is not an http(s) URL, naming the field and not echoing the value', () => {
    for (const bad of ['discord.com/api/webhooks/1/SECRETPART', 'ftp://discord.com/api/webhooks/1/SECRETPART']) {
      const errors = refusals({ discord: { webhookUrl: bad } });
      expect(errors).toEqual([
        {
          path: 'notify.discord.webhookUrl',
          message: 'must be an http(s) URL, e.g. https://discord.com/api/webhooks/<id>/<token>',
        },
      ]);
      expect(JSON.stringify(errors)).not.toContain('SECRETPART');
    }
  });

  it('refuses a bad Telegram base URL, token and chat id, naming each field', () => {
    const errors = refusals({ telegram: { botToken: 'SECRETPART', chatId: 'my chat', apiBaseUrl: 'localhost:8081' } });
    expect(errors.map((e) => e.path).sort()).toEqual([
      'notify.telegram.apiBaseUrl',
      'notify.telegram.botToken',
      'notify.telegram.chatId',
    ]);
    expect(JSON.stringify(errors)).not.toContain('SECRETPART');
    expect(errors.find((e) => e.path === 'notify.telegram.chatId')?.message).toContain('@channelusername');
  });

  it('refuses out-of-range numbers, an unknown severity and unknown keys', () => {
    expect(refusals({ queueSize: 0 })).toEqual([
      { path: 'notify.queueSize', message: '0 is out of range: must be a whole number between 1 and 100000' },
    ]);
    expect(refusals({ maxAttempts: 50 })[0]?.path).toBe('notify.maxAttempts');
    expect(refusals({ minSeverity: 'debug' })[0]).toEqual({
      path: 'notify.minSeverity',
      message: '"debug" is not allowed: must be one of info, warning, critical',
    });
    expect(refusals({ discord: { webhook: 'x' } })[0]?.path).toBe('notify.discord.webhook');
    expect(refusals({ telegram: { pollTimeoutSec: 0 } })[0]?.path).toBe('notify.telegram.pollTimeoutSec');
    expect(refusals({ telegram: { commandsPerMinute: 0 } })[0]?.path).toBe('notify.telegram.commandsPerMinute');
    expect(refusals({ telegram: { commands: 'yes' } })[0]?.path).toBe('notify.telegram.commands');
  });
});

describe('notifyFromEnv', () => {
  const env = {
    WARDEN_DISCORD_WEBHOOK_URL: `https://discord.com${DISCORD_PATH}`,
    WARDEN_TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
    WARDEN_TELEGRAM_CHAT_ID: '-100123',
  };

  it('fills the credentials the file leaves out, and creates the channels they describe', () => {
    const cfg = notifyFromEnv(parse({}), env);
    expect(cfg.discord).toEqual({ webhookUrl: env.WARDEN_DISCORD_WEBHOOK_URL });
    expect(cfg.telegram).toEqual({
      botToken: TELEGRAM_TOKEN,
      chatId: '-100123',
      apiBaseUrl: 'https://api.telegram.org',
      commands: false,
      commandsPerMinute: 20,
      pollTimeoutSec: 30,
    });
  });

  it("the file's values win; the env fills only the missing ones", () => {
    const file = parse({
      discord: { webhookUrl: 'https://example.org/hook', username: 'Warden' },
      telegram: { chatId: 7, apiBaseUrl: 'http://127.0.0.1:9' },
    });
    const cfg = notifyFromEnv(file, env);
    expect(cfg.discord).toEqual({ webhookUrl: 'https://example.org/hook', username: 'Warden' });
    expect(cfg.telegram).toEqual({
      botToken: TELEGRAM_TOKEN,
      chatId: 7,
      apiBaseUrl: 'http://127.0.0.1:9',
      commands: false,
      commandsPerMinute: 20,
      pollTimeoutSec: 30,
    });
  });

  it('nothing in the file or the environment: no channel', () => {
    expect(notifyFromEnv(parse({}), {})).toEqual(parse({}));
  });

  it('a bad environment value is refused, naming the variable and not echoing it', () => {
    const run = () =>
      notifyFromEnv(parse({}), {
        WARDEN_DISCORD_WEBHOOK_URL: 'SECRETPART',
        WARDEN_TELEGRAM_BOT_TOKEN: 'SECRETPART2',
        WARDEN_TELEGRAM_CHAT_ID: '1',
      });
    expect(run).toThrow(NotifyConfigError);
    try {
      run();
    } catch (err) {
      const e = err as NotifyConfigError;
      expect(e.errors.map((x) => x.path)).toEqual(['WARDEN_DISCORD_WEBHOOK_URL', 'WARDEN_TELEGRAM_BOT_TOKEN']);
      expect(e.message).not.toContain('SECRETPART');
    }
  });

  it('a channel left without a credential names both places to set it', () => {
    expect(() => notifyFromEnv(parse({ telegram: { chatId: 5 } }), {})).toThrow(
      /notify\.telegram\.botToken: is required: set it here or in WARDEN_TELEGRAM_BOT_TOKEN/,
    );
    expect(() => notifyFromEnv(parse({}), { WARDEN_TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN })).toThrow(
      /notify\.telegram\.chatId: is required: set it here or in WARDEN_TELEGRAM_CHAT_ID/,
    );
    expect(() => notifyFromEnv(parse({ discord: { username: 'Warden' } }), {})).toThrow(
      /notify\.discord\.webhookUrl: is required/,
    );
  });
});

describe('createNotifier', () => {
  it('no channel configured: a notifier that only counts', async () => {
    const n = createNotifier(parse({}), captureLog().log);
    expect(n.channelNames).toEqual([]);
    n.notify(event());
    expect(n.stats()).toEqual({ accepted: 1, filtered: 0, channels: {} });
    await n.close(10);
  });

  it('a channel without its credential is left out, with a warning that holds no secret', async () => {
    const { log, text } = captureLog();
    const n = createNotifier(parse({ telegram: { botToken: TELEGRAM_TOKEN } }), log);
    expect(n.channelNames).toEqual([]);
    expect(text()).toContain('telegram notifications off');
    expect(text()).not.toContain(TELEGRAM_TOKEN);
    await n.close(10);
  });

  it('from config and environment to both local services, with the configured minimum severity and attempts', async () => {
    const discord = await FakeService.start({ status: 204 });
    const telegram = await FakeService.start();
    try {
      telegram.reply({ status: 502 });
      const { log, text } = captureLog();
      const { sleep, waits } = recordingSleep();
      const cfg = notifyFromEnv(
        parse({ minSeverity: 'warning', maxAttempts: 2, telegram: { apiBaseUrl: telegram.base } }),
        {
          WARDEN_DISCORD_WEBHOOK_URL: `${discord.base}${DISCORD_PATH}`,
          WARDEN_TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
          WARDEN_TELEGRAM_CHAT_ID: '42',
        },
      );
      const n = createNotifier(cfg, log, { sleep });
      expect(n.channelNames).toEqual(['discord', 'telegram']);
      n.notify(event({ severity: 'info', title: 'skipped' }));
      n.notify(event({ severity: 'critical', title: 'sent' }));
      const stats = await n.close(2000);
      expect(discord.received.map((r) => r.path)).toEqual([DISCORD_PATH]);
      expect(telegram.received.map((r) => r.path)).toEqual([TELEGRAM_PATH, TELEGRAM_PATH]);
      expect(telegram.received[1]!.body).toMatchObject({ chat_id: '42', parse_mode: 'HTML' });
      expect(waits).toEqual([1000]);
      expect(stats).toMatchObject({
        accepted: 1,
        filtered: 1,
        channels: { discord: { sent: 1 }, telegram: { sent: 1, retries: 1 } },
      });
      expect(text()).not.toContain(TELEGRAM_TOKEN);
      expect(text()).not.toContain(DISCORD_TOKEN);
    } finally {
      await discord.close();
      await telegram.close();
    }
  });
});
