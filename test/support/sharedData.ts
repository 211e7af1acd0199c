// Suites that read ../shared/data skip with a clear message when it is absent (a user's machine has no
// ../shared). CI sets WARDEN_REQUIRE_SHARED=1: then a missing directory fails the suite instead.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import type { Bar } from '../../src/domain/types.ts';
import { readUniformCsv } from '../../src/market/uniformCsv.ts';

export const SHARED_DATA_DIR = path.resolve(process.cwd(), '../shared/data');
export const INDICATOR_REFS_DIR = path.join(SHARED_DATA_DIR, 'indicator-refs');
export const REQUIRE_SHARED = process.env.WARDEN_REQUIRE_SHARED === '1';

/**
 * Whether `dir` exists. When it does not: warns that the suite is skipped, and when WARDEN_REQUIRE_SHARED=1
 * registers a failing test so the run fails instead of silently skipping.
 */
export function sharedDataAvailable(dir: string, suite: string): boolean {
  const exists = existsSync(dir);
  if (!exists) {
    const rel = path.relative(process.cwd(), dir) || dir;
    if (REQUIRE_SHARED) {
      describe(suite, () => {
        it('needs the shared market data (WARDEN_REQUIRE_SHARED=1)', () => {
          throw new Error(
            `${rel} not found: ${suite} needs the shared market data, and WARDEN_REQUIRE_SHARED=1 forbids skipping`,
          );
        });
      });
    } else {
      console.warn(`skipped: ${rel} not found (these suites need the shared market data): ${suite}`);
    }
  }
  return exists;
}

/** describe() that runs only when ../shared/data exists, and is reported as skipped otherwise (see sharedDataAvailable). */
export function describeShared(name: string, fn: () => void): void {
  describe.skipIf(!sharedDataAvailable(SHARED_DATA_DIR, name))(name, fn);
}

export const sharedFile = (name: string): string => path.join(SHARED_DATA_DIR, name);

/** Rows of a CSV file as string cells (header included). */
export function readCsv(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((l) => l.split(','));
}

/** Bars of a shared data file in the uniform layout; any bad row fails loudly. */
export function readBars(file: string): Bar[] {
  const { bars, errors } = readUniformCsv(file);
  if (errors.length > 0)
    throw new Error(`${file}: ${errors.length} bad rows, first: line ${errors[0]!.line}: ${errors[0]!.reason}`);
  return bars;
}
