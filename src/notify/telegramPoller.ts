// Telegram commands, the transport: the bot's updates are long-polled (getUpdates with the offset after
// the last update seen and a wait held by Telegram), and each command sent in the configured chat is
// answered with sendMessage, one at a time in the order sent. Rules:
// - Only the configured chat is answered. A message from any other chat is ignored and logged at debug
//   with its chat id, never its text.
// - Commands sent while Warden was not polling are skipped at start (one getUpdates with offset -1):
//   an action asked for an hour ago is not made now. They are logged, not answered.
// - At most `commandsPerMinute` commands are answered in any minute; the first one past it gets one
//   polite refusal, the rest of that minute none (a flood is not answered with a flood).
// - A command naming another bot (/status@other_bot, in a group) is left to that bot.
// - A failed poll waits before the next: the service's retry_after on a 429, else doubling from
//   retryBaseMs (at least POLL_MIN_BACKOFF_MS) up to retryMaxMs. A token Telegram refuses (401, 404)
//   stops polling: it cannot pass before a restart with another token.
// - The bot token is in every request's URL: it is scrubbed from every message logged.
// - stop() aborts the poll under way (and a wait between polls) at once, and resolves once the loop has
//   ended; a command being answered finishes its change first (the session's act is not cut short).
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  ChannelError,
  escapeHtml,
  excerpt,
  parseJson,
  postJson,
  retryableStatus,
  retryAfterHeaderMs,
  scrubber,
  telegramAnswer,
} from './channels.ts';
import { MAX_RETRY_AFTER_MS, realSleep, type Sleep } from './notifier.ts';

/** A command as sent: `/trade@warden_bot 1001` is { name: 'trade', args: ['1001'] }. */
export interface BotCommand {
  /** Lower case, without the slash or the bot's @name. */
  name: string;
  args: string[];
  /** Who sent it (chat and user), for records and logs; never a secret. */
  from: string;
}

export interface TelegramPollerOptions {
  botToken: string;
  /** The one chat whose commands are answered: its numeric id, or `@channelusername`. */
  chatId: string | number;
  apiBaseUrl: string;
  /** Telegram's long-poll wait per getUpdates, seconds. */
  pollTimeoutSec: number;
  commandsPerMinute: number;
  /** Time a getMe or sendMessage may take, and the margin given to getUpdates beyond its wait, ms. */
  timeoutMs: number;
  /** Wait after the first failed poll, ms (doubling at each further one). */
  retryBaseMs: number;
  /** Longest wait between failed polls, ms. */
  retryMaxMs: number;
  log: Logger;
  /** The reply to a command, in Telegram's HTML (every text from outside escaped). */
  answer: (command: BotCommand) => Promise<string>;
  /** The clock of the rate limit's minute (epoch ms). */
  now: () => number;
  /** Waits between failed polls (tests record them). */
  sleep?: Sleep;
}

export interface PollerStats {
  /** Updates received (every chat). */
  updates: number;
  /** Commands answered (refusals and failures included). */
  answered: number;
  /** Messages from other chats, ignored. */
  foreign: number;
  /** Commands past the rate limit. */
  rateLimited: number;
  /** Polls that failed (each followed by a wait). */
  pollFailures: number;
  /** The last failure (no secret), null before the first. */
  lastError: string | null;
}

/** The shortest wait after a failed poll: a poller with no wait would spin against a service that is down. */
export const POLL_MIN_BACKOFF_MS = 1000;
/** Telegram's limit on a message, in characters. */
export const TELEGRAM_MESSAGE_MAX = 4096;
const MINUTE_MS = 60_000;
/** Tries of one reply before it is given up. */
const SEND_ATTEMPTS = 3;

const chatSchema = z.looseObject({ id: z.number(), username: z.string().optional() });
const updateSchema = z.looseObject({
  update_id: z.number().int(),
  message: z
    .looseObject({
      message_id: z.number().int(),
      chat: chatSchema,
      from: z.looseObject({ id: z.number(), username: z.string().optional() }).optional(),
      text: z.string().optional(),
    })
    .optional(),
});
type Update = z.infer<typeof updateSchema>;
type Message = NonNullable<Update['message']>;

const COMMAND = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+([\s\S]*))?$/;

/** A message's command, or null when the text is not one (chatter in a group is not answered). */
export function parseCommand(text: string): { name: string; mention: string | null; args: string[] } | null {
  const m = COMMAND.exec(text.trim());
  if (m === null) return null;
  return { name: m[1]!.toLowerCase(), mention: m[2] ?? null, args: (m[3] ?? '').split(/\s+/).filter((a) => a !== '') };
}

