// Discord and Telegram senders against a local HTTP server: the exact requests, how each answer is
// read (2xx, 429 with its wait, 5xx, refusals), timeouts, and no credential in an error message.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChannelError,
  DiscordWebhookChannel,
  retryAfterHeaderMs,
  scrubber,
  TelegramBotChannel,
} from '../../src/notify/channels.ts';
import { FakeService } from './fakeService.ts';
import { DISCORD_PATH, DISCORD_TOKEN, event, TELEGRAM_PATH, TELEGRAM_TOKEN } from './support.ts';

const services: FakeService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
});
async function service(): Promise<FakeService> {
  const s = await FakeService.start();
  services.push(s);
  return s;
}

async function failure(p: Promise<void>): Promise<ChannelError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ChannelError);
    return err as ChannelError;
  }
  throw new Error('expected the send to fail');
}

describe('Discord webhook', () => {
  it('posts one embed to the webhook URL, coloured by severity, with no mentions', async () => {
    const svc = await service();
    svc.setFallback({ status: 204 });
    const ch = new DiscordWebhookChannel({ webhookUrl: `${svc.base}${DISCORD_PATH}`, username: 'Warden' });
    await ch.send(
      event({
        severity: 'warning',
        kind: 'state_change',
        title: 'XAUUSDc buy #1001: DTMS WARNING_L1 -> WARNING_L2 (score -4.5)',
        text: 'line 1\nline 2',
      }),
    );
    expect(svc.received).toHaveLength(1);
    const req = svc.received[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(DISCORD_PATH);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      username: 'Warden',
      embeds: [
        {
          title: 'XAUUSDc buy #1001: DTMS WARNING_L1 -> WARNING_L2 (score -4.5)',
          description: 'line 1\nline 2',
          color: 0xf39c12,
          timestamp: '2024-05-06T12:30:00.000Z',
          footer: { text: 'warning state change #1001' },
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  it('leaves the username out when none is configured, and cuts a title to 256 characters', async () => {
    const svc = await service();
    const ch = new DiscordWebhookChannel({ webhookUrl: `${svc.base}${DISCORD_PATH}` });
    await ch.send(event({ severity: 'critical', title: 'x'.repeat(300) }));
    const body = svc.received[0]!.body as { username?: string; embeds: { title: string; color: number }[] };
    expect(body.username).toBeUndefined();
    expect(body.embeds[0]!.title).toHaveLength(256);
    expect(body.embeds[0]!.color).toBe(0xe74c3c);
  });

  it('a 429 carries retry_after (seconds, from the body first, else the Retry-After header)', async () => {
    const svc = await service();
    svc.reply(
      {
        status: 429,
        body: { message: 'You are being rate limited.', retry_after: 2.5, global: false },
        headers: { 'retry-after': '3' },
      },
      { status: 429, headers: { 'retry-after': '4' } },
    );
    const ch = new DiscordWebhookChannel({ webhookUrl: `${svc.base}${DISCORD_PATH}` });
    const first = await failure(ch.send(event()));
    expect(first.status).toBe(429);
    expect(first.retryable).toBe(true);
    expect(first.retryAfterMs).toBe(2500);
    expect(first.message).toBe('discord: HTTP 429: You are being rate limited.; retry after 2500 ms');
    const second = await failure(ch.send(event()));
    expect(second.retryAfterMs).toBe(4000);
  });

  it('5xx is retryable, a deleted webhook (404) is not; the answer is quoted without the token', async () => {
    const svc = await service();
    svc.reply(
      { status: 502, body: '<html>Bad Gateway</html>' },
      { status: 404, body: { message: `Unknown Webhook ${DISCORD_PATH}`, code: 10015 } },
    );
    const url = `${svc.base}${DISCORD_PATH}`;
    const ch = new DiscordWebhookChannel({ webhookUrl: url });
    const e502 = await failure(ch.send(event()));
    expect(e502.retryable).toBe(true);
    expect(e502.message).toBe('discord: HTTP 502: <html>Bad Gateway</html>');
    const e404 = await failure(ch.send(event()));
    expect(e404.retryable).toBe(false);
    expect(e404.status).toBe(404);
    expect(e404.message).toContain('the webhook URL is wrong or the webhook was deleted');
    expect(e404.message).toContain('Unknown Webhook [redacted]');
    expect(e404.message).not.toContain(DISCORD_TOKEN);
    expect(e404.message).not.toContain(url);
  });

  it('a server that never answers fails after the timeout, retryable', async () => {
    const svc = await service();
    svc.setFallback('hang');
    const ch = new DiscordWebhookChannel({ webhookUrl: `${svc.base}${DISCORD_PATH}`, timeoutMs: 150 });
    const err = await failure(ch.send(event()));
    // It reached the server and waited for the answer that never came (not a refused connection).
    expect(svc.received).toHaveLength(1);
    expect(err.message).toBe('discord: no answer within 150 ms');
    expect(err.retryable).toBe(true);
    expect(err.status).toBeNull();
  });

  it('a refused connection is retryable and its message holds no part of the URL path', async () => {
    const svc = await service();
    const base = svc.base;
    await svc.close();
    services.splice(services.indexOf(svc), 1);
    const ch = new DiscordWebhookChannel({ webhookUrl: `${base}${DISCORD_PATH}` });
    const err = await failure(ch.send(event()));
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/^discord: request failed: /);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain(DISCORD_TOKEN);
  });

  it('a cancelled send is not retryable', async () => {
    const svc = await service();
    svc.setFallback('hang');
    const ch = new DiscordWebhookChannel({ webhookUrl: `${svc.base}${DISCORD_PATH}` });
    const stop = new AbortController();
    const p = failure(ch.send(event(), stop.signal));
    await svc.waitFor(1);
    stop.abort();
    const err = await p;
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('cancelled');
  });
});

describe('Telegram bot', () => {
  it('posts sendMessage to <base>/bot<token>/sendMessage with chat_id and escaped HTML text', async () => {
    const svc = await service();
    const ch = new TelegramBotChannel({ botToken: TELEGRAM_TOKEN, chatId: -100123, apiBaseUrl: `${svc.base}/` });
    await ch.send(
      event({
        severity: 'critical',
        title: 'XAUUSDc buy #1001: DTMS HEDGED -> CLOSED (score -7)',
        text: 'score < -6 & no recovery',
      }),
    );
    const req = svc.received[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(TELEGRAM_PATH);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      chat_id: -100123,
      text: '\u{1F6A8} <b>XAUUSDc buy #1001: DTMS HEDGED -&gt; CLOSED (score -7)</b>\nscore &lt; -6 &amp; no recovery',
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
  });

  it('an info event has no icon; a chat given as @name is sent as text', async () => {
    const svc = await service();
    const ch = new TelegramBotChannel({ botToken: TELEGRAM_TOKEN, chatId: '@warden_alerts', apiBaseUrl: svc.base });
    await ch.send(event({ title: 'T', text: 'X' }));
    expect(svc.received[0]!.body).toMatchObject({ chat_id: '@warden_alerts', text: '<b>T</b>\nX' });
  });

  it('a 429 waits parameters.retry_after seconds', async () => {
    const svc = await service();
    svc.reply({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 7',
        parameters: { retry_after: 7 },
      },
    });
    const ch = new TelegramBotChannel({ botToken: TELEGRAM_TOKEN, chatId: 1, apiBaseUrl: svc.base });
    const err = await failure(ch.send(event()));
    expect(err.retryAfterMs).toBe(7000);
    expect(err.retryable).toBe(true);
    expect(err.message).toBe('telegram: HTTP 429: Too Many Requests: retry after 7; retry after 7000 ms');
  });

  it('a bad token (401) is not retried, and the message never holds the token, even when the answer echoes it', async () => {
    const svc = await service();
    svc.reply({
      status: 401,
      body: {
        ok: false,
        error_code: 401,
        description: `Unauthorized: ${TELEGRAM_PATH} (${encodeURIComponent(TELEGRAM_TOKEN)})`,
      },
    });
    const ch = new TelegramBotChannel({ botToken: TELEGRAM_TOKEN, chatId: 1, apiBaseUrl: svc.base });
    const err = await failure(ch.send(event()));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('the bot token is wrong or revoked');
    expect(err.message).not.toContain(TELEGRAM_TOKEN);
    expect(err.message).not.toContain(encodeURIComponent(TELEGRAM_TOKEN));
    expect(err.message).not.toContain('TelegramSecretTok');
  });

  it('a group upgraded to a supergroup names the new chat id', async () => {
    const svc = await service();
    svc.reply({
      status: 400,
      body: {
        ok: false,
        error_code: 400,
        description: 'Bad Request: group chat was upgraded to a supergroup chat',
        parameters: { migrate_to_chat_id: -100999 },
      },
    });
    const ch = new TelegramBotChannel({ botToken: TELEGRAM_TOKEN, chatId: -5, apiBaseUrl: svc.base });
    const err = await failure(ch.send(event()));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('set notify.telegram.chatId to it');
    expect(err.message).toContain('-100999');
  });

  it('a 200 without ok:true is a failure', async () => {
    const svc = await service();
    svc.reply({ status: 200, body: 'not json' });
    const ch = new TelegramBotChannel({ botToken: TELEGRAM_TOKEN, chatId: 1, apiBaseUrl: svc.base });
    const err = await failure(ch.send(event()));
    expect(err.message).toBe('telegram: HTTP 200 without ok: not json');
  });
});

describe('helpers', () => {
  it('Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterHeaderMs('3')).toBe(3000);
    expect(retryAfterHeaderMs('0.25')).toBe(250);
    expect(retryAfterHeaderMs(null)).toBeNull();
    expect(retryAfterHeaderMs('soon')).toBeNull();
    expect(retryAfterHeaderMs('Mon, 06 May 2024 12:30:10 GMT', Date.UTC(2024, 4, 6, 12, 30))).toBe(10_000);
  });

  it('the scrubber replaces secrets and their URL-encoded forms, and ignores empty ones', () => {
    const scrub = scrubber(['', 'a:b/c?d', 'tok']);
    expect(scrub(`x a:b/c?d y ${encodeURIComponent('a:b/c?d')} tok`)).toBe('x [redacted] y [redacted] tok');
  });
});
