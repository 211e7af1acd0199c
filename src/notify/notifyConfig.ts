// The notifier a `notify:` config section builds (the section's schema is config/notifySchema.ts). The
// credentials (Discord's webhook URL, Telegram's bot token and chat) may stay out of the file:
// `notifyFromEnv` fills them from WARDEN_DISCORD_WEBHOOK_URL, WARDEN_TELEGRAM_BOT_TOKEN and
// WARDEN_TELEGRAM_CHAT_ID. Messages about a bad credential name the field and what is allowed, never the
// value (it may be a secret).
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ConfigError } from '../config/errors.ts';
import {
  botToken,
  chatId,
  DEFAULT_TELEGRAM_API,
  NOTIFY_ENV,
  TELEGRAM_COMMAND_DEFAULTS,
  webhookUrl,
  type NotifyConfig,
} from '../config/notifySchema.ts';
import { DiscordWebhookChannel, TelegramBotChannel, type NotificationChannel } from './channels.ts';
import { Notifier, type NotifierOptions } from './notifier.ts';

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

  const envUrl =
    config.discord?.webhookUrl === undefined
      ? fromEnv(env, NOTIFY_ENV.discordWebhookUrl, webhookUrl(), errors)
      : undefined;
  if (config.discord !== undefined || envUrl !== undefined) {
    const discord = { ...config.discord, webhookUrl: config.discord?.webhookUrl ?? envUrl };
    if (discord.webhookUrl === undefined && !errors.some((e) => e.path === NOTIFY_ENV.discordWebhookUrl)) {
      errors.push({
        path: 'notify.discord.webhookUrl',
        message: `is required: set it here or in ${NOTIFY_ENV.discordWebhookUrl}`,
      });
    }
    out.discord = discord;
  }

  const envToken =
    config.telegram?.botToken === undefined ? fromEnv(env, NOTIFY_ENV.telegramBotToken, botToken(), errors) : undefined;
  const envChat =
    config.telegram?.chatId === undefined ? fromEnv(env, NOTIFY_ENV.telegramChatId, chatId(), errors) : undefined;
  if (config.telegram !== undefined || envToken !== undefined || envChat !== undefined) {
    const telegram = {
      apiBaseUrl: DEFAULT_TELEGRAM_API,
      ...TELEGRAM_COMMAND_DEFAULTS,
      ...config.telegram,
      botToken: config.telegram?.botToken ?? envToken,
      chatId: config.telegram?.chatId ?? envChat,
    };
    if (telegram.botToken === undefined && !errors.some((e) => e.path === NOTIFY_ENV.telegramBotToken)) {
      errors.push({
        path: 'notify.telegram.botToken',
        message: `is required: set it here or in ${NOTIFY_ENV.telegramBotToken}`,
      });
    }
    if (telegram.chatId === undefined && !errors.some((e) => e.path === NOTIFY_ENV.telegramChatId)) {
      errors.push({
        path: 'notify.telegram.chatId',
        message: `is required: set it here or in ${NOTIFY_ENV.telegramChatId}`,
      });
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
      channels.push(
        new DiscordWebhookChannel({
          webhookUrl: d.webhookUrl,
          timeoutMs: config.timeoutMs,
          ...(d.username !== undefined ? { username: d.username } : {}),
        }),
      );
    } else {
      log.warn(
        { channel: 'discord' },
        `discord notifications off: no webhook URL (notify.discord.webhookUrl or ${NOTIFY_ENV.discordWebhookUrl})`,
      );
    }
  }
  const t = config.telegram;
  if (t !== undefined) {
    if (t.botToken !== undefined && t.chatId !== undefined) {
      channels.push(
        new TelegramBotChannel({
          botToken: t.botToken,
          chatId: t.chatId,
          apiBaseUrl: t.apiBaseUrl,
          timeoutMs: config.timeoutMs,
        }),
      );
    } else {
      log.warn(
        { channel: 'telegram' },
        `telegram notifications off: bot token or chat id missing (${NOTIFY_ENV.telegramBotToken}, ${NOTIFY_ENV.telegramChatId})`,
      );
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
