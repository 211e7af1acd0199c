// Trading sessions in UTC (the original's SessionHelpers): OVERLAP 13-16 is checked first,
// ASIAN 0-8, LONDON 8-13, NY 16-21, POST_NY 21-24. And the crypto weekend window.

export type Session = 'ASIAN' | 'LONDON' | 'OVERLAP' | 'NY' | 'POST_NY';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export function utcHour(timeMs: number): number {
  // Hours since the epoch fit a small integer, so the modulo is an integer one (a double fmod per
  // bar was 2% of a replay).
  const h = Math.floor(timeMs / HOUR_MS) % 24;
  return h < 0 ? h + 24 : h;
}

export function sessionAt(timeMs: number): Session {
  const h = utcHour(timeMs);
  if (h >= 13 && h < 16) return 'OVERLAP';
  if (h < 8) return 'ASIAN';
  if (h < 13) return 'LONDON';
  if (h < 21) return 'NY';
  return 'POST_NY';
}

/** Weekend window for crypto: Friday 23:00 UTC to Monday 03:00 UTC. */
export function isWeekendWindow(timeMs: number): boolean {
  // 1970-01-01 was a Thursday: day index 0 = Thursday.
  const dayIndex = Math.floor(timeMs / DAY_MS);
  const weekday = (((dayIndex + 4) % 7) + 7) % 7; // 0 = Sunday ... 6 = Saturday
  const h = utcHour(timeMs);
  if (weekday === 5) return h >= 23; // Friday
  if (weekday === 6 || weekday === 0) return true; // Saturday, Sunday
  if (weekday === 1) return h < 3; // Monday
  return false;
}
