// The notifier against local stand-ins for Discord and Telegram: retries with backoff, a 429's wait,
// channels that do not wait on each other, a bounded queue that drops the oldest, notify() that never
// waits (even on a server that hangs), close(), and no credential in a log line or an error.
import { afterEach, describe, expect, it } from 'vitest';
import { DiscordWebhookChannel, TelegramBotChannel, type NotificationChannel } from '../../src/notify/channels.ts';
import type { NotificationEvent } from '../../src/notify/notificationEvent.ts';
import { Notifier, type NotifierOptions } from '../../src/notify/notifier.ts';
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
import { waitUntil } from '../support/waitUntil.ts';

const services: FakeService[] = [];
const notifiers: Notifier[] = [];
afterEach(async () => {
  await Promise.all(notifiers.splice(0).map((n) => n.close(50)));
  await Promise.all(services.splice(0).map((s) => s.close()));
});

async function service(): Promise<FakeService> {
  const s = await FakeService.start();
  services.push(s);
  return s;
}

const discordAt = (svc: FakeService, timeoutMs?: number): DiscordWebhookChannel =>
  new DiscordWebhookChannel({
    webhookUrl: `${svc.base}${DISCORD_PATH}`,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
const telegramAt = (svc: FakeService, timeoutMs?: number): TelegramBotChannel =>
  new TelegramBotChannel({
    botToken: TELEGRAM_TOKEN,
    chatId: 42,
    apiBaseUrl: svc.base,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });

function notifier(options: Partial<NotifierOptions> & { channels: NotificationChannel[] }): Notifier {
  const n = new Notifier({ log: captureLog().log, ...options });
  notifiers.push(n);
  return n;
}

const titleOf = (body: unknown): string => {
  const b = body as { embeds?: { title: string }[]; text?: string };
  return b.embeds?.[0]?.title ?? b.text ?? '';
};

describe('Notifier: delivery and retries', () => {
  it('sends every event to every channel', async () => {
    const discord = await service();
    const telegram = await service();
    const n = notifier({ channels: [discordAt(discord), telegramAt(telegram)] });
    n.notify(event({ title: 'one' }));
    n.notify(event({ title: 'two' }));
    await n.idle();
    expect(discord.received.map((r) => titleOf(r.body))).toEqual(['one', 'two']);
    expect(telegram.received.map((r) => r.path)).toEqual([TELEGRAM_PATH, TELEGRAM_PATH]);
    expect(n.stats()).toEqual({
      accepted: 2,
      filtered: 0,
      channels: {
        discord: {
          sent: 2,
          failed: 0,
          dropped: 0,
          queued: 0,
          inFlight: 0,
          retries: 0,
          lastError: null,
          lastErrorAt: null,
        },
        telegram: {
          sent: 2,
          failed: 0,
          dropped: 0,
          queued: 0,
          inFlight: 0,
          retries: 0,
          lastError: null,
          lastErrorAt: null,
        },
      },
    });
  });

  it('a 500 then a 200 is retried after the base wait and delivered once', async () => {
    const discord = await service();
    discord.reply({ status: 500, body: 'boom' });
    const { sleep, waits } = recordingSleep();
    const n = notifier({ channels: [discordAt(discord)], sleep, now: () => 1234 });
    n.notify(event());
    await n.idle();
    expect(discord.received).toHaveLength(2);
    expect(discord.received[0]!.body).toEqual(discord.received[1]!.body);
    expect(waits).toEqual([1000]);
    expect(n.stats().channels.discord).toMatchObject({
      sent: 1,
      failed: 0,
      retries: 1,
      lastError: 'discord: HTTP 500: boom',
      lastErrorAt: 1234,
    });
  });

  it('backs off exponentially (1 s, 2 s, 4 s, 8 s) and gives up after maxAttempts', async () => {
    const telegram = await service();
    telegram.setFallback({ status: 503, body: { ok: false, error_code: 503, description: 'Service Unavailable' } });
    const { sleep, waits } = recordingSleep();
    const n = notifier({ channels: [telegramAt(telegram)], sleep });
    n.notify(event());
    await n.idle();
    expect(telegram.received).toHaveLength(5);
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
    expect(n.stats().channels.telegram).toMatchObject({ sent: 0, failed: 1, retries: 4 });
  });

  it('the backoff is capped by retryMaxMs and maxAttempts is configurable', async () => {
    const discord = await service();
    discord.setFallback({ status: 500 });
    const { sleep, waits } = recordingSleep();
    const n = notifier({ channels: [discordAt(discord)], sleep, maxAttempts: 7, retryBaseMs: 500, retryMaxMs: 5000 });
    n.notify(event());
    await n.idle();
    expect(waits).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect(n.stats().channels.discord!.failed).toBe(1);
  });

  it("a 429's retry_after is the wait before the next try (Discord and Telegram)", async () => {
    const discord = await service();
    const telegram = await service();
    discord.reply({ status: 429, body: { message: 'You are being rate limited.', retry_after: 2.5, global: false } });
    telegram.reply({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 7',
        parameters: { retry_after: 7 },
      },
    });
    const d = recordingSleep();
    const t = recordingSleep();
    const nd = notifier({ channels: [discordAt(discord)], sleep: d.sleep });
    const nt = notifier({ channels: [telegramAt(telegram)], sleep: t.sleep });
    nd.notify(event());
    nt.notify(event());
    await Promise.all([nd.idle(), nt.idle()]);
    expect(d.waits).toEqual([2500]);
    expect(t.waits).toEqual([7000]);
    expect(discord.received).toHaveLength(2);
    expect(telegram.received).toHaveLength(2);
    expect(nd.stats().channels.discord!.sent).toBe(1);
    expect(nt.stats().channels.telegram!.sent).toBe(1);
  });

  it('a refusal that cannot pass (bad token) is not retried', async () => {
    const telegram = await service();
    telegram.reply({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
    const { sleep, waits } = recordingSleep();
    const n = notifier({ channels: [telegramAt(telegram)], sleep });
    n.notify(event());
    await n.idle();
    expect(telegram.received).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(n.stats().channels.telegram).toMatchObject({ sent: 0, failed: 1, retries: 0 });
  });

  it('events below minSeverity are counted and not sent', async () => {
    const discord = await service();
    const n = notifier({ channels: [discordAt(discord)], minSeverity: 'warning' });
    n.notify(event({ severity: 'info', title: 'quiet' }));
    n.notify(event({ severity: 'warning', title: 'loud' }));
    n.notify(event({ severity: 'critical', title: 'louder' }));
    await n.idle();
    expect(discord.received.map((r) => titleOf(r.body))).toEqual(['loud', 'louder']);
    expect(n.stats()).toMatchObject({ accepted: 2, filtered: 1 });
  });

  it('no channel: a notifier that only counts', async () => {
    const n = notifier({ channels: [] });
    n.notify(event());
    await n.idle();
    expect(n.stats()).toEqual({ accepted: 1, filtered: 0, channels: {} });
    expect(n.channelNames).toEqual([]);
  });
});

describe('Notifier: never blocking', () => {
  it('notify returns at once while the server hangs; the timeout fires and the send is retried later', async () => {
    const discord = await service();
    discord.reply('hang');
    discord.setFallback({ status: 204 });
    const { sleep, waits } = recordingSleep();
    const n = notifier({ channels: [discordAt(discord, 200)], sleep });
    // notify is synchronous and returns nothing to wait on: the caller (the engine) cannot be held.
    expect(n.notify(event())).toBeUndefined();
    // Nothing has left yet: the send happens after the caller's synchronous code.
    expect(discord.received).toHaveLength(0);
    expect(n.stats().channels.discord).toMatchObject({ queued: 1, inFlight: 0 });
    await discord.waitFor(1);
    expect(n.stats().channels.discord).toMatchObject({ queued: 0, inFlight: 1, sent: 0 });
    await n.idle();
    expect(discord.received).toHaveLength(2);
    expect(waits).toEqual([1000]);
    expect(n.stats().channels.discord).toMatchObject({
      sent: 1,
      retries: 1,
      lastError: 'discord: no answer within 200 ms',
    });
  });

  it('a dead channel does not delay the other', async () => {
    const discord = await service();
    const telegram = await service();
    telegram.setFallback('hang');
    // Telegram's first send hangs for an hour: Discord delivering all three while it hangs is the proof.
    const n = notifier({ channels: [telegramAt(telegram, 3_600_000), discordAt(discord)] });
    for (let i = 1; i <= 3; i++) n.notify(event({ title: `event ${i}` }));
    await discord.waitFor(3);
    // Discord's deliveries are counted when its answers have been read.
    await waitUntil(() => n.stats().channels.discord!.sent >= 3);
    expect(discord.received.map((r) => titleOf(r.body))).toEqual(['event 1', 'event 2', 'event 3']);
    const s = n.stats().channels;
    expect(s.discord).toMatchObject({ sent: 3, queued: 0 });
    expect(s.telegram).toMatchObject({ sent: 0, inFlight: 1, queued: 2 });
    // Closing gives up on the hung channel: its three events are dropped, counted.
    const closed = await n.close(100);
    expect(closed.channels.telegram).toMatchObject({ sent: 0, dropped: 3, queued: 0, inFlight: 0 });
    expect(closed.channels.discord).toMatchObject({ sent: 3, dropped: 0 });
  });

  it('a full queue drops the oldest waiting events and counts them', async () => {
    const discord = await service();
    discord.reply('hold');
    discord.setFallback({ status: 204 });
    const { log, text } = captureLog();
    const n = notifier({ channels: [discordAt(discord)], queueSize: 3, log });
    n.notify(event({ title: 'e1' }));
    await discord.waitFor(1);
    for (let i = 2; i <= 6; i++) n.notify(event({ title: `e${i}` }));
    expect(n.stats().channels.discord).toMatchObject({ queued: 3, dropped: 2, inFlight: 1 });
    discord.release({ status: 204 });
    await n.idle();
    expect(discord.received.map((r) => titleOf(r.body))).toEqual(['e1', 'e4', 'e5', 'e6']);
    expect(n.stats().channels.discord).toMatchObject({ sent: 4, dropped: 2, queued: 0 });
    // One warning for the overflow, not one per dropped event.
    expect(text().match(/notification queue full/g)).toHaveLength(1);
  });

  it('notify never throws, even when a channel throws synchronously', async () => {
    const broken: NotificationChannel = {
      name: 'broken',
      send: () => {
        throw new Error('broken channel');
      },
    };
    const { sleep } = recordingSleep();
    const n = notifier({ channels: [broken], sleep, maxAttempts: 2 });
    expect(() => n.notify(event())).not.toThrow();
    await n.idle();
    expect(n.stats().channels.broken).toMatchObject({ failed: 1, retries: 1, lastError: 'broken channel' });
  });

  it('close drains what is queued, then refuses new events (counted as dropped)', async () => {
    const discord = await service();
    const n = notifier({ channels: [discordAt(discord)] });
    n.notify(event({ title: 'a' }));
    n.notify(event({ title: 'b' }));
    const stats = await n.close(2000);
    expect(stats.channels.discord).toMatchObject({ sent: 2, dropped: 0 });
    n.notify(event({ title: 'late' }));
    expect(n.stats().channels.discord).toMatchObject({ sent: 2, dropped: 1, queued: 0 });
    expect(discord.received).toHaveLength(2);
  });

  it('close cuts a backoff wait short when its time is up', async () => {
    const discord = await service();
    discord.setFallback({ status: 500 });
    // The real sleep, with an hour's backoff: close(100) resolving at all is the proof that it cut the
    // wait short (uncut, the test would time out).
    const n = notifier({ channels: [discordAt(discord)], retryBaseMs: 3_600_000, retryMaxMs: 3_600_000 });
    n.notify(event({ title: 'a' }));
    n.notify(event({ title: 'b' }));
    await discord.waitFor(1);
    await waitUntil(() => n.stats().channels.discord!.retries >= 1);
    const stats = await n.close(100);
    expect(stats.channels.discord).toMatchObject({ sent: 0, dropped: 2, inFlight: 0, queued: 0 });
  });
});

describe('Notifier: credentials stay out of logs and errors', () => {
  it('no log line, error or stat holds the webhook URL or the bot token', async () => {
    const discord = await service();
    const telegram = await service();
    // Both services quote the request path back, as some proxies and error pages do.
    discord.setFallback({ status: 404, body: { message: `Unknown Webhook at ${DISCORD_PATH}`, code: 10015 } });
    telegram.reply({ status: 500, body: `upstream error for ${TELEGRAM_PATH}` });
    telegram.setFallback({
      status: 401,
      body: { ok: false, error_code: 401, description: `Unauthorized: ${TELEGRAM_PATH}` },
    });
    const { log, lines, text } = captureLog();
    const { sleep } = recordingSleep();
    const n = notifier({ channels: [discordAt(discord), telegramAt(telegram)], log, sleep });
    n.notify(event());
    await n.idle();
    // A channel whose service is gone: the connection error is logged too.
    const dead = await service();
    const deadBase = dead.base;
    await dead.close();
    services.splice(services.indexOf(dead), 1);
    const n2 = notifier({
      channels: [
        new DiscordWebhookChannel({ webhookUrl: `${deadBase}${DISCORD_PATH}` }),
        new TelegramBotChannel({ botToken: TELEGRAM_TOKEN, chatId: 1, apiBaseUrl: deadBase }),
      ],
      log,
      sleep,
      maxAttempts: 2,
    });
    n2.notify(event());
    await n2.idle();

    expect(lines.length).toBeGreaterThanOrEqual(6);
    const all = [text(), JSON.stringify(n.stats()), JSON.stringify(n2.stats())].join('\n');
    for (const secret of [
      DISCORD_TOKEN,
      DISCORD_PATH,
      TELEGRAM_TOKEN,
      'TelegramSecretTok',
      encodeURIComponent(TELEGRAM_TOKEN),
    ]) {
      expect(all).not.toContain(secret);
    }
    // The failures are still explained.
    expect(text()).toContain('Unknown Webhook at [redacted]');
    expect(text()).toContain('upstream error for /bot[redacted]/sendMessage');
    expect(text()).toContain('ECONNREFUSED');
    expect(n.stats().channels.discord).toMatchObject({ failed: 1 });
    expect(n.stats().channels.telegram).toMatchObject({ failed: 1, retries: 1 });
  });

  it('the log lines name the channel, the attempt and the event', async () => {
    const discord = await service();
    discord.reply({ status: 500, body: 'boom' });
    const { log, lines } = captureLog();
    const { sleep } = recordingSleep();
    const n = notifier({ channels: [discordAt(discord)], log, sleep });
    const ev: NotificationEvent = event({ title: 'XAUUSDc buy #7: trailing SL 2400 -> 2405 sent' });
    n.notify(ev);
    await n.idle();
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({
        component: 'notify',
        channel: 'discord',
        attempt: 1,
        status: 500,
        waitMs: 1000,
        title: ev.title,
        msg: 'notification not delivered: retrying',
      }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({ channel: 'discord', attempt: 2, msg: 'notification delivered after retrying' }),
    );
  });
});
