// Pages of the decision journal (what the API's history endpoints read) on real SQLite files: the
// newest records of the account, of a ticket's lifetimes or of one rule, between two seqs, oldest
// first, each a page at most; the journal's last seq; a position's intents of one rule, kind or status;
// schema 7's index on (rule, seq), on a store migrated from schema 6.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExitRule, Intent } from '../../src/domain/types.ts';
import { newDecisionRecord, type DecisionRecord } from '../../src/exits/decisionRecord.ts';
import { MIGRATIONS } from '../../src/store/sqliteMigrations.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { StoreError, type JournalDecision } from '../../src/store/store.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-pages-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `p${++n}.db`);
const NOW = Date.UTC(2026, 2, 11, 10, 0);

function decision(i: number, positionId: string, rule: ExitRule): DecisionRecord {
  return {
    ...newDecisionRecord(),
    time: NOW + i * 1000,
    positionId,
    symbol: 'XAUUSDc',
    rule,
    outcome: 'wait',
    reason: 'trigger_not_reached',
    changed: true,
    price: 2400 + i / 100,
    note: `n${i}`,
  };
}

/** The listed fields of a whole record, as a page gives them. */
function listed(seq: number, r: DecisionRecord): JournalDecision {
  const {
    time,
    positionId,
    symbol,
    rule,
    outcome,
    reason,
    intentId,
    oldSl,
    newSl,
    volume,
    price,
    dtmsState,
    score,
    note,
  } = r;
  return {
    seq,
    time,
    positionId,
    symbol,
    rule,
    outcome,
    reason,
    intentId,
    oldSl,
    newSl,
    volume,
    price,
    dtmsState,
    score,
    note,
  };
}

const RULES: ExitRule[] = ['trail', 'breakeven', 'dtms', 'partial', 'trail', 'classify', 'trail'];

/** A journal of `count` records over 40 positions (lifetimes of tickets 100..139), DTMS one in seven. */
function journal(count: number) {
  const file = fresh();
  const s = openSqliteStore(file, { now: NOW });
  const all: JournalDecision[] = [];
  s.transaction(() => {
    for (let i = 0; i < count; i++) {
      const r = decision(i, `${100 + (i % 40)}#${1 + Math.floor(i / 4000)}`, RULES[i % RULES.length]!);
      s.appendDecision(r);
      all.push(listed(i + 1, r));
    }
  });
  return { s, file, all };
}

