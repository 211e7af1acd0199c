// The SQLite store's replay checkpoints (schema 2) and their parts (schema 4), where only SQLite can
// show it: a stored schema version, rows damaged or left behind the store's back, and older store files
// migrated. Saving, replacing, reading and deleting them, one transaction each, is the store contract:
// storeContract.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { MIGRATIONS } from '../../src/store/sqliteMigrations.ts';
import { StoreError } from '../../src/store/store.ts';
import { NOW, plan } from './storeFixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-cp-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `s${++n}.db`);

describe('SqliteStore: replay checkpoints', () => {
  it('a new store is at the latest schema; a damaged checkpoint row is reported', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW });
    expect(s.meta().schemaVersion).toBe(MIGRATIONS.length);
    s.close();
    const db = new Database(file);
    db.prepare("INSERT INTO replay_checkpoints VALUES ('bad', 1, 2, 'x', 0, '{}')").run();
    db.close();
    const r = openSqliteStore(file, { now: NOW });
    expect(() => r.replayCheckpoint('bad')).toThrow(/replay_checkpoints row bad is not valid: bytes x/);
    r.close();
  });

  it("a run key's first checkpoint drops parts left without one", () => {
    const file = fresh();
    openSqliteStore(file, { now: NOW }).close();
    const db = new Database(file);
    db.prepare("INSERT INTO replay_checkpoint_parts VALUES ('k', 'trades', 0, '[1]'), ('k', 'trades', 1, '[2]')").run();
    db.close();
    const s = openSqliteStore(file, { now: NOW });
    s.saveReplayCheckpoint(
      'k',
      { next: 1, lines: 0, bytes: 0, checkpointJson: '{}', parts: [{ list: 'deals', start: 0, itemsJson: '[]' }] },
      NOW,
    );
    expect(s.replayCheckpointParts('k')).toEqual([{ list: 'deals', start: 0, itemsJson: '[]' }]);
    s.close();
  });

  it('reports a damaged part row with its table, run key, list and start', () => {
    for (const [values, message] of [
      ["'k', 'orders', 0, '[]'", /replay_checkpoint_parts row k orders@0 is not valid: list orders/],
      ["'k', 'deals', 1.5, '[]'", /replay_checkpoint_parts row k deals@1.5 is not valid: start 1.5/],
      [
        "'k', 'deals', 0, X'5b5d'",
        /replay_checkpoint_parts row k deals@0 is not valid: items is object, not JSON text/,
      ],
    ] as const) {
      const file = fresh();
      openSqliteStore(file, { now: NOW }).close();
      const db = new Database(file);
      db.prepare(`INSERT INTO replay_checkpoint_parts VALUES (${values})`).run();
      db.close();
      const s = openSqliteStore(file, { now: NOW });
      const err = (() => {
        try {
          s.replayCheckpointParts('k');
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('invalid_row');
      expect((err as StoreError).message).toMatch(message);
      s.close();
    }
  });

  it('schema 4 drops the checkpoints saved in the earlier form (the run starts afresh) and adds the parts table', () => {
    const file = fresh();
    const v3 = openSqliteStore(file, { now: NOW, migrations: MIGRATIONS.slice(0, 3) });
    v3.savePlan(plan('7'));
    v3.close();
    const db = new Database(file);
    db.prepare(`INSERT INTO replay_checkpoints VALUES ('k', 3, 2, 1, ${NOW}, '{"trades":[]}')`).run();
    db.close();
    const v4 = openSqliteStore(file, { now: NOW });
    expect(v4.meta().schemaVersion).toBe(MIGRATIONS.length);
    expect(v4.replayCheckpoint('k')).toBeNull();
    expect(v4.replayCheckpointParts('k')).toEqual([]);
    expect(v4.plan('7')?.positionId).toBe('7');
    v4.close();
  });

  it('a schema-1 store is migrated at open: its data kept, the checkpoint table added', () => {
    const file = fresh();
    const v1 = openSqliteStore(file, { now: NOW, migrations: MIGRATIONS.slice(0, 1) });
    expect(v1.meta().schemaVersion).toBe(1);
    v1.savePlan(plan('7'));
    v1.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'replay_checkpoints'").get()).toEqual({
      n: 0,
    });
    raw.close();

    const v2 = openSqliteStore(file, { now: NOW });
    expect(v2.meta().schemaVersion).toBe(MIGRATIONS.length);
    expect(v2.plan('7')?.positionId).toBe('7');
    v2.saveReplayCheckpoint('k', { next: 3, lines: 2, bytes: 1, checkpointJson: '{}' }, NOW);
    expect(v2.replayCheckpoint('k')?.bytes).toBe(1);
    v2.close();
  });
});
