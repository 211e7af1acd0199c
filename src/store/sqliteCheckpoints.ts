// Where an interrupted `warden replay --store` goes on from, in SQLite: one checkpoint per replay run
// (run_key: a hash of everything that determines its output), its long lists in parts beside it; a
// checkpoint and its parts are saved, and deleted, in one transaction.
import type Database from 'better-sqlite3';
import type { ReplayCheckpointPart, ReplayCheckpointRecord, StoredReplayCheckpoint } from './store.ts';
import { checkReplayCheckpoint, decodeCheckpointPart, decodeCheckpointRow, type CheckpointRow } from './storeRows.ts';

/** Statements of the replay_checkpoints table (schema 2), prepared on first use: a store opened with an older schema list (tests of migrations) has no such table. */
function prepareCheckpointStatements(db: Database.Database) {
  return {
    put: db.prepare(
      `INSERT INTO replay_checkpoints (run_key, next, lines, bytes, saved_at, checkpoint) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_key) DO UPDATE SET next = excluded.next, lines = excluded.lines, bytes = excluded.bytes, saved_at = excluded.saved_at, checkpoint = excluded.checkpoint`,
    ),
    get: db.prepare('SELECT next, lines, bytes, saved_at, checkpoint FROM replay_checkpoints WHERE run_key = ?'),
    has: db.prepare('SELECT 1 FROM replay_checkpoints WHERE run_key = ?'),
    del: db.prepare('DELETE FROM replay_checkpoints WHERE run_key = ?'),
  };
}

/** Statements of the replay_checkpoint_parts table (schema 4), prepared on first use like the above. */
function prepareCheckpointPartStatements(db: Database.Database) {
  return {
    put: db.prepare(
      'INSERT INTO replay_checkpoint_parts (run_key, list, start, items) VALUES (?, ?, ?, ?) ON CONFLICT (run_key, list, start) DO UPDATE SET items = excluded.items',
    ),
    all: db.prepare('SELECT list, start, items FROM replay_checkpoint_parts WHERE run_key = ? ORDER BY list, start'),
    clear: db.prepare('DELETE FROM replay_checkpoint_parts WHERE run_key = ?'),
  };
}

export class SqliteCheckpoints {
  private checkpointStatements: ReturnType<typeof prepareCheckpointStatements> | null = null;
  private partStatements: ReturnType<typeof prepareCheckpointPartStatements> | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly location: string,
  ) {}

  private get checkpoints(): ReturnType<typeof prepareCheckpointStatements> {
    return (this.checkpointStatements ??= prepareCheckpointStatements(this.db));
  }

  private get parts(): ReturnType<typeof prepareCheckpointPartStatements> {
    return (this.partStatements ??= prepareCheckpointPartStatements(this.db));
  }

  saveReplayCheckpoint(runKey: string, c: ReplayCheckpointRecord, at: number): void {
    checkReplayCheckpoint(runKey, c, this.location);
    const parts = c.parts ?? [];
    const partSt = this.parts;
    this.db.transaction(() => {
      // A run's first checkpoint: parts of an earlier run under the same key (left by hand) are not its own.
      if (this.checkpoints.has.get(runKey) === undefined) partSt.clear.run(runKey);
      this.checkpoints.put.run(runKey, c.next, c.lines, c.bytes, at, c.checkpointJson);
      for (const part of parts) partSt.put.run(runKey, part.list, part.start, part.itemsJson);
    })();
  }

  replayCheckpoint(runKey: string): StoredReplayCheckpoint | null {
    const row = this.checkpoints.get.get(runKey) as CheckpointRow | undefined;
    return row === undefined ? null : decodeCheckpointRow(runKey, row, this.location);
  }

  replayCheckpointParts(runKey: string): ReplayCheckpointPart[] {
    const rows = this.parts.all.all(runKey) as { list: unknown; start: unknown; items: unknown }[];
    return rows.map((r) => decodeCheckpointPart(runKey, r, this.location));
  }

  deleteReplayCheckpoint(runKey: string): boolean {
    return this.db.transaction(() => {
      this.parts.clear.run(runKey);
      return this.checkpoints.del.run(runKey).changes > 0;
    })();
  }
}
