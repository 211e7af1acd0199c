// Suites that read ../shared/data skip with a clear message when it is absent (a user's machine has
// no ../shared). CI sets WARDEN_REQUIRE_SHARED=1: then a missing directory fails the suite instead.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';

export const SHARED_DATA = path.resolve(process.cwd(), '../shared/data');
export const hasSharedData = existsSync(SHARED_DATA);

export function describeShared(name: string, fn: () => void): void {
  if (hasSharedData) {
    describe(name, fn);
    return;
  }
  if (process.env.WARDEN_REQUIRE_SHARED === '1') {
    describe(name, () => {
      it('needs ../shared/data', () => {
        throw new Error(`${SHARED_DATA} not found, and WARDEN_REQUIRE_SHARED=1 requires it`);
      });
    });
    return;
  }
  console.warn(`skipped "${name}": ../shared/data not found (these suites need the shared market data)`);
  describe.skip(`${name} (skipped: ../shared/data not found)`, fn);
}

export const sharedFile = (name: string): string => path.join(SHARED_DATA, name);
