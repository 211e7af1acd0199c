// Shared pieces of the notification tests: events, a logger whose lines are kept, a sleep that only records.
import { createLogger, type Logger } from '../../src/log.ts';
import type { NotificationEvent } from '../../src/notify/notificationEvent.ts';
import type { Sleep } from '../../src/notify/notifier.ts';

/** Credentials the tests look for in every message and log line. */
export const DISCORD_TOKEN = 'DiscordSecretTok_abc123XYZ';
export const DISCORD_PATH = `/api/webhooks/112233/${DISCORD_TOKEN}`;
export const TELEGRAM_TOKEN = '987654:TelegramSecretTok-xyz';
export const TELEGRAM_PATH = `/bot${TELEGRAM_TOKEN}/sendMessage`;

export function event(overrides: Partial<NotificationEvent> = {}): NotificationEvent {
  return {
    kind: 'action',
    severity: 'info',
    time: Date.UTC(2024, 4, 6, 12, 30),
    positionId: '1001',
    symbol: 'XAUUSDc',
    rule: 'breakeven',
    intentId: '1001:breakeven:1',
    title: 'XAUUSDc buy #1001: breakeven SL 2390 -> 2401.5 sent',
    text: 'Stop to breakeven at 31.2% of the way to target (trigger 30%), price 2410.25',
    ...overrides,
  };
}

export interface CapturedLog {
  log: Logger;
  lines: string[];
  text(): string;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const log = createLogger({ level: 'trace', destination: { write: (chunk: string) => void lines.push(chunk) } });
  return { log, lines, text: () => lines.join('') };
}

export interface RecordingSleep {
  sleep: Sleep;
  waits: number[];
}

/** Records each wait and returns at once (the retry schedule is checked, not waited for). */
export function recordingSleep(): RecordingSleep {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}
