// The `notify:` config section: where notifications go (a Discord webhook, a Telegram bot), which
// severities are sent, and how sends are queued and retried. Schema and defaults only: the notifier it
// builds is notify/notifyConfig.ts, so the config's schema does not load the notifier and its channels.
// A credential may be left out here and set in the environment (NOTIFY_ENV) instead.
import { z } from 'zod';

/** How urgent an event is, least first; `minSeverity` drops the events below it. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const DEFAULT_TELEGRAM_API = 'https://api.telegram.org';

export const NOTIFY_ENV = {
  discordWebhookUrl: 'WARDEN_DISCORD_WEBHOOK_URL',
  telegramBotToken: 'WARDEN_TELEGRAM_BOT_TOKEN',
  telegramChatId: 'WARDEN_TELEGRAM_CHAT_ID',
} as const;

const httpUrl = (example: string) => z.url({ protocol: /^https?$/, error: `must be an http(s) URL, e.g. ${example}` });

export const webhookUrl = () => httpUrl('https://discord.com/api/webhooks/<id>/<token>');
export const botToken = () =>
  z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, { error: 'must be the token @BotFather gave, e.g. 123456789:AAE...' });
const CHAT_ID_ALLOWED = 'must be a chat id (a whole number, negative for groups) or @channelusername';
// The message on each option too: zod reports the option whose type matched, not the union.
export const chatId = () =>
  z.union(
    [
      z.number({ error: CHAT_ID_ALLOWED }).int({ error: CHAT_ID_ALLOWED }),
      z.string().regex(/^(-?\d+|@[A-Za-z0-9_]{5,})$/, { error: CHAT_ID_ALLOWED }),
    ],
    {
      error: CHAT_ID_ALLOWED,
    },
  );

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
