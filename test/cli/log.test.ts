import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from '../../src/log.ts';

function sink() {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(s) } };
}

describe('createLogger', () => {
  it('writes JSON lines with level and message', () => {
    const s = sink();
    const log = createLogger({ level: 'info', destination: s.destination });
    log.info({ symbol: 'XAUUSD' }, 'breakeven moved');
    log.debug('hidden at info');
    expect(s.lines).toHaveLength(1);
    const rec = JSON.parse(s.lines[0] ?? '{}') as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 30, msg: 'breakeven moved', symbol: 'XAUUSD' });
  });

  it('never logs secrets, at the top level, nested, or in child bindings', () => {
    const s = sink();
    const log = createLogger({ level: 'debug', destination: s.destination });
    log.info(
      {
        token: 't0k3n',
        apiKey: 'AK',
        broker: { password: 'pw', secret: 'sec', headers: { authorization: 'Bearer abc', 'x-api-key': 'xk' } },
        account: { login: 123 },
      },
      'connected',
    );
    log.child({ apiSecret: 'shh' }).debug('child');
    const text = s.lines.join('');
    for (const secret of ['t0k3n', 'AK', 'pw', 'sec"', 'Bearer abc', 'xk', 'shh']) expect(text).not.toContain(secret);
    expect(text).toContain(REDACTED);
    expect(text).toContain('"login":123');
  });

  it('pretty mode writes readable lines, still redacted', () => {
    const s = sink();
    const log = createLogger({ pretty: true, destination: s.destination, name: 'engine' });
    log.warn({ symbol: 'BTCUSD', token: 'abc' }, 'stop not moved');
    expect(s.lines.join('')).toMatch(/WARN {2}\[engine\] stop not moved symbol=BTCUSD token=\[redacted\]\n$/);
  });
});
