// Locating ../shared/data for the suites that need the shared market data and indicator references.
// When the directory is absent the suites skip with a clear message, unless WARDEN_REQUIRE_SHARED=1
// (CI), in which case they fail.
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import type { Bar } from '../../../src/domain/types.ts';

export const SHARED_DATA_DIR = path.resolve(process.cwd(), '../shared/data');
export const INDICATOR_REFS_DIR = path.resolve(process.cwd(), '../shared/data/indicator-refs');
export const REQUIRE_SHARED = process.env.WARDEN_REQUIRE_SHARED === '1';

/**
 * Whether `dir` exists. When it does not: warns that the suite is skipped, and when WARDEN_REQUIRE_SHARED=1
 * registers a failing test so the run fails instead of silently skipping.
 */
export function sharedDataAvailable(dir: string, suite: string): boolean {
  const exists = fs.existsSync(dir);
  if (!exists) {
    const rel = path.relative(process.cwd(), dir) || dir;
    if (REQUIRE_SHARED) {
      describe(suite, () => {
        it('needs the shared market data (WARDEN_REQUIRE_SHARED=1)', () => {
          throw new Error(`${rel} not found: ${suite} needs the shared market data, and WARDEN_REQUIRE_SHARED=1 forbids skipping`);
        });
      });
    } else {
      console.warn(`skipped: ${rel} not found (these suites need the shared market data): ${suite}`);
    }
  }
  return exists;
}

/** Rows of a CSV file as string cells (header included). */
export function readCsv(file: string): string[][] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((l) => l.split(','));
}

/**
 * Bars of a shared data file (header time,open,high,low,close,volume,spread; ISO UTC times).
 * Empty cells mean unknown: volume 0, spread NaN.
 */
export function readBars(file: string): Bar[] {
  const rows = readCsv(file);
  const head = rows[0]!.join(',');
  if (head !== 'time,open,high,low,close,volume,spread') throw new Error(`${file}: unexpected header ${head}`);
  return rows.slice(1).map((c) => ({
    time: Date.parse(c[0]!),
    open: Number(c[1]),
    high: Number(c[2]),
    low: Number(c[3]),
    close: Number(c[4]),
    volume: c[5] ? Number(c[5]) : 0,
    spread: c[6] ? Number(c[6]) : NaN,
  }));
}
