// Where notifications go: a Discord webhook and a Telegram bot, one HTTP POST per event with Node's
// fetch and a timeout. A send either resolves (delivered) or throws a ChannelError saying whether a
// retry can help and how long the service asked to wait (429). The webhook URL and the bot token are
// credentials: they live in true private fields (never serialized by a logger) and are scrubbed from
// every message, the service's own answers included (an answer may echo the request path).
import { z } from 'zod';
import { DEFAULT_TELEGRAM_API, type Severity } from '../config/notifySchema.ts';
import type { NotificationEvent } from './notificationEvent.ts';

export interface NotificationChannel {
  /** Names the channel in stats and logs ('discord', 'telegram'). Never a secret. */
  readonly name: string;
  /** Delivers one event; throws (a ChannelError for the built-in channels) when it is not delivered. */
  send(event: NotificationEvent, signal?: AbortSignal): Promise<void>;
}

/** A failed send. The message names the channel, the HTTP status and an excerpt of the answer, never a secret. */
export class ChannelError extends Error {
  override readonly name = 'ChannelError';
  constructor(
    readonly channel: string,
    message: string,
    /** HTTP status, null when no answer came (timeout, connection refused). */
    readonly status: number | null,
    /** False when sending the same message again cannot help (bad token, deleted webhook, bad chat). */
    readonly retryable: boolean,
    /** The service's own wait before the next try (429), ms. */
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const EXCERPT_CHARS = 200;
export const REDACTED_SECRET = '[redacted]';

/** Replaces every occurrence of the given secrets (and their URL-encoded forms) in a text. */
export function scrubber(secrets: readonly string[]): (text: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < 4) continue; // too short to be a credential; replacing it would garble every message
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(encodeURI(s));
  }
  // Longest first: the full webhook URL before the token inside it.
  const list = [...forms].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const f of list) out = out.split(f).join(REDACTED_SECRET);
    return out;
  };
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

