import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalText } from '../../src/domain/decimalText.ts';

const reference = (x: number, d: number) => String(Math.round(x * 10 ** d) / 10 ** d);

describe('decimalText', () => {
  it('writes the same text as String() of the rounded value', () => {
    const cases: [number, number][] = [
      [1282.686, 3],
      [1282.6860001, 3],
      [2, 3],
      [0, 5],
      [-0, 2],
      [-0.0001, 2],
      [-1.5, 1],
      [0.05, 8],
      [0.00001, 5],
      [1e-7, 8],
      [5e-8, 8],
      [1.23456789, 8],
      [60000.5, 2],
      [149.999, 3],
      [1.10005, 5],
      [10009, 0],
      [NaN, 3],
      [Infinity, 2],
      [-Infinity, 2],
      [1e15, 2],
      [123456789012.345, 5],
      [0.1 + 0.2, 8],
      [1.005, 2],
      [-2.675, 2],
    ];
    for (const [x, d] of cases) expect(decimalText(x, d), `${x} ${d}`).toBe(reference(x, d));
  });

  it('matches String() for prices, volumes and ratios (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e7, max: 1e7, noNaN: true }),
        fc.integer({ min: 0, max: 8 }),
        (x, d) => decimalText(x, d) === reference(x, d),
      ),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.integer({ min: 0, max: 8 }),
        (n, d) => decimalText(n / 10 ** d, d) === reference(n / 10 ** d, d),
      ),
      { numRuns: 20_000 },
    );
  });
});
