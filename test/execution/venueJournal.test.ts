// A venue the session keeps itself (the embedded paper account) is stored with every answer it gave:
// after a crash, the journal and that venue restart from the same instant, never "applied" in one
// and absent from the other.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { answersKeptWithVenue } from '../../src/execution/venueJournal.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { intent, NOW, position } from '../store/storeFixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-venue-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open = () => openSqliteStore(join(dir, `v${++n}.db`), { now: NOW });

describe('answersKeptWithVenue', () => {
  it('stores the venue with each answer, in the same transaction', () => {
    const store = open();
    let venueSl = 2390;
    // Stands for the paper account's snapshot: the venue's state as it is when the answer is stored.
    const alongside = (s: WardenStore) => s.savePosition(position('1', venueSl), 0);
    const journal = answersKeptWithVenue(store, alongside);
    journal.recordIntent(intent('i-1'), NOW);
    venueSl = 2395; // the venue applied it
    expect(journal.markIntent('i-1', 'applied', null, 'done', NOW + 1)).toBe(true);
    expect(store.intent('i-1')?.status).toBe('applied');
    expect(store.positions()[0]!.position.sl).toBe(2395);
    store.close();
  });

  it('an answer whose venue cannot be stored is not stored either', () => {
    const store = open();
    const journal = answersKeptWithVenue(store, () => {
      throw new Error('disk full');
    });
    journal.recordIntent(intent('i-2'), NOW);
    expect(() => journal.markIntent('i-2', 'applied', null, 'done', NOW + 1)).toThrow('disk full');
    expect(store.intent('i-2')?.status).toBe('pending');
    store.close();
  });

  it('without a venue of its own (a real account) the store is the journal as it is', () => {
    const store = open();
    expect(answersKeptWithVenue(store, undefined)).toBe(store);
    store.close();
  });
});
