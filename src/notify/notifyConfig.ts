// The `notify:` config section and the notifier it builds. The credentials (Discord's webhook URL,
// Telegram's bot token and chat) may stay out of the file: `notifyFromEnv` fills them from
// WARDEN_DISCORD_WEBHOOK_URL, WARDEN_TELEGRAM_BOT_TOKEN and WARDEN_TELEGRAM_CHAT_ID. Messages about a
// bad credential name the field and what is allowed, never the value (it may be a secret).
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ConfigError } from '../config/errors.ts';
import { DEFAULT_TELEGRAM_API, DiscordWebhookChannel, TelegramBotChannel, type NotificationChannel } from './channels.ts';
import { Notifier, type NotifierOptions } from './notifier.ts';
import { SEVERITIES } from './notificationEvent.ts';

export const NOTIFY_ENV = {
  discordWebhookUrl: 'WARDEN_DISCORD_WEBHOOK_URL',
  telegramBotToken: 'WARDEN_TELEGRAM_BOT_TOKEN',
  telegramChatId: 'WARDEN_TELEGRAM_CHAT_ID',
} as const;

const httpUrl = (example: string) => z.url({ protocol: /^https?$/, error: `must be an http(s) URL, e.g. ${example}` });

const webhookUrl = () => httpUrl('https://discord.com/api/webhooks/<id>/<token>');
const botToken = () => z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, { error: 'must be the token @BotFather gave, e.g. 123456789:AAE...' });
const CHAT_ID_ALLOWED = 'must be a chat id (a whole number, negative for groups) or @channelusername';
// The message on each option too: zod reports the option whose type matched, not the union.
const chatId = () =>
  z.union([z.number({ error: CHAT_ID_ALLOWED }).int({ error: CHAT_ID_ALLOWED }), z.string().regex(/^(-?\d+|@[A-Za-z0-9_]{5,})$/, { error: CHAT_ID_ALLOWED })], {
    error: CHAT_ID_ALLOWED,
  });

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** The Telegram command settings when the file says nothing of them (the bot's credentials from the environment alone). */
export const TELEGRAM_COMMAND_DEFAULTS = { commands: false, commandsPerMinute: 20, pollTimeoutSec: 30 } as const;

export const notifySchema = z
  .strictObject({
    discord: z
      .strictObject({
        /** Secret: may come from WARDEN_DISCORD_WEBHOOK_URL instead. */
        webhookUrl: webhookUrl().optional(),
        /** Overrides the webhook's display name. */
        username: z.string().min(1).max(80).optional(),
      })
      .optional(),
    telegram: z
      .strictObject({
        /** Secret: may come from WARDEN_TELEGRAM_BOT_TOKEN instead. */
        botToken: botToken().optional(),
        /** May come from WARDEN_TELEGRAM_CHAT_ID instead. */
        chatId: chatId().optional(),
        apiBaseUrl: httpUrl('https://api.telegram.org').default(DEFAULT_TELEGRAM_API),
        /**
         * Answer commands sent in the chat (/status, /positions, /trade, /exits_on, /exits_off, /trail,
         * /shadow, /help) by long-polling the bot's updates. Off by default: some commands change a
         * position's exits, and a bot that already has a webhook or another poller cannot be polled.
         */
        commands: z.boolean().default(TELEGRAM_COMMAND_DEFAULTS.commands),
        /** Commands answered per minute from the chat; past it one polite refusal, then silence until the minute has passed. */
        commandsPerMinute: int(1, 600).default(TELEGRAM_COMMAND_DEFAULTS.commandsPerMinute),
        /** How long one getUpdates call waits for a message, seconds (Telegram's long-poll timeout). */
        pollTimeoutSec: int(1, 50).default(TELEGRAM_COMMAND_DEFAULTS.pollTimeoutSec),
      })
      .optional(),
    /** Events below this severity are not sent. */
    minSeverity: z.enum(SEVERITIES).default('info'),
    /** Events waiting per channel; when full the oldest is dropped. */
    queueSize: int(1, 100_000).default(1000),
    /** Sends of one event per channel at most. */
    maxAttempts: int(1, 20).default(5),
    /** Time a send may take before it counts as failed, ms. */
    timeoutMs: int(100, 120_000).default(10_000),
    /** Wait before the first retry, ms; doubles at each further one (a 429's retry_after wins). */
    retryBaseMs: int(0, 600_000).default(1000),
    /** Longest backoff wait, ms. */
    retryMaxMs: int(0, 3_600_000).default(60_000),
  })
  .prefault({});

export type NotifyConfig = z.infer<typeof notifySchema>;

/** A credential from the environment that is not valid, or a channel left without one. */
export class NotifyConfigError extends Error {
  override readonly name = 'NotifyConfigError';
  constructor(readonly errors: ConfigError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The env value, validated; an error names the variable and never echoes its value. */
function fromEnv<T>(env: Env, name: string, schema: z.ZodType<T>, errors: ConfigError[]): T | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  errors.push({ path: name, message: `is not valid: ${parsed.error.issues[0]?.message ?? 'refused'}` });
  return undefined;
}

/**
 * Fills the credentials the file leaves out from the environment (the file's values win). A channel
 * that has some of its settings but still lacks one after that is an error naming both places to set
 * it; so is an environment value that is not valid. Throws NotifyConfigError.
 */
export function notifyFromEnv(config: NotifyConfig, env: Env = process.env): NotifyConfig {
  const errors: ConfigError[] = [];
  const out: NotifyConfig = { ...config };

  const envUrl = config.discord?.webhookUrl === undefined ? fromEnv(env, NOTIFY_ENV.discordWebhookUrl, webhookUrl(), errors) : undefined;
  if (config.discord !== undefined || envUrl !== undefined) {
    const discord = { ...config.discord, webhookUrl: config.discord?.webhookUrl ?? envUrl };
    if (discord.webhookUrl === undefined && !errors.some((e) => e.path === NOTIFY_ENV.discordWebhookUrl)) {
      errors.push({ path: 'notify.discord.webhookUrl', message: `is required: set it here or in ${NOTIFY_ENV.discordWebhookUrl}` });
    }
    out.discord = discord;
  }

  const envToken = config.telegram?.botToken === undefined ? fromEnv(env, NOTIFY_ENV.telegramBotToken, botToken(), errors) : undefined;
  const envChat = config.telegram?.chatId === undefined ? fromEnv(env, NOTIFY_ENV.telegramChatId, chatId(), errors) : undefined;
  if (config.telegram !== undefined || envToken !== undefined || envChat !== undefined) {
    const telegram = {
      apiBaseUrl: DEFAULT_TELEGRAM_API,
      ...TELEGRAM_COMMAND_DEFAULTS,
      ...config.telegram,
      botToken: config.telegram?.botToken ?? envToken,
      chatId: config.telegram?.chatId ?? envChat,
    };
    if (telegram.botToken === undefined && !errors.some((e) => e.path === NOTIFY_ENV.telegramBotToken)) {
      errors.push({ path: 'notify.telegram.botToken', message: `is required: set it here or in ${NOTIFY_ENV.telegramBotToken}` });
    }
    if (telegram.chatId === undefined && !errors.some((e) => e.path === NOTIFY_ENV.telegramChatId)) {
      errors.push({ path: 'notify.telegram.chatId', message: `is required: set it here or in ${NOTIFY_ENV.telegramChatId}` });
    }
    out.telegram = telegram;
  }

  if (errors.length > 0) throw new NotifyConfigError(errors);
  return out;
}

/** Test seams passed on to the Notifier. */
export type NotifierOverrides = Pick<NotifierOptions, 'sleep' | 'now'>;

/** The channels a config describes; a channel without its credentials is left out (and logged). */
export function channelsFromConfig(config: NotifyConfig, log: Logger): NotificationChannel[] {
  const channels: NotificationChannel[] = [];
  const d = config.discord;
  if (d !== undefined) {
    if (d.webhookUrl !== undefined) {
      channels.push(new DiscordWebhookChannel({ webhookUrl: d.webhookUrl, timeoutMs: config.timeoutMs, ...(d.username !== undefined ? { username: d.username } : {}) }));
    } else {
      log.warn({ channel: 'discord' }, `discord notifications off: no webhook URL (notify.discord.webhookUrl or ${NOTIFY_ENV.discordWebhookUrl})`);
    }
  }
  const t = config.telegram;
  if (t !== undefined) {
    if (t.botToken !== undefined && t.chatId !== undefined) {
      channels.push(new TelegramBotChannel({ botToken: t.botToken, chatId: t.chatId, apiBaseUrl: t.apiBaseUrl, timeoutMs: config.timeoutMs }));
    } else {
      log.warn({ channel: 'telegram' }, `telegram notifications off: bot token or chat id missing (${NOTIFY_ENV.telegramBotToken}, ${NOTIFY_ENV.telegramChatId})`);
    }
  }
  return channels;
}

/**
 * The notifier a `notify:` section describes (call `notifyFromEnv` first to take the credentials
 * from the environment). No channel configured: a notifier that only counts.
 */
export function createNotifier(config: NotifyConfig, log: Logger, overrides: NotifierOverrides = {}): Notifier {
  return new Notifier({
    channels: channelsFromConfig(config, log),
    log,
    minSeverity: config.minSeverity,
    queueSize: config.queueSize,
    maxAttempts: config.maxAttempts,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    ...overrides,
  });
}