export class TelegramCommandPoller {
  readonly #base: string;
  readonly #scrub: (t: string) => string;
  readonly #o: TelegramPollerOptions;
  readonly #log: Logger;
  readonly #sleep: Sleep;
  readonly #stop = new AbortController();
  #loop: Promise<void> | null = null;
  /** The next update wanted: the last one seen + 1. */
  #offset = 0;
  /** The bot's own @name (getMe), to tell commands meant for another bot. */
  #username = '';
  /** Times of the commands answered in the last minute, oldest first. */
  readonly #window: number[] = [];
  /** The refusal was sent since the window was last full: the rest of the minute is silent. */
  #refused = false;
  #polling = false;
  readonly #stats: PollerStats = {
    updates: 0,
    answered: 0,
    foreign: 0,
    rateLimited: 0,
    pollFailures: 0,
    lastError: null,
  };

  constructor(options: TelegramPollerOptions) {
    this.#o = options;
    this.#base = `${options.apiBaseUrl.replace(/\/+$/, '')}/bot${options.botToken}`;
    this.#scrub = scrubber([this.#base, options.botToken]);
    this.#log = options.log.child({ component: 'telegram-commands' });
    this.#sleep = options.sleep ?? realSleep;
  }

  /** Starts polling in the background (once). */
  start(): void {
    this.#loop ??= this.#run().catch((err: unknown) => {
      this.#log.error(
        { error: this.#scrub(err instanceof Error ? err.message : String(err)) },
        'telegram commands stopped on an error',
      );
    });
  }

  /** Ends polling: the poll under way is aborted; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    this.#polling = false;
  }

  /** Whether the loop is between its start and its end. */
  get polling(): boolean {
    return this.#polling;
  }

  stats(): PollerStats {
    return { ...this.#stats };
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    this.#polling = true;
    let failures = 0;
    let listening = false;
    try {
      while (!signal.aborted) {
        let updates: unknown[];
        try {
          if (this.#username === '') {
            const me = z
              .looseObject({ username: z.string() })
              .safeParse(await this.#call('getMe', {}, this.#o.timeoutMs));
            this.#username = me.success ? me.data.username : '?';
          }
          if (!listening) {
            // Offset -1: only the last update comes back, and every one before it is forgotten.
            const pending = await this.#getUpdates(-1, 0);
            const last = pending.at(-1);
            const id = z.looseObject({ update_id: z.number().int() }).safeParse(last);
            if (id.success) {
              this.#offset = id.data.update_id + 1;
              this.#log.info(
                { lastUpdate: id.data.update_id },
                'telegram commands: messages sent while Warden was not polling are skipped',
              );
            }
            listening = true;
            this.#log.info({ bot: this.#username }, 'telegram commands: listening');
          }
          updates = await this.#getUpdates(this.#offset, this.#o.pollTimeoutSec);
          failures = 0;
        } catch (err) {
          if (signal.aborted) break;
          failures++;
          this.#stats.pollFailures++;
          const message = this.#scrub(err instanceof Error ? err.message : String(err));
          this.#stats.lastError = message;
          if (err instanceof ChannelError && (err.status === 401 || err.status === 404)) {
            this.#log.error(
              { status: err.status, error: message },
              'telegram commands stopped: Telegram refuses the bot token',
            );
            break;
          }
          const wait = this.#backoff(err, failures);
          this.#log.warn(
            { attempt: failures, waitMs: wait, error: message },
            'telegram commands: polling failed; trying again after a wait',
          );
          await this.#sleep(wait, signal);
          continue;
        }
        for (const raw of updates) {
          if (signal.aborted) break;
          await this.#take(raw);
        }
      }
    } finally {
      this.#polling = false;
    }
  }

  /** One update: the offset moves past it first, so an update that fails is never taken again. */
  async #take(raw: unknown): Promise<void> {
    this.#stats.updates++;
    const parsed = updateSchema.safeParse(raw);
    if (!parsed.success) {
      const id = z.looseObject({ update_id: z.number().int() }).safeParse(raw);
      if (id.success) this.#offset = Math.max(this.#offset, id.data.update_id + 1);
      this.#log.debug('telegram commands: an update of another shape, skipped');
      return;
    }
    const u = parsed.data;
    this.#offset = Math.max(this.#offset, u.update_id + 1);
    const m = u.message;
    if (m === undefined) return;
    if (!this.#ours(m.chat)) {
      this.#stats.foreign++;
      this.#log.debug(
        { updateId: u.update_id, chatId: m.chat.id },
        'telegram commands: a message from another chat, ignored',
      );
      return;
    }
    const cmd = m.text === undefined ? null : parseCommand(m.text);
    if (cmd === null) return;
    if (cmd.mention !== null && cmd.mention.toLowerCase() !== this.#username.toLowerCase()) return;
    const from = `chat ${m.chat.id}, user ${m.from?.username !== undefined ? `@${m.from.username}` : (m.from?.id ?? 'unknown')}`;
    const admitted = this.#admit();
    if (admitted !== 'yes') {
      this.#stats.rateLimited++;
      this.#log.info(
        { command: cmd.name, from, answered: admitted === 'refuse' },
        'telegram commands: past the rate limit',
      );
      if (admitted === 'refuse') {
        const waitSec = Math.max(1, Math.ceil((this.#window[0]! + MINUTE_MS - this.#o.now()) / 1000));
        await this.#reply(
          m,
          `Too many commands: I answer at most ${this.#o.commandsPerMinute} a minute. Please try again in ${waitSec} s.`,
        );
      }
      return;
    }
    this.#log.info({ command: cmd.name, args: cmd.args, from }, 'telegram command');
    let text: string;
    try {
      text = await this.#o.answer({ name: cmd.name, args: cmd.args, from });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#log.error({ command: cmd.name, error: message }, 'telegram command failed');
      text = `Sorry, /${cmd.name} failed: ${escapeHtml(message)}`;
    }
    this.#stats.answered++;
    await this.#reply(m, text);
  }

  #ours(chat: z.infer<typeof chatSchema>): boolean {
    const want = String(this.#o.chatId);
    if (want.startsWith('@'))
      return chat.username !== undefined && `@${chat.username}`.toLowerCase() === want.toLowerCase();
    return String(chat.id) === want;
  }

  /** 'yes' within the limit; past it 'refuse' for the first command (answered politely), then 'silent'. */
  #admit(): 'yes' | 'refuse' | 'silent' {
    const now = this.#o.now();
    while (this.#window.length > 0 && this.#window[0]! <= now - MINUTE_MS) this.#window.shift();
    if (this.#window.length < this.#o.commandsPerMinute) {
      this.#window.push(now);
      this.#refused = false;
      return 'yes';
    }
    if (this.#refused) return 'silent';
    this.#refused = true;
    return 'refuse';
  }

  /** Sends a reply to `m`'s chat (a retryable failure is tried again after a wait); a reply not sent is logged. */
  async #reply(m: Message, html: string): Promise<void> {
    const text =
      html.length > TELEGRAM_MESSAGE_MAX ? `${html.slice(0, TELEGRAM_MESSAGE_MAX - 30)}\n(cut: too long)` : html;
    const payload = {
      chat_id: m.chat.id,
      text,
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      reply_parameters: { message_id: m.message_id, allow_sending_without_reply: true },
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#call('sendMessage', payload, this.#o.timeoutMs);
        return;
      } catch (err) {
        if (this.#stop.signal.aborted) return;
        const message = this.#scrub(err instanceof Error ? err.message : String(err));
        const retryable = err instanceof ChannelError ? err.retryable : true;
        if (!retryable || attempt >= SEND_ATTEMPTS) {
          this.#log.error({ attempt, error: message }, 'telegram commands: reply not sent');
          return;
        }
        await this.#sleep(this.#backoff(err, attempt), this.#stop.signal);
      }
    }
  }

  #getUpdates(offset: number, timeoutSec: number): Promise<unknown[]> {
    return this.#call(
      'getUpdates',
      { offset, timeout: timeoutSec, allowed_updates: ['message'] },
      timeoutSec * 1000 + this.#o.timeoutMs,
    ).then((r) => (Array.isArray(r) ? r : []));
  }

  /** One Bot API method: its `result`, or a ChannelError (scrubbed) saying whether a retry can help. */
  async #call(method: string, payload: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    const res = await postJson(
      'telegram',
      `${this.#base}/${method}`,
      payload,
      timeoutMs,
      this.#stop.signal,
      this.#scrub,
    );
    const parsed = telegramAnswer.extend({ result: z.unknown().optional() }).safeParse(parseJson(res.body));
    const answer = parsed.success ? parsed.data : null;
    if (res.status >= 200 && res.status < 300 && answer?.ok === true) return answer.result;
    let retryAfterMs: number | null = null;
    if (res.status === 429) {
      const secs = answer?.parameters?.retry_after;
      retryAfterMs = secs !== undefined ? Math.ceil(secs * 1000) : retryAfterHeaderMs(res.headers.get('retry-after'));
    }
    // 409: a webhook is set on the bot, or another program polls it; either may end, so it is tried again.
    const hint =
      res.status === 409
        ? ' (a webhook is set on this bot, or another program polls it)'
        : res.status === 401 || res.status === 404
          ? ' (the bot token is wrong or revoked)'
          : '';
    const detail = answer?.description ?? excerpt(res.body);
    throw new ChannelError(
      'telegram',
      this.#scrub(`telegram ${method}: HTTP ${res.status}${hint}: ${detail || '(empty answer)'}`),
      res.status,
      retryableStatus(res.status) || res.status === 409,
      retryAfterMs,
    );
  }

  /** The wait after failure number `n`: Telegram's own on a 429, else doubling from the base. */
  #backoff(err: unknown, n: number): number {
    if (err instanceof ChannelError && err.retryAfterMs !== null)
      return Math.min(Math.max(0, err.retryAfterMs), MAX_RETRY_AFTER_MS);
    const base = Math.max(POLL_MIN_BACKOFF_MS, this.#o.retryBaseMs);
    return Math.min(base * 2 ** (n - 1), Math.max(base, this.#o.retryMaxMs));
  }
}
