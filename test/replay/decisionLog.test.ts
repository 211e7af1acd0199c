import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DecisionLineBuilder,
  formatDecisionLine,
  isoTime,
  LineWriter,
  type DecisionLineDraft,
} from '../../src/replay/decisionLog.ts';

const reference = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

describe('isoTime', () => {
  it('matches toISOString without zero milliseconds, across days, years and odd inputs', () => {
    for (const t of [
      0, 1, 999, 1000, 59_999, 60_000, 86_399_999, 86_400_000, 951_782_400_000, 1_700_000_000_123, 253_402_300_799_999,
      253_402_300_800_000, -1, -86_400_000, 1.5,
    ]) {
      expect(isoTime(t)).toBe(reference(t));
    }
    // the per-day cache and the last-result reuse must not leak between calls
    expect(isoTime(86_400_000 + 61_000)).toBe('1970-01-02T00:01:01Z');
    expect(isoTime(86_400_000 + 61_000)).toBe('1970-01-02T00:01:01Z');
    expect(isoTime(61_000)).toBe('1970-01-01T00:01:01Z');
  });

  it('matches toISOString for any time from 1970 to 9999 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (t) => isoTime(t) === reference(t)),
      { numRuns: 5000 },
    );
  });
});

describe('DecisionLineBuilder', () => {
  it('starts every line from the defaults, so nothing of the previous line leaks into the next', () => {
    const w = new LineWriter(null);
    const b = new DecisionLineBuilder(w, 'XAUUSD');
    const l = b.begin(60_000, '7', 'buy', 'trail', 'applied');
    l.intentId = '7:trail:1';
    l.oldSl = 1.5;
    l.newSl = 1.6;
    l.detail = 'why "quoted"';
    b.emit();
    b.begin(120_000, '8', 'sell', 'close', 'applied');
    b.emit();
    const [first, second] = w.lines!.map((s) => JSON.parse(s) as Record<string, unknown>);
    expect(first).toMatchObject({
      time: '1970-01-01T00:01:00Z',
      positionId: '7',
      symbol: 'XAUUSD',
      intentId: '7:trail:1',
      oldSl: 1.5,
      newSl: 1.6,
      detail: 'why "quoted"',
    });
    expect(second).toEqual({
      time: '1970-01-01T00:02:00Z',
      positionId: '8',
      symbol: 'XAUUSD',
      side: 'sell',
      kind: 'close',
      intentId: '',
      oldSl: null,
      newSl: null,
      volume: null,
      openVolume: null,
      price: null,
      reason: '',
      result: 'applied',
      code: 0,
      detail: '',
    });
    expect(Object.keys(second!)).toEqual(
      Object.keys(JSON.parse(formatDecisionLine({ ...second!, time: 0 } as never)) as object),
    );
  });
});

// JSON.stringify of the line object (numbers as written: rounded to 8 decimals).
const r8 = (x: number | null) => (x === null ? null : Math.round(x * 1e8) / 1e8);
const referenceLine = (l: DecisionLineDraft) =>
  JSON.stringify({
    time: isoTime(l.time),
    positionId: l.positionId,
    symbol: l.symbol,
    side: l.side,
    kind: l.kind,
    intentId: l.intentId,
    oldSl: r8(l.oldSl),
    newSl: r8(l.newSl),
    volume: r8(l.volume),
    openVolume: r8(l.openVolume),
    price: r8(l.price),
    reason: l.reason,
    result: l.result,
    code: l.code,
    detail: l.detail,
  });

describe('formatDecisionLine through LineWriter', () => {
  it('writes each line as JSON.stringify would, for any text and numbers, across buffer boundaries (property)', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-lines-'));
    try {
      // any UTF-16 units, lone surrogates and control characters included
      const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
      const long = { minLength: 30, maxLength: 120 };
      const text = fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.string({ unit: anyUnit }),
        // long strings take the native path when nothing needs escaping
        fc.string(long),
        fc.string({ ...long, unit: 'binary' }),
        fc.tuple(fc.string(long), fc.string({ unit: anyUnit, maxLength: 2 })).map(([a, b]) => a + b),
      );
      const price = fc.oneof(
        fc.constant(null),
        fc.double({ min: -1e7, max: 1e7, noNaN: true }).map((x) => Math.round(x * 1e5) / 1e5),
        fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 1e8),
        fc.constantFrom(0, -0, 1e-7, 5e-9, 1e20, 10009),
      );
      const line = fc.record({
        time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
        positionId: text,
        symbol: text,
        side: fc.constantFrom('buy', 'sell'),
        kind: fc.constantFrom('open', 'breakeven', 'partial', 'trail', 'close'),
        intentId: text,
        oldSl: price,
        newSl: price,
        volume: price,
        openVolume: price,
        price,
        reason: text,
        result: fc.constantFrom('applied', 'rejected', 'skipped', 'unknown'),
        code: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.constant(-1)),
        detail: text,
      });
      let run = 0;
      fc.assert(
        fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
          const file = path.join(dir, `${run++}.jsonl`);
          const w = new LineWriter(file);
          for (const l of lines) w.write(formatDecisionLine(l as DecisionLineDraft));
          w.close();
          const expected = lines.map((l) => `${referenceLine(l as DecisionLineDraft)}\n`).join('');
          return readFileSync(file).equals(Buffer.from(expected, 'utf8')) && w.count === lines.length;
        }),
        { numRuns: 300 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LineWriter files larger than its buffer (written by a thread)', () => {
  it('writes every line in order, and close() returns only when the file is complete', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-big-'));
    try {
      const file = path.join(dir, 'big.jsonl');
      const w = new LineWriter(file);
      const b = new DecisionLineBuilder(w, 'EURUSD');
      const expected: string[] = [];
      for (let i = 0; i < 30_000; i++) {
        if (i % 1000 === 999) {
          const long = `{"huge":"${'é'.repeat(400_000 + i)}"}`; // bigger than the 1 MB buffer once encoded
          w.write(long);
          expected.push(long);
          continue;
        }
        const l = b.begin(1_700_000_000_000 + i * 60_000, String(i), 'buy', 'trail', 'applied');
        l.newSl = 1.1 + i / 1e5;
        l.detail = `line ${i} ${'x'.repeat(i % 300)}`;
        b.emit();
        expected.push(formatDecisionLine(l));
      }
      w.close();
      const text = readFileSync(file, 'utf8');
      expect(text.length).toBeGreaterThan(10_000_000);
      expect(text).toBe(`${expected.join('\n')}\n`);
      expect(w.count).toBe(30_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a write error at close (a full disk), not silently', () => {
    const w = new LineWriter('/dev/full');
    const b = new DecisionLineBuilder(w, 'EURUSD');
    for (let i = 0; i < 20_000; i++) {
      const l = b.begin(i * 60_000, String(i), 'buy', 'trail', 'applied');
      l.detail = 'x'.repeat(100);
      b.emit();
    }
    expect(() => w.close()).toThrow(/writing \/dev\/full: .*(ENOSPC|no space)/i);
  });
});
