// The store's replay checkpoints (schema 2): save / replace / read / delete, validation, kept across a
// reopen, and a schema-1 store file (made with the first migration only) migrated to the full schema.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { MIGRATIONS } from '../../src/store/sqliteMigrations.ts';
import { StoreError } from '../../src/store/store.ts';
import { defaultConfig } from '../../src/config/load.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { parseLegacyRule, planFromLegacy } from '../../src/exits/legacyRule.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-cp-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `s${++n}.db`);
const NOW = Date.UTC(2025, 2, 14, 9, 30);

function plan(id: string) {
  const p = parseLegacyRule(id, { ticket: id, symbol: 'XAUUSDc', entry_price: 2400, direction: 'buy', initial_sl: 2390, initial_tp: 2420 });
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
    s.transaction(() => s.saveReplayCheckpoint('k1', { next: 1000, lines: 260, bytes: 91_234, checkpointJson: '{"next":1000}' }, NOW + 5));
    s.saveReplayCheckpoint('k2', { next: 0, lines: 0, bytes: 0, checkpointJson: '{}' }, NOW + 6);
    s.close();

    const r = openSqliteStore(file, { now: NOW });
    expect(r.replayCheckpoint('k1')).toEqual({ runKey: 'k1', next: 1000, lines: 260, bytes: 91_234, savedAt: NOW + 5, checkpointJson: '{"next":1000}' });
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
    expect(() => s.saveReplayCheckpoint('k', { next: -1, lines: 0, bytes: 0, checkpointJson: '{}' }, NOW)).toThrow(StoreError);
    expect(() => s.saveReplayCheckpoint('k', { next: 1, lines: 0.5, bytes: 0, checkpointJson: '{}' }, NOW)).toThrow(/lines must be a non-negative integer/);
    s.close();
    const db = new Database(file);
    db.prepare("INSERT INTO replay_checkpoints VALUES ('bad', 1, 2, 'x', 0, '{}')").run();
    db.close();
    const r = openSqliteStore(file, { now: NOW });
    expect(() => r.replayCheckpoint('bad')).toThrow(/replay_checkpoints row bad is not valid: bytes x/);
    r.close();
  });

  it('a schema-1 store is migrated at open: its data kept, the checkpoint table added', () => {
    const file = fresh();
    const v1 = openSqliteStore(file, { now: NOW, migrations: MIGRATIONS.slice(0, 1) });
    expect(v1.meta().schemaVersion).toBe(1);
    v1.savePlan(plan('7'));
    v1.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'replay_checkpoints'").get()).toEqual({ n: 0 });
    raw.close();

    const v2 = openSqliteStore(file, { now: NOW });
    expect(v2.meta().schemaVersion).toBe(MIGRATIONS.length);
    expect(v2.plan('7')?.positionId).toBe('7');
    v2.saveReplayCheckpoint('k', { next: 3, lines: 2, bytes: 1, checkpointJson: '{}' }, NOW);
    expect(v2.replayCheckpoint('k')?.bytes).toBe(1);
    v2.close();
  });
});