export function excerpt(text: string): string {
  const t = oneLine(text);
  return t.length > EXCERPT_CHARS ? `${t.slice(0, EXCERPT_CHARS)}...` : t;
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function retryAfterHeaderMs(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return Math.ceil(secs * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

function errorReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici says "fetch failed" and puts the reason (ECONNREFUSED, ENOTFOUND, a TLS error...) in the cause.
  const cause: unknown = err.cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return `${err.message}: ${typeof code === 'string' && !cause.message.includes(code) ? `${code} ` : ''}${cause.message}`;
  }
  return err.message;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** One POST with a JSON body: the answer, or a ChannelError when none came. */
export async function postJson(
  channel: string,
  url: string,
  payload: unknown,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  scrub: (t: string) => string,
): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  // One signal for fetch: the timeout, or the notifier's stop, whichever comes first.
  const both = new AbortController();
  const abort = (): void => both.abort();
  timeout.addEventListener('abort', abort, { once: true });
  signal?.addEventListener('abort', abort, { once: true });
  if (signal?.aborted === true) both.abort();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: both.signal,
      // A webhook that redirects is not the one configured: the message is not sent elsewhere.
      redirect: 'error',
    });
    const body = await res.text();
    return { status: res.status, headers: res.headers, body };
  } catch (err) {
    if (signal?.aborted === true)
      throw new ChannelError(channel, `${channel}: send cancelled (the notifier is closing)`, null, false, null);
    if (timeout.aborted)
      throw new ChannelError(channel, `${channel}: no answer within ${timeoutMs} ms`, null, true, null);
    throw new ChannelError(channel, scrub(`${channel}: request failed: ${errorReason(err)}`), null, true, null);
  } finally {
    timeout.removeEventListener('abort', abort);
    signal?.removeEventListener('abort', abort);
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** 5xx, 408 and 429 may pass next time; the other refusals are about the request or the credentials. */
export const retryableStatus = (status: number): boolean => status >= 500 || status === 408 || status === 429;

// ---------------------------------------------------------------------------------------------------
// Discord

/** Embed colours by severity: blue, amber, red. */
export const DISCORD_COLORS: Readonly<Record<Severity, number>> = {
  info: 0x3498db,
  warning: 0xf39c12,
  critical: 0xe74c3c,
};

const discordError = z.looseObject({
  message: z.string().optional(),
  code: z.number().optional(),
  /** Seconds (fractional) to wait on a 429. */
  retry_after: z.number().nonnegative().optional(),
  global: z.boolean().optional(),
});

export interface DiscordChannelOptions {
  webhookUrl: string;
  /** Overrides the webhook's display name. */
  username?: string;
  timeoutMs?: number;
}

/** The JSON Discord's webhook gets for an event: one embed, no mentions (a text with @everyone pings no one). */
export function discordPayload(event: NotificationEvent, username?: string): Record<string, unknown> {
  return {
    ...(username !== undefined ? { username } : {}),
    embeds: [
      {
        title: truncate(event.title, 256),
        description: truncate(event.text, 4096),
        color: DISCORD_COLORS[event.severity],
        timestamp: new Date(event.time).toISOString(),
        footer: { text: `${event.severity} ${event.kind.replace('_', ' ')} #${event.positionId}` },
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

export class DiscordWebhookChannel implements NotificationChannel {
  readonly name = 'discord';
  readonly #url: string;
  readonly #username: string | undefined;
  readonly #timeoutMs: number;
  readonly #scrub: (t: string) => string;

  constructor(options: DiscordChannelOptions) {
    this.#url = options.webhookUrl;
    this.#username = options.username;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const secrets = [options.webhookUrl];
    try {
      // The URL's path ends with the webhook token: scrub it alone too (an answer may quote the path).
      const path = new URL(options.webhookUrl).pathname;
      secrets.push(path);
      const token = path
        .split('/')
        .filter((p) => p !== '')
        .at(-1);
      if (token !== undefined) secrets.push(token);
    } catch {
      // Not a URL: the whole value is the secret, already listed.
    }
    this.#scrub = scrubber(secrets);
  }

  async send(event: NotificationEvent, signal?: AbortSignal): Promise<void> {
    const res = await postJson(
      this.name,
      this.#url,
      discordPayload(event, this.#username),
      this.#timeoutMs,
      signal,
      this.#scrub,
    );
    if (res.status >= 200 && res.status < 300) return;
    const parsed = discordError.safeParse(parseJson(res.body));
    const body = parsed.success ? parsed.data : null;
    let retryAfterMs: number | null = null;
    if (res.status === 429) {
      retryAfterMs =
        body?.retry_after !== undefined
          ? Math.ceil(body.retry_after * 1000)
          : retryAfterHeaderMs(res.headers.get('retry-after'));
    }
    const hint =
      res.status === 401 || res.status === 404 ? ' (the webhook URL is wrong or the webhook was deleted)' : '';
    const wait = retryAfterMs !== null ? `; retry after ${retryAfterMs} ms` : '';
    const detail = body?.message !== undefined ? body.message : excerpt(res.body);
    throw new ChannelError(
      this.name,
      this.#scrub(`discord: HTTP ${res.status}${hint}: ${detail || '(empty answer)'}${wait}`),
      res.status,
      retryableStatus(res.status),
      retryAfterMs,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Telegram

export const telegramAnswer = z.looseObject({
  ok: z.boolean(),
  description: z.string().optional(),
  error_code: z.number().optional(),
  parameters: z
    .looseObject({
      /** Seconds to wait on a 429. */
      retry_after: z.number().nonnegative().optional(),
      /** The group became a supergroup with this id: the configured chat id is stale. */
      migrate_to_chat_id: z.number().optional(),
    })
    .optional(),
});

const TELEGRAM_ICONS: Readonly<Record<Severity, string>> = {
  info: '',
  warning: '\u26A0\uFE0F ',
  critical: '\u{1F6A8} ',
};

export const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface TelegramChannelOptions {
  botToken: string;
  /** A chat's numeric id, or `@channelusername`. */
  chatId: string | number;
  /** Default https://api.telegram.org (tests point it to a local server). */
  apiBaseUrl?: string;
  timeoutMs?: number;
}

/** The JSON Telegram's sendMessage gets for an event: HTML text (escaped), bold title, no link previews. */
export function telegramPayload(event: NotificationEvent, chatId: string | number): Record<string, unknown> {
  // Telegram's limit is 4096 characters after parsing: cut the raw text with room to spare.
  const text = `${TELEGRAM_ICONS[event.severity]}<b>${escapeHtml(truncate(event.title, 256))}</b>\n${escapeHtml(truncate(event.text, 3500))}`;
  return { chat_id: chatId, text, parse_mode: 'HTML', link_preview_options: { is_disabled: true } };
}

export class TelegramBotChannel implements NotificationChannel {
  readonly name = 'telegram';
  readonly #url: string;
  readonly #chatId: string | number;
  readonly #timeoutMs: number;
  readonly #scrub: (t: string) => string;

  constructor(options: TelegramChannelOptions) {
    const base = (options.apiBaseUrl ?? DEFAULT_TELEGRAM_API).replace(/\/+$/, '');
    this.#url = `${base}/bot${options.botToken}/sendMessage`;
    this.#chatId = options.chatId;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#scrub = scrubber([this.#url, options.botToken]);
  }

  async send(event: NotificationEvent, signal?: AbortSignal): Promise<void> {
    const res = await postJson(
      this.name,
      this.#url,
      telegramPayload(event, this.#chatId),
      this.#timeoutMs,
      signal,
      this.#scrub,
    );
    const parsed = telegramAnswer.safeParse(parseJson(res.body));
    const answer = parsed.success ? parsed.data : null;
    if (res.status >= 200 && res.status < 300 && answer?.ok === true) return;
    let retryAfterMs: number | null = null;
    if (res.status === 429) {
      const secs = answer?.parameters?.retry_after;
      retryAfterMs = secs !== undefined ? Math.ceil(secs * 1000) : retryAfterHeaderMs(res.headers.get('retry-after'));
    }
    const migrated = answer?.parameters?.migrate_to_chat_id;
    const hint =
      migrated !== undefined
        ? ` (the group is now chat ${migrated}: set notify.telegram.chatId to it)`
        : res.status === 401 || res.status === 404
          ? ' (the bot token is wrong or revoked)'
          : '';
    const wait = retryAfterMs !== null ? `; retry after ${retryAfterMs} ms` : '';
    const detail = answer?.description !== undefined ? answer.description : excerpt(res.body);
    const status = res.status >= 200 && res.status < 300 ? `HTTP ${res.status} without ok` : `HTTP ${res.status}`;
    throw new ChannelError(
      this.name,
      this.#scrub(`telegram: ${status}${hint}: ${detail || '(empty answer)'}${wait}`),
      res.status,
      retryableStatus(res.status),
      retryAfterMs,
    );
  }
}
