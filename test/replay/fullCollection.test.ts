// The collection a long replay asks for between its phases (fullCollection.ts): it is really there on
// this Node (not silently left to V8), and it frees what nothing holds any more.
import { describe, expect, it } from 'vitest';
import {
  collectBetweenPhases,
  FULL_COLLECTION_BARS,
  fullCollectionAvailable,
} from '../../src/replay/fullCollection.ts';

/** ~48 MB of small objects, reachable only from the returned holder. */
function garbage(): { items: { a: number; b: number[] }[] | null } {
  const items: { a: number; b: number[] }[] = [];
  for (let i = 0; i < 400_000; i++) items.push({ a: i, b: [i, i + 1, i + 2, i + 3, i + 4, i + 5] });
  return { items };
}

describe("full collection between a replay's phases", () => {
  it('is available on this Node', () => {
    expect(fullCollectionAvailable()).toBe(true);
  });

  it('frees what nothing holds any more, from the threshold on', () => {
    collectBetweenPhases(FULL_COLLECTION_BARS);
    const holder = garbage();
    const held = process.memoryUsage().heapUsed;
    expect(holder.items?.length).toBe(400_000);
    holder.items = null;
    collectBetweenPhases(FULL_COLLECTION_BARS);
    const after = process.memoryUsage().heapUsed;
    expect(held - after).toBeGreaterThan(30 * 1024 * 1024);
  });
});
