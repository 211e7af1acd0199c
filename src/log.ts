// Warden's logger: pino, JSON lines to stderr by default (stdout stays free for command output), with secrets
// redacted wherever they appear in the first levels of a log object, its bindings included.
import pino from 'pino';
import type { DestinationStream, LevelWithSilent, Logger } from 'pino';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /** Minimum level written. Default `info`. */
  level?: LevelWithSilent;
  /** Human-readable lines (`12:00:00.000 INFO  message key=value`) instead of JSON. Default false. */
  pretty?: boolean;
  /** Logger name, written as `name` on every line. */
  name?: string;
  /** Where lines go. Default: stderr, written synchronously (nothing is lost when a CLI exits). */
  destination?: DestinationStream;
}

/** Keys whose values are never logged (credentials of brokers, exchanges, the API, notifications). */
export const SECRET_KEYS: readonly string[] = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'authToken',
  'botToken',
  'password',
  'passwd',
  'passphrase',
  'apiKey',
  'api_key',
  'apikey',
  'apiSecret',
  'api_secret',
  'secret',
  'secretKey',
  'secret_key',
  'clientSecret',
  'client_secret',
  'privateKey',
  'private_key',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'x-api-key',
  'X-Api-Key',
];

/** How deep below the top of a log object secrets are looked for (pino's redaction works on explicit paths). */
const REDACT_DEPTH = 3;

const accessor = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`);

/** pino `redact` paths: every secret key at the top level and up to REDACT_DEPTH levels below it. */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => {
  const acc = accessor(key);
  const paths: string[] = [];
  for (let depth = 0; depth <= REDACT_DEPTH; depth++) {
    const prefix = '*.'.repeat(depth);
    paths.push(acc.startsWith('[') ? (depth === 0 ? acc : `${prefix.slice(0, -1)}${acc}`) : `${prefix}${acc}`);
  }
  return paths;
});

export const REDACTED = '[redacted]';

const LEVEL_LABELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/**
 * A destination that turns pino's JSON lines into short human-readable lines. A console line (a record
 * with an `event` field: execution/consoleLines.ts, the demo trader's summary) is its message alone,
 * after the market time of the event (`at`, else the record's time): `10:42:00 XAUUSDc #100003 ...`;
 * its fields are in the message already, and the JSON log keeps them. Any other record is
 * `HH:MM:SS.mmm LEVEL [name] message key=value ...`.
 */
export function prettyDestination(write: (line: string) => void): DestinationStream {
  return {
    // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
    write(chunk: string): void {
      for (const line of chunk.split('\n')) {
        if (line.trim() === '') continue;
        let rec: Record<string, unknown>;
        try {
          const parsed: unknown = JSON.parse(line);
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a record');
          rec = parsed as Record<string, unknown>;
        } catch {
          write(`${line}\n`);
          continue;
        }
        const { level, time, msg, pid: _pid, hostname: _hostname, name, ...rest } = rec;
        if (typeof rest.event === 'string' && typeof msg === 'string') {
          const at = typeof rest.at === 'number' && Number.isFinite(rest.at) ? rest.at : time;
          write(
            `${typeof at === 'number' && Number.isFinite(at) ? new Date(at).toISOString().slice(11, 19) : '--:--:--'} ${msg}\n`,
          );
          continue;
        }
        const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
        const label = (typeof level === 'number' ? LEVEL_LABELS[level] : undefined) ?? String(level);
        const fields = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
          .join(' ');
        const who = typeof name === 'string' ? `[${name}] ` : '';
        write(`${when} ${label.padEnd(5)} ${who}${typeof msg === 'string' ? msg : ''}${fields ? ` ${fields}` : ''}\n`);
      }
    },
  };
}

/** Creates a logger. JSON lines to stderr unless `pretty` or `destination` say otherwise. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const sink = options.destination;
  let stream: DestinationStream;
  if (options.pretty === true) {
    stream = prettyDestination((line) => {
      if (sink !== undefined) sink.write(line);
      else process.stderr.write(line);
    });
  } else {
    stream = sink ?? pino.destination({ dest: 2, sync: true });
  }
  return pino(
    {
      level: options.level ?? 'info',
      ...(options.name !== undefined ? { name: options.name } : {}),
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    },
    stream,
  );
}
