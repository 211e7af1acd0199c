// What the SQLite store keeps per position beside the position itself: its exit plan, its DTMS state,
// and the legacy rule imported for it (waiting for its position to be seen). One row each, by
// position id, replaced whole on each save.
import type Database from 'better-sqlite3';
import type { ExitPlan } from '../exits/exitPlan.ts';
import { decodeRecord, encodeRecord, exitPlanSchema, storedDefenceSchema } from './records.ts';
import type { StoredDefence, StoredLegacyRule } from './store.ts';
import { decodeLegacyRow, LEGACY_COLUMNS, type LegacyRow } from './storeRows.ts';

function preparePlanStatements(db: Database.Database) {
  return {
    planPut: db.prepare(
      'INSERT INTO plans (position_id, symbol, plan) VALUES (?, ?, ?) ON CONFLICT (position_id) DO UPDATE SET symbol = excluded.symbol, plan = excluded.plan',
    ),
    planGet: db.prepare('SELECT plan FROM plans WHERE position_id = ?'),
    planAll: db.prepare('SELECT position_id, plan FROM plans ORDER BY position_id'),
    planDelete: db.prepare('DELETE FROM plans WHERE position_id = ?'),
    defencePut: db.prepare(
      'INSERT INTO dtms_state (position_id, state) VALUES (?, ?) ON CONFLICT (position_id) DO UPDATE SET state = excluded.state',
    ),
    defenceGet: db.prepare('SELECT state FROM dtms_state WHERE position_id = ?'),
    defenceAll: db.prepare('SELECT position_id, state FROM dtms_state ORDER BY position_id'),
    defenceDelete: db.prepare('DELETE FROM dtms_state WHERE position_id = ?'),
    legacyPut: db.prepare(
      `INSERT INTO legacy_rules (position_id, symbol, source, imported_at, notes, rule) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (position_id) DO UPDATE SET symbol = excluded.symbol, source = excluded.source, imported_at = excluded.imported_at, notes = excluded.notes, rule = excluded.rule`,
    ),
    legacyGet: db.prepare(`SELECT ${LEGACY_COLUMNS} FROM legacy_rules WHERE position_id = ?`),
    legacyAll: db.prepare(`SELECT ${LEGACY_COLUMNS} FROM legacy_rules ORDER BY position_id`),
    legacyDelete: db.prepare('DELETE FROM legacy_rules WHERE position_id = ?'),
  };
}

/** The plans, dtms_state and legacy_rules tables (schema 1: prepared at open). */
export class SqlitePlanRows {
  private readonly st: ReturnType<typeof preparePlanStatements>;

  constructor(
    db: Database.Database,
    private readonly location: string,
  ) {
    this.st = preparePlanStatements(db);
  }

  savePlan(plan: ExitPlan): void {
    this.st.planPut.run(plan.positionId, plan.symbol, encodeRecord(plan));
  }

  plan(positionId: string): ExitPlan | null {
    const row = this.st.planGet.get(positionId) as { plan: string } | undefined;
    return row === undefined ? null : decodeRecord(exitPlanSchema, row.plan, this.location, 'plans', positionId);
  }

  plans(): ExitPlan[] {
    const rows = this.st.planAll.all() as { position_id: string; plan: string }[];
    return rows.map((r) => decodeRecord(exitPlanSchema, r.plan, this.location, 'plans', r.position_id));
  }

  deletePlan(positionId: string): boolean {
    return this.st.planDelete.run(positionId).changes > 0;
  }

  saveDefence(positionId: string, defence: StoredDefence): void {
    this.st.defencePut.run(positionId, encodeRecord(defence));
  }

  defence(positionId: string): StoredDefence | null {
    const row = this.st.defenceGet.get(positionId) as { state: string } | undefined;
    return row === undefined
      ? null
      : decodeRecord(storedDefenceSchema, row.state, this.location, 'dtms_state', positionId);
  }

  defences(): Map<string, StoredDefence> {
    const rows = this.st.defenceAll.all() as { position_id: string; state: string }[];
    return new Map(
      rows.map((r) => [
        r.position_id,
        decodeRecord(storedDefenceSchema, r.state, this.location, 'dtms_state', r.position_id),
      ]),
    );
  }

  deleteDefence(positionId: string): boolean {
    return this.st.defenceDelete.run(positionId).changes > 0;
  }

  saveLegacyRule(rule: StoredLegacyRule): void {
    this.st.legacyPut.run(
      rule.positionId,
      rule.rule.symbol,
      rule.source,
      rule.importedAt,
      JSON.stringify(rule.notes),
      encodeRecord(rule.rule),
    );
  }

  legacyRule(positionId: string): StoredLegacyRule | null {
    const row = this.st.legacyGet.get(positionId) as LegacyRow | undefined;
    return row === undefined ? null : decodeLegacyRow(row, this.location);
  }

  legacyRules(): StoredLegacyRule[] {
    return (this.st.legacyAll.all() as LegacyRow[]).map((r) => decodeLegacyRow(r, this.location));
  }

  deleteLegacyRule(positionId: string): boolean {
    return this.st.legacyDelete.run(positionId).changes > 0;
  }
}
