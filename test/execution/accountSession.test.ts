// The live account session end to end: the sample market through a paper account, a real SQLite
// store file, the executor, and crashes at chosen requests (the process dies before the request
// leaves, or after the broker applied it and before the answer came back), each followed by a restart
// from the store. Whatever the crashes and the broker's faults, no request id reaches the broker twice,
// every request the broker applied is journaled applied, nothing stays unsettled, and the store
// holds exactly the engine's state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { AccountSession, StoreInUseError } from '../../src/execution/accountSession.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import {
  BAR_MS,
  liveConfig,
  runLive,
  sampleBars,
  SYMBOL,
  type CrashMode,
  type LiveRunResult,
} from '../support/liveHarness.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-live-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const storeFile = (): string => join(root, `s${++n}.db`);

/** The money-safety and journal invariants of a finished run. */
function checkRun(r: LiveRunResult): void {
  const broker = r.account.broker(SYMBOL);
  const audit = broker.audit;
  // Never one decision twice: no request carried an id the broker had already applied. An id is sent
  // again only after a retryable refusal, at most maxSends (3) times.
  expect(audit.duplicateIds).toBe(0);
  const sends = new Map<string, number>();
  for (const id of r.sent) sends.set(id, (sends.get(id) ?? 0) + 1);
  for (const [id, k] of sends) expect(k, id).toBeLessThanOrEqual(3);
  if (audit.faults.requote === 0) expect(sends.size).toBe(r.sent.length);
  expect(audit.loosened).toBe(0);
  expect(audit.overClose).toBe(0);
  // Nothing unsettled, and the journal agrees with the broker on what took effect.
  expect(r.store.unresolvedIntents()).toEqual([]);
  const appliedAtBroker = new Set(broker.snapshot().appliedIds.filter((id) => !id.startsWith('hand:')));
  for (const id of appliedAtBroker) expect(r.store.intent(id)?.status, id).toBe('applied');
  for (const id of r.sent) {
    const j = r.store.intent(id);
    expect(j, id).not.toBeNull();
    if (j!.status === 'applied')
      expect(appliedAtBroker.has(id), `${id} journaled applied but not applied at the broker`).toBe(true);
  }
  // The store holds the engine's state: the same positions and plans.
  const snap = r.session.engine.snapshot();
  expect(
    r.store
      .positions()
      .map((p) => p.position.id)
      .sort(),
  ).toEqual(snap.positions.map((p) => p.position.id).sort());
  for (const p of snap.positions) expect(r.store.plan(p.position.id)).toEqual(p.plan);
}

