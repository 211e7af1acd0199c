import { describe, expect, it } from 'vitest';
import { parseUniformCsv } from '../../src/market/uniformCsv.ts';

describe('uniform CSV bars', () => {
  it('reads bars; empty volume is 0 and empty spread is unknown (NaN)', () => {
    const r = parseUniformCsv(
      'time,open,high,low,close,volume,spread\n2024-01-02T00:00:00Z,1,2,0.5,1.5,10,0.1\n2024-01-02T00:01:00Z,1.5,1.6,1.4,1.5,,\n',
      'a.csv',
    );
    expect(r.errors).toEqual([]);
    expect(r.bars).toHaveLength(2);
    expect(r.bars[0]).toEqual({
      time: Date.UTC(2024, 0, 2),
      open: 1,
      high: 2,
      low: 0.5,
      close: 1.5,
      volume: 10,
      spread: 0.1,
    });
    expect(r.bars[1]!.volume).toBe(0);
    expect(r.bars[1]!.spread).toBeNaN();
  });

  it('rejects bad rows with file:line and the reason', () => {
    const r = parseUniformCsv(
      [
        'time,open,high,low,close,volume,spread',
        '2024-01-02T00:00:00Z,1,2,0.5,1.5,10,0.1',
        '2024-01-02 00:01,1,2,0.5,1.5,10,0.1',
        '2024-01-02T00:02:00Z,1,1.2,0.5,1.5,10,0.1',
        '2024-01-02T00:00:00Z,1,2,0.5,1.5,10,0.1',
        '2024-01-02T00:03:00Z,1,2,0.5',
        '2024-01-02T00:04:00Z,1,2,0.5,1.5,-3,0.1',
      ].join('\n'),
      'b.csv',
    );
    expect(r.bars).toHaveLength(1);
    expect(r.errors.map((e) => [e.line, e.reason.split(' ')[0]])).toEqual([
      [3, 'time'],
      [4, 'high/low'],
      [5, 'time'],
      [6, 'expected'],
      [7, 'volume'],
    ]);
    expect(r.errors[0]!.file).toBe('b.csv');
  });

  it('refuses a file with another header', () => {
    const r = parseUniformCsv('<DATE>\t<TIME>\n', 'mt5.csv');
    expect(r.errors[0]!.reason).toMatch(/expected header/);
  });
});
