// Pages of the decision journal on real SQLite files, where only SQLite can show it: a record damaged
// behind the store's back is reported with its table, and schema 7's index on (rule, seq), on a store
// migrated from schema 6, makes a rule's page and a window of intents one index range each. What the
// pages give (ranges, filters, the last seq) is the store contract: storeContract.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/sqliteMigrations.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { StoreError } from '../../src/store/store.ts';
import { NOW, pageDecision, RULES } from './storeFixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-pages-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `p${++n}.db`);

describe('pages of the decision journal', () => {
  it('a damaged record in the page is reported with its table, as every invalid row is', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW });
    s.transaction(() => {
      for (let i = 0; i < 20; i++) s.appendDecision(pageDecision(i, `${100 + (i % 40)}#1`, RULES[i % RULES.length]!));
    });
    const db = new Database(file);
    db.prepare("UPDATE decisions SET record = '{oops' WHERE seq = 19").run();
    db.prepare("UPDATE decisions SET record = json_set(record, '$.price', 'high') WHERE seq = 20").run();
    db.close();
    const bad = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err;
      }
      return null;
    };
    const notJson = bad(() => s.decisionPage(null, { before: 20, limit: 1 }));
    expect(notJson).toBeInstanceOf(StoreError);
    expect((notJson as StoreError).code).toBe('invalid_row');
    expect((notJson as StoreError).message).toContain('a decisions row is not valid: its record is not valid JSON');
    const wrongType = bad(() => s.decisionPage(null, { limit: 1 }));
    expect((wrongType as StoreError).code).toBe('invalid_row');
    expect((wrongType as StoreError).message).toContain(
      'decisions row seq 20 is not valid: fields.5: expected a number',
    );
    // The rows before them are read as they are.
    expect(s.decisionPage(null, { before: 19, limit: 3 }).map((d) => d.seq)).toEqual([16, 17, 18]);
    s.close();
  });
});

describe('schema 7: decisions by rule', () => {
  it('a schema-6 store gains the (rule, seq) and intent time indexes, its journal unchanged; a rule page and a window of intents are one index range each', () => {
    const file = fresh();
    const six = openSqliteStore(file, { now: NOW, migrations: MIGRATIONS.slice(0, 6) });
    six.transaction(() => {
      for (let i = 0; i < 300; i++) six.appendDecision(pageDecision(i, `${100 + (i % 5)}#1`, RULES[i % RULES.length]!));
    });
    const before = six.recentDecisions(300);
    six.close();
    const s = openSqliteStore(file, { now: NOW, migrations: MIGRATIONS.slice(0, 7) });
    expect(s.meta().schemaVersion).toBe(7);
    expect(s.recentDecisions(300)).toEqual(before);
    expect(s.decisionPage({ rule: 'dtms' }, { limit: 1000 }).map((d) => d.rule)).toEqual(
      before.filter((r) => r.rule === 'dtms').map(() => 'dtms'),
    );
    s.close();
    const db = new Database(file, { readonly: true });
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(
      plan("SELECT seq FROM decisions WHERE rule = 'dtms' AND seq > 0 AND seq < 1000 ORDER BY seq DESC LIMIT 10"),
    ).toMatch(/USING (COVERING )?INDEX decisions_by_rule \(rule=\? AND seq>\? AND seq<\?\)/);
    expect(
      plan("SELECT seq FROM decisions WHERE position_id = '1#1' AND seq > 0 AND seq < 1000 ORDER BY seq DESC LIMIT 10"),
    ).toMatch(/USING (COVERING )?INDEX decisions_by_position \(position_id=\? AND seq>\? AND seq<\?\)/);
    expect(plan('SELECT status, count(*) FROM intents WHERE recorded_at >= 5 GROUP BY 1')).toMatch(
      /USING INDEX intents_by_time \(recorded_at>\?\)/,
    );
    db.close();
  });
});
