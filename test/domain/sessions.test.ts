import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sessionAt, utcHour } from '../../src/domain/sessions.ts';

describe('utcHour and sessionAt', () => {
  it('is the UTC hour of the time, before 1970 too (property: equals the Date reading)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (t) => utcHour(t) === new Date(t).getUTCHours()),
      { numRuns: 20_000 },
    );
  });

  it('maps hours to the original sessions, OVERLAP first', () => {
    const at = (h: number) => sessionAt(Date.UTC(2024, 0, 2, h, 30));
    expect([0, 7, 8, 12, 13, 15, 16, 20, 21, 23].map(at)).toEqual([
      'ASIAN',
      'ASIAN',
      'LONDON',
      'LONDON',
      'OVERLAP',
      'OVERLAP',
      'NY',
      'NY',
      'POST_NY',
      'POST_NY',
    ]);
  });
});