describe('AccountSession: a live paper account with a store', () => {
  it('manages hand-opened positions: intents journaled and applied, plans stored, healthy', async () => {
    const r = await runLive({ seed: 3, bars: 4000, every: 90, warmup: 600, storeFile: storeFile() });
    expect(r.opened).toBeGreaterThan(30);
    expect(r.sent.length).toBeGreaterThan(40);
    checkRun(r);
    const rules = new Set(r.sent.map((id) => r.store.intent(id)!.intent.rule));
    expect(rules.has('breakeven')).toBe(true);
    expect(rules.has('dtms')).toBe(true);
    expect(r.store.decisionCount()).toBeGreaterThan(r.sent.length);
    const h = r.session.health();
    expect(h.status === 'healthy' || h.status === 'idle').toBe(true);
    expect(r.store.health()?.status).toBe(h.status);
    r.store.close();
  });

  it('retries retryable refusals with backoff and reconciles timeouts (20% faults): nothing applied twice, nothing unsettled', async () => {
    const r = await runLive({
      seed: 5,
      bars: 4000,
      every: 90,
      warmup: 600,
      storeFile: storeFile(),
      faults: { rate: 0.2, seed: 11 },
    });
    checkRun(r);
    const audit = r.account.broker(SYMBOL).audit;
    expect(audit.faults.requote).toBeGreaterThan(3);
    expect(audit.faults.timeout).toBeGreaterThan(3);
    // Requotes are retried after 500 ms, then 1 s: waits come from the policy only.
    expect(r.waits.length).toBeGreaterThan(0);
    for (const w of r.waits) expect([500, 1000]).toContain(w);
    const reconciled = r.sent.map((id) => r.store.intent(id)!).filter((j) => j.reason.startsWith('reconciled'));
    expect(reconciled.length).toBeGreaterThan(0);
    r.store.close();
  });

  it('survives 20 crashes at random requests, before the send and after the broker applied it, with and without faults (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: 120 }), { minLength: 20, maxLength: 20 }),
        fc.array(fc.constantFrom<CrashMode>('before_send', 'after_apply'), { minLength: 20, maxLength: 20 }),
        fc.boolean(),
        async (at, modes, faulty) => {
          const crashes = at.map((a, i) => ({ at: a, mode: modes[i]! }));
          const r = await runLive({
            seed: 9,
            bars: 4000,
            every: 45,
            warmup: 500,
            storeFile: storeFile(),
            crashes,
            ...(faulty ? { faults: { rate: 0.2, seed: 4 } } : {}),
          });
          try {
            expect(r.sends).toBeGreaterThan(120);
            expect(r.restarts).toBe(20);
            checkRun(r);
          } finally {
            r.store.close();
          }
        },
      ),
      { numRuns: 4, seed: 20261124 },
    );
  }, 120_000);

  it('a restart restores every position with its plan, DTMS state and hedges exactly as the stopped session left them', async () => {
    const file = storeFile();
    const config = liveConfig();
    const a = await runLive({ seed: 7, bars: 2500, every: 80, warmup: 500, storeFile: file, config });
    const snapBefore = a.session.engine.snapshot();
    a.store.close();
    // A second process on the same store and broker, after the same bars.
    const store = openSqliteStore(file, { now: Date.now() });
    const bars = sampleBars(7, 2500);
    const last = bars[bars.length - 1]!.time + BAR_MS;
    const session = new AccountSession({
      config,
      baseTimeframe: 'M1',
      instruments: [a.instrument],
      broker: a.account,
      store,
      clock: () => last,
    });
    const report = await session.start(new Map([[SYMBOL, bars]]));
    expect(report.restored).toBe(snapBefore.positions.length);
    expect(report.adopted).toEqual([]);
    expect(report.closedWhileAway).toEqual([]);
    const snapAfter = session.engine.snapshot();
    expect(snapAfter.positions.map((p) => [p.position.id, p.plan, p.defence])).toEqual(
      snapBefore.positions.map((p) => [p.position.id, p.plan, p.defence]),
    );
    expect(snapAfter.hedges).toEqual(snapBefore.hedges);
    store.close();
  });

  it('one live session per store: another live process is refused, a dead one is taken over, close releases', async () => {
    const file = storeFile();
    const config = liveConfig();
    const instrument = instrumentFromConfig(config, SYMBOL, true);
    const account = new PaperAccount([instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
    const alive = new Set([111, 222]);
    const session = (pid: number, host = 'desk') => {
      const store = openSqliteStore(file, { now: 0 });
      return {
        store,
        s: new AccountSession({
          config,
          baseTimeframe: 'M1',
          instruments: [instrument],
          broker: account,
          store,
          clock: () => 1_000_000,
          owner: { pid, host, alive: (p) => alive.has(p) },
        }),
      };
    };
    const a = session(111);
    await a.s.start();
    expect(a.store.sessionOwner()).toEqual({ pid: 111, host: 'desk', startedAt: 1_000_000 });
    const b = session(222);
    await expect(b.s.start()).rejects.toThrow(
      new StoreInUseError(
        `${file} is in use by another Warden session (process 111, started 1970-01-01T00:16:40.000Z); stop it first, or use another store`,
      ),
    );
    const c = session(333, 'other-box');
    await expect(c.s.start()).rejects.toThrow(
      /is in use by a Warden session on desk \(process 111, started .*, last report 0 s ago\)/,
    );
    // Process 111 dies without closing: the next one takes over.
    alive.delete(111);
    await b.s.start();
    expect(b.store.sessionOwner()?.pid).toBe(222);
    await b.s.close();
    expect(b.store.sessionOwner()).toBeNull();
    for (const x of [a, b, c]) x.store.close();
  });

  it('an intent id already in the journal (an earlier run decided it) is neither journaled nor sent again, and the engine moves on', async () => {
    const first = await runLive({ seed: 3, bars: 1500, every: 90, warmup: 600, storeFile: storeFile() });
    const id = first.sent[0]!;
    const original = first.store.intent(id)!.intent;
    first.store.close();
    const file = storeFile();
    const pre = openSqliteStore(file, { now: 0 });
    pre.recordIntent(original, original.time);
    pre.markIntent(id, 'rejected', '10006', 'refused in an earlier run', original.time);
    pre.close();
    const again = await runLive({ seed: 3, bars: 1500, every: 90, warmup: 600, storeFile: file });
    expect(again.sent).not.toContain(id);
    expect(again.store.intent(id)).toMatchObject({ status: 'rejected', reason: 'refused in an earlier run' });
    expect(again.sent.length).toBeGreaterThan(0);
    expect(again.store.unresolvedIntents()).toEqual([]);
    again.store.close();
  });
});
