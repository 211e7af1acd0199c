// The store's replay checkpoints (schema 2) and their parts (schema 4): save / replace / read / delete,
// one transaction per checkpoint, validation, kept across a reopen, and older store files migrated.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { MIGRATIONS } from '../../src/store/sqliteMigrations.ts';
import { StoreError, type ReplayCheckpointPart } from '../../src/store/store.ts';
import { defaultConfig } from '../../src/config/load.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { parseLegacyRule, planFromLegacy } from '../../src/exits/legacyRule.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-cp-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `s${++n}.db`);
const NOW = Date.UTC(2025, 2, 14, 9, 30);

function plan(id: string) {
  const p = parseLegacyRule(id, {
    ticket: id,
    symbol: 'XAUUSDc',
    entry_price: 2400,
    direction: 'buy',
    initial_sl: 2390,
    initial_tp: 2420,
  });
  if (!p.ok) throw new Error(p.reason);
  return planFromLegacy(p.rule, instrumentFromConfig(defaultConfig(), 'XAUUSDc'), 0.3, NOW);
}

describe('SqliteStore: replay checkpoints', () => {
  it('saves, replaces, reads back after a reopen, and deletes a checkpoint by run key', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW });
    expect(s.meta().schemaVersion).toBe(MIGRATIONS.length);
    expect(s.replayCheckpoint('k1')).toBeNull();
    s.saveReplayCheckpoint('k1', { next: 500, lines: 120, bytes: 40_000, checkpointJson: '{"next":500}' }, NOW);
    s.transaction(() =>
      s.saveReplayCheckpoint('k1', { next: 1000, lines: 260, bytes: 91_234, checkpointJson: '{"next":1000}' }, NOW + 5),
    );
    s.saveReplayCheckpoint('k2', { next: 0, lines: 0, bytes: 0, checkpointJson: '{}' }, NOW + 6);
    s.close();

    const r = openSqliteStore(file, { now: NOW });
    expect(r.replayCheckpoint('k1')).toEqual({
      runKey: 'k1',
      next: 1000,
      lines: 260,
      bytes: 91_234,
      savedAt: NOW + 5,
      checkpointJson: '{"next":1000}',
    });
    expect(r.replayCheckpoint('k2')?.next).toBe(0);
    expect(r.deleteReplayCheckpoint('k1')).toBe(true);
    expect(r.deleteReplayCheckpoint('k1')).toBe(false);
    expect(r.replayCheckpoint('k1')).toBeNull();
    expect(r.replayCheckpoint('k2')).not.toBeNull();
    r.close();
  });

  it('refuses a negative or fractional position, and reports a damaged row', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW });
    expect(() => s.saveReplayCheckpoint('k', { next: -1, lines: 0, bytes: 0, checkpointJson: '{}' }, NOW)).toThrow(
      StoreError,
    );
    expect(() => s.saveReplayCheckpoint('k', { next: 1, lines: 0.5, bytes: 0, checkpointJson: '{}' }, NOW)).toThrow(
      /lines must be a non-negative integer/,
    );
    s.close();
    const db = new Database(file);
    db.prepare("INSERT INTO replay_checkpoints VALUES ('bad', 1, 2, 'x', 0, '{}')").run();
    db.close();
    const r = openSqliteStore(file, { now: NOW });
    expect(() => r.replayCheckpoint('bad')).toThrow(/replay_checkpoints row bad is not valid: bytes x/);
    r.close();
  });

  it('parts: saved with their checkpoint, replaced by list and start, the others kept, deleted with it', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    s.saveReplayCheckpoint(
      'k',
      {
        next: 10,
        lines: 1,
        bytes: 9,
        checkpointJson: '{"a":1}',
        parts: [
          { list: 'trades', start: 0, itemsJson: '[1,2]' },
          { list: 'deals', start: 0, itemsJson: '["d0"]' },
        ],
      },
      NOW,
    );
    s.saveReplayCheckpoint(
      'other',
      { next: 5, lines: 0, bytes: 0, checkpointJson: '{}', parts: [{ list: 'trades', start: 0, itemsJson: '[7]' }] },
      NOW,
    );
    s.saveReplayCheckpoint(
      'k',
      {
        next: 20,
        lines: 2,
        bytes: 19,
        checkpointJson: '{"a":2}',
        parts: [
          { list: 'trades', start: 2, itemsJson: '[3]' },
          { list: 'deals', start: 0, itemsJson: '["d0 changed"]' },
        ],
      },
      NOW + 1,
    );
    expect(s.replayCheckpointParts('k')).toEqual([
      { list: 'deals', start: 0, itemsJson: '["d0 changed"]' },
      { list: 'trades', start: 0, itemsJson: '[1,2]' },
      { list: 'trades', start: 2, itemsJson: '[3]' },
    ]);
    expect(s.deleteReplayCheckpoint('k')).toBe(true);
    expect(s.replayCheckpointParts('k')).toEqual([]);
    expect(s.replayCheckpointParts('other')).toEqual([{ list: 'trades', start: 0, itemsJson: '[7]' }]);
    s.close();
  });

  it('one transaction: a part that fails to save leaves the previous checkpoint and its parts whole', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    s.saveReplayCheckpoint(
      'k',
      {
        next: 10,
        lines: 1,
        bytes: 9,
        checkpointJson: '{"a":1}',
        parts: [{ list: 'trades', start: 0, itemsJson: '[1]' }],
      },
      NOW,
    );
    // items NULL breaks the table's NOT NULL after the row and the first part are written.
    const broken = { list: 'deals', start: 0, itemsJson: null } as unknown as ReplayCheckpointPart;
    expect(() =>
      s.saveReplayCheckpoint(
        'k',
        {
          next: 20,
          lines: 2,
          bytes: 19,
          checkpointJson: '{"a":2}',
          parts: [{ list: 'trades', start: 1, itemsJson: '[2]' }, broken],
        },
        NOW + 1,
      ),
    ).toThrow(/NOT NULL/);
    expect(s.replayCheckpoint('k')?.next).toBe(10);
    expect(s.replayCheckpointParts('k')).toEqual([{ list: 'trades', start: 0, itemsJson: '[1]' }]);
    // Refused before writing: a list it does not know, a start that is not an index.
    const bad = (part: ReplayCheckpointPart) => () =>
      s.saveReplayCheckpoint('k', { next: 30, lines: 3, bytes: 29, checkpointJson: '{}', parts: [part] }, NOW + 2);
    expect(bad({ list: 'orders' as ReplayCheckpointPart['list'], start: 0, itemsJson: '[]' })).toThrow(
      /replay checkpoint k: no list orders/,
    );
    expect(bad({ list: 'deals', start: -1, itemsJson: '[]' })).toThrow(
      /part deals start must be a non-negative integer \(got -1\)/,
    );
    expect(s.replayCheckpoint('k')?.next).toBe(10);
    s.close();
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
