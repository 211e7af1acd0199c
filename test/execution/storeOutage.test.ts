// A store that cannot be written (a full disk, a lock another program holds) never stops the session
// for good and never lets half a step out: the step waits for the store, trying again with backoff,
// health says degraded with the reason meanwhile, nothing decided is sent before it is kept, and the
// session goes on by itself when the store answers. Decisions kept only after a long outage are not
// sent (their prices are gone): recorded, and decided afresh. Closing ends the wait.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Bar } from '../../src/domain/types.ts';
import { AccountSession, StoreUnavailableError } from '../../src/execution/accountSession.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { BAR_MS, liveConfig, profitableEntry, sampleBars, SYMBOL } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-outage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** The store, with a switch that makes every transaction fail as SQLite does on a full disk. */
function fillable(store: WardenStore): { store: WardenStore; full: { on: boolean; refused: number } } {
  const full = { on: false, refused: 0 };
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'transaction') {
        return <T>(fn: () => T): T => {
          if (full.on) {
            full.refused++;
            throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
          }
          return target.transaction(fn);
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: wrapped, full };
}

/** A session over the sample bars with a trader's position far toward its target (intents due at once). */
async function rig() {
  // Breakeven at the trade type's % of the way to TP: the position below is far toward its target (its
  // stop, under the window's low, is too far for 1R to be reached).
  const config = liveConfig({ exits: { breakeven: { atR: null } } });
  const instrument = instrumentFromConfig(config, SYMBOL, true);
  const bars: Bar[] = sampleBars(5, 1300);
  const account = new PaperAccount([instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
  for (let i = 0; i < 1200; i++) account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
  const e = profitableEntry(bars, 1180, 1200, 1260);
  const opened = account
    .broker(SYMBOL)
    .open({ requestId: 'hand', side: e.side, volume: 1, sl: e.sl, tp: e.tp, comment: '', exempt: true });
  if (opened.outcome !== 'applied') throw new Error('the paper account refused the test position');
  const file = join(dir, `o${++n}.db`);
  const real = openSqliteStore(file, { now: bars[1199]!.time + BAR_MS });
  const { store, full } = fillable(real);
  const clock = { now: bars[1199]!.time + BAR_MS };
  const session = new AccountSession({
    config,
    baseTimeframe: 'M1',
    instruments: [instrument],
    broker: account,
    store,
    clock: () => clock.now,
    sleep: async () => {},
    // Tries again at once (yielding to the event loop, so the test can free the store meanwhile).
    storeSleep: () => new Promise((resolve) => setImmediate(resolve)),
  });
  await session.start(new Map([[SYMBOL, bars.slice(0, 1200)]]));
  const audit = () => account.broker(SYMBOL).audit.requests;
  const feed = (i: number): Promise<unknown> => {
    clock.now = bars[i]!.time + BAR_MS;
    account.onBar(SYMBOL, bars[i]!, clock.now);
    return session.onBar(SYMBOL, bars[i]!);
  };
  return { session, store: real, full, clock, audit, feed, file, ticket: opened.positionId };
}

describe('a full disk', () => {
  it('holds the step (nothing sent, health degraded with the reason, API changes refused) and the session goes on by itself once space is freed', async () => {
    const r = await rig();
    const sentBefore = r.audit();
    r.full.on = true;
    let done = false;
    const step = r.feed(1200).then(() => (done = true));
    expect(await waitUntil(() => r.full.refused >= 5)).toBe(true);
    expect(done).toBe(false);
    // Nothing left the session: its decisions are not kept yet.
    expect(r.audit()).toBe(sentBefore);
    const h = r.session.health();
    expect(h.status).toBe('degraded');
    expect(h.reasons.join('\n')).toMatch(
      /the store cannot be written since .* \(the disk is full: database or disk is full; \d+ tries\): nothing is decided or sent until it can/,
    );
    await expect(r.session.act(() => 1)).rejects.toThrow(StoreUnavailableError);
    // Space is freed: the same step goes on, its intents are kept and then sent.
    r.full.on = false;
    await step;
    expect(done).toBe(true);
    expect(r.audit()).toBeGreaterThan(sentBefore);
    const intents = r.store.intentsSince(0);
    expect(intents.length).toBeGreaterThan(0);
    expect(intents.every((i) => i.status === 'applied')).toBe(true);
    expect(r.session.health().reasons.join('\n')).not.toMatch(/store cannot be written/);
    // And the next bars step as usual.
    await r.feed(1201);
    await r.feed(1202);
    await r.session.close();
    r.store.close();
  });

  it('decisions kept only after a long outage are not sent: recorded with the reason, decided afresh on fresh prices', async () => {
    const r = await rig();
    const sentBefore = r.audit();
    r.full.on = true;
    const step = r.feed(1200);
    expect(await waitUntil(() => r.full.refused >= 3)).toBe(true);
    // Ten minutes pass before the disk has room again.
    r.clock.now += 10 * 60_000;
    r.full.on = false;
    await step;
    expect(r.audit()).toBe(sentBefore);
    const journal = r.store.intentsSince(0);
    expect(journal.length).toBeGreaterThan(0);
    for (const i of journal) {
      expect(i.status).toBe('rejected');
      expect(i.reason).toMatch(
        /decided 600 s ago, before the store could keep it \(a store outage\): not sent; decided afresh on fresh prices/,
      );
    }
    expect(r.store.recentDecisions(100).filter((d) => d.reason === 'stale_decision')).toHaveLength(journal.length);
    // The next bar decides afresh on its prices (nothing is left in flight), and what is due is sent.
    await r.feed(1201);
    expect(r.session.engine.plan(r.session.managedKey(r.ticket)!)!.pending).toBeNull();
    for (let i = 1202; i < 1260 && r.audit() === sentBefore; i++) await r.feed(i);
    expect(r.audit()).toBeGreaterThan(sentBefore);
    const fresh = r.store.intentsSince(0).filter((i) => !journal.some((j) => j.intent.id === i.intent.id));
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.every((i) => i.status === 'applied')).toBe(true);
    await r.session.close();
    r.store.close();
  });

  it('closing while the store cannot be written ends the wait: the step gives up, nothing of it sent', async () => {
    const r = await rig();
    const sentBefore = r.audit();
    r.full.on = true;
    const step = r.feed(1200);
    expect(await waitUntil(() => r.full.refused >= 2)).toBe(true);
    await r.session.close();
    await expect(step).rejects.toThrow(StoreUnavailableError);
    expect(r.audit()).toBe(sentBefore);
    expect(r.store.intentsSince(0)).toEqual([]);
    r.store.close();
  });
});

describe('a lock another program holds on the store', () => {
  it('"database is locked": the step waits without holding the process, and goes on when the lock is released', async () => {
    const r = await rig();
    const other = new Database(r.file);
    other.prepare('BEGIN IMMEDIATE').run();
    let done = false;
    const step = r.feed(1200).then(() => (done = true));
    expect(await waitUntil(() => /database is locked/.test(r.session.health().reasons.join('\n')))).toBe(true);
    expect(done).toBe(false);
    other.prepare('ROLLBACK').run();
    other.close();
    await step;
    expect(done).toBe(true);
    expect(r.store.intentsSince(0).every((i) => i.status === 'applied')).toBe(true);
    expect(r.session.health().reasons.join('\n')).not.toMatch(/store cannot be written/);
    await r.session.close();
    r.store.close();
  });
});