describe('pages of the decision journal', () => {
  it('the latest page, then older ones by `before`: disjoint, oldest first, together the whole journal', () => {
    const { s, all } = journal(2000);
    expect(s.lastDecisionSeq()).toBe(2000);
    const latest = s.decisionPage(null, { limit: 300 });
    expect(latest).toEqual(all.slice(-300));
    const seen: JournalDecision[] = [];
    let before: number | undefined;
    for (;;) {
      const page = s.decisionPage(null, before === undefined ? { limit: 300 } : { before, limit: 300 });
      expect(page.length).toBeLessThanOrEqual(300);
      if (page.length === 0) break;
      seen.unshift(...page);
      before = page[0]!.seq;
    }
    expect(seen).toEqual(all);
    // NaN ("not known") comes back as NaN, as in the whole record.
    expect(Number.isNaN(latest[0]!.newSl)).toBe(true);
    s.close();
  });

  it('`after` reads only what was appended since a seq (the newest `limit` of it)', () => {
    const { s, all } = journal(500);
    expect(s.decisionPage(null, { after: 490, limit: 100 })).toEqual(all.slice(490));
    expect(s.decisionPage(null, { after: 100, limit: 5 })).toEqual(all.slice(-5));
    expect(s.decisionPage(null, { after: 200, before: 210, limit: 100 })).toEqual(all.slice(200, 209));
    expect(s.decisionPage(null, { after: 500, limit: 10 })).toEqual([]);
    s.close();
  });

  it("one rule's records: only that rule, the newest first cut, however far back they are", () => {
    const { s, all } = journal(7000);
    const dtms = all.filter((d) => d.rule === 'dtms');
    expect(s.decisionPage({ rule: 'dtms' }, { limit: 50 })).toEqual(dtms.slice(-50));
    expect(s.decisionPage({ rule: 'dtms' }, { before: dtms[10]!.seq, limit: 50 })).toEqual(dtms.slice(0, 10));
    // Appended long after the last DTMS record, thousands of others do not hide it.
    s.transaction(() => {
      for (let i = 0; i < 5000; i++) s.appendDecision(decision(7000 + i, '999#1', 'trail'));
    });
    expect(s.decisionPage({ rule: 'dtms' }, { limit: 3 })).toEqual(dtms.slice(-3));
    expect(s.decisionPage({ rule: 'lifetime' }, { limit: 3 })).toEqual([]);
    s.close();
  });

  it("a ticket's lifetimes together: the newest of all of them, oldest first; each position read as one range", () => {
    const { s, all } = journal(12_000);
    const keys = ['105#1', '105#2', '105#3', '105'];
    const of105 = all.filter((d) => keys.includes(d.positionId));
    expect(new Set(of105.map((d) => d.positionId))).toEqual(new Set(['105#1', '105#2', '105#3']));
    expect(s.decisionPage({ positionIds: keys }, { limit: 120 })).toEqual(of105.slice(-120));
    const cut = of105[150]!.seq;
    expect(s.decisionPage({ positionIds: keys }, { before: cut, limit: 120 })).toEqual(of105.slice(30, 150));
    expect(s.decisionPage({ positionIds: ['105#2', '105#2'] }, { limit: 2 })).toEqual(
      of105.filter((d) => d.positionId === '105#2').slice(-2),
    );
    expect(s.decisionPage({ positionIds: [] }, { limit: 10 })).toEqual([]);
    expect(s.decisionPage({ positionIds: ['nobody'] }, { limit: 10 })).toEqual([]);
    s.close();
  });

  it('an empty journal: last seq 0, empty pages', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    expect(s.lastDecisionSeq()).toBe(0);
    expect(s.decisionPage(null, { limit: 10 })).toEqual([]);
    expect(s.decisionPage({ rule: 'dtms' }, { limit: 10 })).toEqual([]);
    s.close();
  });

  it('a damaged record in the page is reported with its table, as every invalid row is', () => {
    const { s, file } = journal(20);
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

describe("a position's intents of one rule, kind or status", () => {
  it('filters in the store, in journal order', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    const base: Intent = {
      id: '',
      positionId: '7#1',
      symbol: 'XAUUSDc',
      kind: 'move_stop',
      rule: 'trail',
      episode: 1,
      newSl: 2400,
      oldSl: null,
      volume: 0,
      time: NOW,
      price: 2405,
      reason: 'trail',
      targetId: '7',
      side: 'buy',
      comment: '',
      action: '',
    };
    const intents: Intent[] = [
      { ...base, id: 'a', rule: 'breakeven' },
      { ...base, id: 'b' },
      { ...base, id: 'c', rule: 'dtms', kind: 'close_partial', volume: 0.1, action: 'CLOSE_HALF' },
      { ...base, id: 'd' },
      { ...base, id: 'e', positionId: '8#1' },
    ];
    for (const it of intents) s.recordIntent(it);
    s.markIntent('a', 'applied', null, '', NOW + 1);
    s.markIntent('b', 'rejected', '10016', 'invalid stops', NOW + 1);
    s.markIntent('d', 'applied', null, '', NOW + 2);
    const ids = (xs: { intent: Intent }[]) => xs.map((x) => x.intent.id);
    expect(ids(s.intentsFor('7#1'))).toEqual(['a', 'b', 'c', 'd']);
    expect(ids(s.intentsFor('7#1', { rule: 'dtms' }))).toEqual(['c']);
    expect(ids(s.intentsFor('7#1', { kind: 'move_stop', status: 'applied' }))).toEqual(['a', 'd']);
    expect(ids(s.intentsFor('7#1', { rule: 'trail', status: 'rejected' }))).toEqual(['b']);
    expect(ids(s.intentsFor('8#1', { rule: 'dtms' }))).toEqual([]);
    s.close();
  });
});

describe('intent counts of a window', () => {
  it('by status, rule and action, of one symbol or all, as decoding the window and counting would', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    const base: Intent = {
      id: '',
      positionId: '7#1',
      symbol: 'XAUUSDc',
      kind: 'move_stop',
      rule: 'trail',
      episode: 1,
      newSl: 2400,
      oldSl: null,
      volume: 0,
      time: NOW,
      price: 2405,
      reason: 'trail',
      targetId: '7',
      side: 'buy',
      comment: '',
      action: '',
    };
    const rules: Intent['rule'][] = ['trail', 'breakeven', 'dtms', 'partial'];
    for (let i = 0; i < 200; i++) {
      const rule = rules[i % 4]!;
      const intent: Intent = {
        ...base,
        id: `i${i}`,
        rule,
        symbol: i % 3 === 0 ? 'EURUSD' : 'XAUUSDc',
        action: rule === 'dtms' ? (['tighten_stop', 'partial_close'] as const)[i % 2]! : '',
      };
      s.recordIntent(intent, NOW + i * 60_000);
      if (i % 5 === 0) s.markIntent(intent.id, 'rejected', '10016', 'invalid stops', NOW + i * 60_000 + 1);
      else if (i % 5 !== 4) s.markIntent(intent.id, 'applied', null, '', NOW + i * 60_000 + 1);
    }
    const reference = (at: number, symbol?: string) => {
      const counts = new Map<string, number>();
      for (const i of s.intentsSince(at)) {
        if (symbol !== undefined && i.intent.symbol !== symbol) continue;
        const k = `${i.status}|${i.intent.rule}|${i.intent.action}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return [...counts].map(([k, count]) => ({ k, count })).sort((a, b) => (a.k < b.k ? -1 : 1));
    };
    const counted = (at: number, symbol?: string) =>
      s
        .intentCounts(at, symbol)
        .map((c) => ({ k: `${c.status}|${c.rule}|${c.action}`, count: c.count }))
        .sort((a, b) => (a.k < b.k ? -1 : 1));
    for (const at of [0, NOW + 50 * 60_000, NOW + 199 * 60_000, NOW + 500 * 60_000]) {
      expect(counted(at)).toEqual(reference(at));
      expect(counted(at, 'EURUSD')).toEqual(reference(at, 'EURUSD'));
    }
    expect(counted(0).reduce((n, c) => n + c.count, 0)).toBe(200);
    expect(counted(NOW + 500 * 60_000)).toEqual([]);
    s.close();
  });
});

describe('schema 7: decisions by rule', () => {
  it('a schema-6 store gains the (rule, seq) and intent time indexes, its journal unchanged; a rule page and a window of intents are one index range each', () => {
    const file = fresh();
    const six = openSqliteStore(file, { now: NOW, migrations: MIGRATIONS.slice(0, 6) });
    six.transaction(() => {
      for (let i = 0; i < 300; i++) six.appendDecision(decision(i, `${100 + (i % 5)}#1`, RULES[i % RULES.length]!));
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
