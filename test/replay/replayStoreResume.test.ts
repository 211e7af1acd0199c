// `warden replay --store` in process: a run stopped at a checkpoint (the checkpoints' clock throws there,
// as a kill would stop it) and started again goes on from the last checkpoint saved and writes the same
// decisions.jsonl and report.json as a run that never stopped. What grows with the run (settled trades,
// the paper broker's deals, realized profits, applied ids) is in the checkpoint's parts, written once; a
// trade whose DTMS hedge outlives it stays in the checkpoint's own row until the hedge is closed.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { DEFAULT_GENERATED, generateEntries } from '../../src/replay/entries.ts';
import { fromPlainJson, toPlainJson } from '../../src/domain/plainJson.ts';
import { loadReplayCheckpoint, ReplayCheckpointWriter } from '../../src/replay/replayCheckpointStore.ts';
import { sampleBars } from '../../src/replay/replayInputs.ts';
import { runReplayJob, type ReplayJob } from '../../src/replay/replayRun.ts';
import { replayRunKey } from '../../src/replay/runKey.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqliteStore.ts';
import { StoreError } from '../../src/store/store.ts';

const root = mkdtempSync(path.join(tmpdir(), 'warden-replay-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(root, `${name}${++n}`);
const NOW = Date.UTC(2025, 2, 14, 9, 30);
// Breakeven at the trade type's % of the way to TP and DTMS at the original bot's thresholds (no
// grace, one layer enough): hedges are frequent. EURUSD with half of the requests failing: at bar
// 9818 a hedge is open after its trade stopped out.
const config = configSchema.parse({
  exits: { breakeven: { atR: null }, rmag: { vwapFactor: 0.9 } },
  dtms: {
    graceMinutes: 0,
    minAdverseLayers: 1,
    scores: { warningL1: -2, healthyFromL1: 0, warningL2: -4, l1FromL2: -2, hedge: -6 },
  },
});
const instrument = instrumentFromConfig(config, 'EURUSD');
const data = sampleBars(instrument, 13, 30_000);
const entries = generateEntries(data.source, 'M1', { ...DEFAULT_GENERATED, every: 70, seed: 4, side: 'random' });

function job(outDir: string): ReplayJob {
  return {
    config,
    instrument,
    bars: data.source,
    timeframe: 'M1',
    data: data.data,
    entries,
    entriesSource: 'generated',
    broker: { accountMode: 'hedging', faults: { rate: 0.5, seed: 3 } },
    startingBalance: 10_000,
    outDir,
    version: 'test',
  };
}

const files = (dir: string) => ({
  decisions: readFileSync(path.join(dir, 'decisions.jsonl')),
  report: readFileSync(path.join(dir, 'report.json')),
});

/** The uninterrupted run's files (no store). */
const reference = await (async () => {
  const dir = fresh('ref');
  await runReplayJob(job(dir));
  return files(dir);
})();

/**
 * Runs the job with checkpoints every `every` bars in `store`; with `stopAt`, the run stops when the
 * stopAt-th checkpoint of this attempt is about to be saved (the previous one is the store's last).
 * Returns the bars the attempt resumed from (at most one) and whether it finished.
 */
async function attempt(
  store: SqliteStore,
  out: string,
  every: number,
  stopAt = Infinity,
): Promise<{ resumedFrom: number[]; finished: boolean }> {
  const j = job(out);
  const resumedFrom: number[] = [];
  let saves = 0;
  j.checkpoints = {
    store,
    runKey: replayRunKey(j),
    every,
    now: () => {
      if (++saves === stopAt) throw new Error('stopped');
      return NOW;
    },
    onResume: (cp) => resumedFrom.push(cp.next),
  };
  try {
    await runReplayJob(j);
    return { resumedFrom, finished: true };
  } catch (err) {
    if (!(err instanceof Error) || err.message !== 'stopped') throw err;
    return { resumedFrom, finished: false };
  }
}

const decisionsBytes = (out: string) => statSync(path.join(out, 'decisions.jsonl')).size;

describe('replay --store: checkpoints with parts', () => {
  it('stopped twice and started again, the same files as the run that never stopped; one stop right after a checkpoint with an orphan hedge', async () => {
    const store = openSqliteStore(fresh('s.db'), { now: NOW });
    const out = fresh('out');
    const key = replayRunKey(job(out));
    const save = vi.spyOn(ReplayCheckpointWriter.prototype, 'save');
    const asSaved = () => fromPlainJson(toPlainJson(save.mock.calls.at(-1)![0]));
    expect(await attempt(store, out, 9818, 2)).toEqual({ resumedFrom: [], finished: false });

    // The store's checkpoint (bar 9818): the closed trade whose hedge is still open is in its row, not in a part.
    const point = loadReplayCheckpoint(store, key, decisionsBytes(out))!;
    const cp = point.checkpoint;
    expect(cp).toEqual(asSaved());
    expect(cp.next).toBe(9818);
    const owners = cp.hedgeOf.map(([, id]) => id).filter((id) => !cp.open.includes(id));
    expect(owners.length, 'an orphan hedge at bar 9818').toBeGreaterThan(0);
    expect(cp.unsettled.find((p) => p.trade.id === owners[0])?.trade.exitReason).not.toBeNull();
    expect(cp.settled.some((p) => p.trade.id === owners[0])).toBe(false);
    expect(cp.settled.length).toBeGreaterThan(30);
    expect(point.written.deals.items.length).toBe(cp.broker.deals.length);
    expect(store.replayCheckpointParts(key).map((p) => p.list)).toEqual(['applied_ids', 'deals', 'realized', 'trades']);

    expect(await attempt(store, out, 9818, 2)).toEqual({ resumedFrom: [9818], finished: false });
    expect(store.replayCheckpoint(key)?.next).toBe(19636);
    // The orphaned trade settled since, with its hedge's close: the store holds it as the replay does.
    expect(loadReplayCheckpoint(store, key, decisionsBytes(out))!.checkpoint).toEqual(asSaved());
    save.mockRestore();
    // One part per list and checkpoint: the second appended to the first.
    expect(
      store
        .replayCheckpointParts(key)
        .filter((p) => p.list === 'trades')
        .map((p) => p.start),
    ).toEqual([0, cp.settled.length]);

    expect(await attempt(store, out, 9818)).toEqual({ resumedFrom: [19636], finished: true });
    expect(files(out).decisions.equals(reference.decisions)).toBe(true);
    expect(files(out).report.equals(reference.report)).toBe(true);
    // Done: the checkpoint and its parts are gone.
    expect(store.replayCheckpoint(key)).toBeNull();
    expect(store.replayCheckpointParts(key)).toEqual([]);
    store.close();
  });

  it('frequent checkpoints: the row stays small, the parts grow by what changed; read back, the checkpoint as saved; resumed, the same files', async () => {
    const store = openSqliteStore(fresh('s.db'), { now: NOW });
    const out = fresh('out');
    const key = replayRunKey(job(out));
    const rowSize: number[] = [];
    const save = vi.spyOn(ReplayCheckpointWriter.prototype, 'save');
    for (const stopAt of [3, 10]) {
      await attempt(store, out, 500, stopAt);
      rowSize.push(store.replayCheckpoint(key)!.checkpointJson.length);
      // The whole state rebuilt: trades, the broker's deals, realized profits (changed since they were first written) and ids.
      const saved = save.mock.calls.at(-1)![0];
      expect(loadReplayCheckpoint(store, key, decisionsBytes(out))!.checkpoint).toEqual(
        fromPlainJson(toPlainJson(saved)),
      );
    }
    save.mockRestore();
    // Bar 1000, then bar 5500 (stopped at the 10th save after resuming from 1000).
    expect(store.replayCheckpoint(key)!.next).toBe(5500);
    expect(rowSize[1]!).toBeLessThan(Math.max(2 * rowSize[0]!, 40_000));
    const parts = store.replayCheckpointParts(key);
    const trades = parts.filter((p) => p.list === 'trades');
    expect(trades.length).toBeGreaterThan(5);
    expect(trades.every((p, k) => k === 0 || p.start > trades[k - 1]!.start)).toBe(true);
    expect(await attempt(store, out, 500)).toEqual({ resumedFrom: [5500], finished: true });
    expect(files(out).decisions.equals(reference.decisions)).toBe(true);
    expect(files(out).report.equals(reference.report)).toBe(true);
    store.close();
  });

  it('a damaged part is refused with its table, run key, list and start; a missing one too', async () => {
    const file = fresh('s.db');
    const out = fresh('out');
    const key = replayRunKey(job(out));
    let store = openSqliteStore(file, { now: NOW });
    await attempt(store, out, 2000, 4);
    store.close();
    const db = new Database(file);
    const deal = db
      .prepare("SELECT items FROM replay_checkpoint_parts WHERE run_key = ? AND list = 'deals' AND start = 0")
      .get(key) as { items: string };
    db.prepare("UPDATE replay_checkpoint_parts SET items = ? WHERE run_key = ? AND list = 'deals' AND start = 0").run(
      deal.items.replace(/"price":[\d.]+/, '"price":"x"'),
      key,
    );
    db.close();

    store = openSqliteStore(file, { now: NOW });
    const err = (() => {
      try {
        loadReplayCheckpoint(store, key, decisionsBytes(out));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('invalid_row');
    expect((err as StoreError).message).toMatch(
      new RegExp(`replay_checkpoint_parts row ${key} deals@0 is not valid: \\d+\\.price: expected a number`),
    );
    store.close();

    const raw = new Database(file);
    raw
      .prepare("UPDATE replay_checkpoint_parts SET items = ? WHERE run_key = ? AND list = 'deals' AND start = 0")
      .run(deal.items, key);
    const second = raw
      .prepare(
        "SELECT start FROM replay_checkpoint_parts WHERE run_key = ? AND list = 'trades' ORDER BY start LIMIT 1 OFFSET 1",
      )
      .get(key) as { start: number };
    raw
      .prepare("DELETE FROM replay_checkpoint_parts WHERE run_key = ? AND list = 'trades' AND start = ?")
      .run(key, second.start);
    raw.close();
    store = openSqliteStore(file, { now: NOW });
    expect(() => loadReplayCheckpoint(store, key, decisionsBytes(out))).toThrow(
      new RegExp(
        `replay_checkpoint_parts row ${key} trades@\\d+ is not valid: it should start at ${second.start}, where the parts before it end`,
      ),
    );
    store.close();
  });

  it('a decisions.jsonl shorter than the checkpoint counts on: the checkpoint and its parts are dropped', async () => {
    const store = openSqliteStore(fresh('s.db'), { now: NOW });
    const out = fresh('out');
    const key = replayRunKey(job(out));
    await attempt(store, out, 3000, 3);
    expect(store.replayCheckpointParts(key).length).toBeGreaterThan(0);
    expect(loadReplayCheckpoint(store, key, 10)).toBeNull();
    expect(store.replayCheckpoint(key)).toBeNull();
    expect(store.replayCheckpointParts(key)).toEqual([]);
    store.close();
  });
});
