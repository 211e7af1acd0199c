// The executor against a scripted broker and a real SQLite store: journal before send, retries only
// for retryable refusals (with the policy's waits), unknown on a thrown error, one request in flight
// per position, and an id from an earlier life never sent again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyRetcode, RETCODE, type BrokerAnswer } from '../../src/brokers/brokerAnswer.ts';
import type { OrderGateway } from '../../src/brokers/brokerPort.ts';
import type { Intent, Position } from '../../src/domain/types.ts';
import { IntentExecutor } from '../../src/execution/intentExecutor.ts';
import { DEFAULT_RETRY, retryDelay } from '../../src/execution/retryPolicy.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-exec-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const store = (): WardenStore => openSqliteStore(join(root, `e${++n}.db`), { now: 0 });

const intent = (id: string, positionId = 'P1'): Intent => ({
  id,
  positionId,
  symbol: 'XAUUSDc',
  kind: 'move_stop',
  rule: 'breakeven',
  episode: 0,
  newSl: 2401.5,
  oldSl: 2390,
  volume: 0,
  time: 1_000,
  price: 2410,
  reason: 'test',
  targetId: positionId,
  side: 'buy',
  comment: '',
  action: '',
});

const APPLIED: BrokerAnswer = { outcome: 'applied', code: RETCODE.DONE, price: 2410, positionId: 'P1' };
const REQUOTE: BrokerAnswer = { outcome: 'rejected', retryable: true, code: RETCODE.REQUOTE, reason: 'requote' };
const INVALID_STOPS: BrokerAnswer = {
  outcome: 'rejected',
  retryable: false,
  code: RETCODE.INVALID_STOPS,
  reason: 'invalid stops',
};
const TIMEOUT: BrokerAnswer = { outcome: 'unknown', code: RETCODE.TIMEOUT, reason: 'timeout' };

/** Answers from a script; records what the journal said about each request when it arrived. */
class ScriptedBroker implements OrderGateway {
  readonly name = 'scripted';
  readonly seen: { id: string; journaled: string | null }[] = [];
  constructor(
    private readonly s: WardenStore,
    private readonly script: (BrokerAnswer | Error)[],
  ) {}
  positions(): Promise<Position[]> {
    return Promise.resolve([]);
  }
  send(it: Intent): Promise<BrokerAnswer> {
    this.seen.push({ id: it.id, journaled: this.s.intent(it.id)?.status ?? null });
    const next = this.script.shift() ?? APPLIED;
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }
}

function executor(s: WardenStore, broker: OrderGateway, waits: number[] = []) {
  return new IntentExecutor(broker, s, {
    retry: DEFAULT_RETRY,
    clock: () => 5_000,
    sleep: async (ms) => void waits.push(ms),
  });
}

describe('IntentExecutor', () => {
  it('journals an intent pending before it leaves, then applied with the broker code', async () => {
    const s = store();
    const b = new ScriptedBroker(s, [APPLIED]);
    const r = await executor(s, b).execute(intent('a'));
    expect(b.seen).toEqual([{ id: 'a', journaled: 'pending' }]);
    expect(r).toMatchObject({ outcome: 'applied', sends: 1, duplicate: false, code: '10009' });
    expect(s.intent('a')).toMatchObject({ status: 'applied', code: '10009', reason: 'applied', resolvedAt: 5_000 });
    s.close();
  });

  it('retries a retryable refusal after 500 ms then 1 s, and gives up after 3 sends', async () => {
    const s = store();
    const waits: number[] = [];
    const b = new ScriptedBroker(s, [REQUOTE, REQUOTE, REQUOTE, APPLIED]);
    const r = await executor(s, b, waits).execute(intent('a'));
    expect(waits).toEqual([500, 1000]);
    expect(b.seen.map((x) => x.id)).toEqual(['a', 'a', 'a']);
    expect(r).toMatchObject({ outcome: 'rejected', sends: 3, reason: 'requote (retryable) (after 3 sends)' });
    expect(s.intent('a')?.status).toBe('rejected');
    s.close();
  });

  it('applied at the second send after a requote', async () => {
    const s = store();
    const r = await executor(s, new ScriptedBroker(s, [REQUOTE, APPLIED])).execute(intent('a'));
    expect(r).toMatchObject({ outcome: 'applied', sends: 2, reason: 'applied at send 2' });
    s.close();
  });

  it('never retries an invalid request (stops, volume, market closed)', async () => {
    const s = store();
    const waits: number[] = [];
    const b = new ScriptedBroker(s, [INVALID_STOPS, APPLIED]);
    const r = await executor(s, b, waits).execute(intent('a'));
    expect(r).toMatchObject({ outcome: 'rejected', sends: 1, code: '10016', reason: 'invalid stops' });
    expect(waits).toEqual([]);
    expect(b.seen).toHaveLength(1);
    s.close();
  });

  it('a timeout or a thrown adapter error is unknown (journaled), never retried blind; settle records the verdict', async () => {
    const s = store();
    const b = new ScriptedBroker(s, [TIMEOUT, new Error('socket hang up')]);
    const x = executor(s, b);
    const r1 = await x.execute(intent('a'));
    const r2 = await x.execute(intent('b', 'P2'));
    expect(r1).toMatchObject({ outcome: 'unknown', sends: 1, code: '10012' });
    expect(r2).toMatchObject({ outcome: 'unknown', sends: 1, code: '0', reason: 'scripted: socket hang up' });
    expect(s.unresolvedIntents().map((i) => [i.intent.id, i.status])).toEqual([
      ['a', 'unknown'],
      ['b', 'unknown'],
    ]);
    x.settle('a', 'applied', 'reconciled: SL shows it');
    expect(s.intent('a')).toMatchObject({ status: 'applied', code: '10012', reason: 'reconciled: SL shows it' });
    expect(() => x.settle('a', 'rejected', 'changed its mind')).toThrow(/already applied/);
    s.close();
  });

  it('an id already in the journal (another decision) is not sent again, and its row does not answer for this one', async () => {
    const s = store();
    const first = executor(s, new ScriptedBroker(s, [APPLIED]));
    await first.execute(intent('a'));
    const b = new ScriptedBroker(s, [APPLIED]);
    const r = await executor(s, b).execute(intent('a'));
    // Refused unsent: the engine decides afresh under a new id; the earlier row stays as it was.
    expect(r).toMatchObject({ outcome: 'rejected', duplicate: true, sends: 0 });
    expect(r.reason).toMatch(/already in the journal \(applied\): another decision's; not sent/);
    expect(b.seen).toEqual([]);
    expect(s.intent('a')?.status).toBe('applied');
    s.close();
  });

  it('one request in flight per position; positions run side by side (property over arrival orders)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('P1', 'P2', 'P3'), { minLength: 2, maxLength: 12 }),
        fc.array(fc.nat(3), { minLength: 12, maxLength: 12 }),
        async (owners, delays) => {
          const s = store();
          let inFlight = new Map<string, number>();
          let maxTogether = 0;
          let overlapSame = 0;
          const broker: OrderGateway = {
            name: 'slow',
            positions: () => Promise.resolve([]),
            send: async (it) => {
              const k = (inFlight.get(it.positionId) ?? 0) + 1;
              if (k > 1) overlapSame++;
              inFlight.set(it.positionId, k);
              maxTogether = Math.max(
                maxTogether,
                [...inFlight.values()].reduce((a, b) => a + b, 0),
              );
              for (let i = 0; i < (delays[Number(it.id.slice(1))] ?? 0) + 1; i++) await Promise.resolve();
              inFlight.set(it.positionId, inFlight.get(it.positionId)! - 1);
              return { ...APPLIED, positionId: it.positionId };
            },
          };
          const x = executor(s, broker);
          const order: string[] = [];
          const results = await Promise.all(
            owners.map((p, i) =>
              x.execute(intent(`i${i}`, p)).then((r) => {
                order.push(r.intent.id);
                return r;
              }),
            ),
          );
          expect(overlapSame).toBe(0);
          expect(results.every((r) => r.outcome === 'applied')).toBe(true);
          // Per position, answers come back in the order the intents were handed over.
          for (const p of new Set(owners)) {
            const mine = owners.map((o, i) => (o === p ? `i${i}` : '')).filter((id) => id !== '');
            expect(order.filter((id) => mine.includes(id))).toEqual(mine);
          }
          if (new Set(owners).size > 1) expect(maxTogether).toBeGreaterThanOrEqual(1);
          inFlight = new Map();
          s.close();
        },
      ),
      { numRuns: 40, seed: 5 },
    );
  });
});

describe('retry policy and MT5 return codes', () => {
  it('waits double from the base, honour a venue Retry-After, and are capped', () => {
    expect(retryDelay(DEFAULT_RETRY, REQUOTE, 1)).toBe(500);
    expect(retryDelay(DEFAULT_RETRY, REQUOTE, 2)).toBe(1000);
    expect(retryDelay(DEFAULT_RETRY, REQUOTE, 3)).toBeNull();
    expect(retryDelay({ ...DEFAULT_RETRY, maxSends: 10 }, REQUOTE, 9)).toBe(10_000);
    const limited: BrokerAnswer = {
      outcome: 'rejected',
      retryable: true,
      code: RETCODE.TOO_MANY_REQUESTS,
      reason: '429',
    };
    expect(retryDelay(DEFAULT_RETRY, limited, 1)).toBe(2_000);
    expect(retryDelay(DEFAULT_RETRY, { ...limited, retryAfterMs: 7_500 }, 1)).toBe(7_500);
    expect(retryDelay(DEFAULT_RETRY, { ...limited, retryAfterMs: 90_000 }, 1)).toBe(10_000);
    expect(retryDelay(DEFAULT_RETRY, INVALID_STOPS, 1)).toBeNull();
    expect(retryDelay(DEFAULT_RETRY, TIMEOUT, 1)).toBeNull();
    expect(retryDelay(DEFAULT_RETRY, APPLIED, 1)).toBeNull();
  });

  it('classifies MT5 retcodes: retry, reconcile first, never resend, done', () => {
    for (const c of [10004, 10020, 10021, 10024]) expect(classifyRetcode(c)).toBe('retry');
    for (const c of [10012, 10031, 10011]) expect(classifyRetcode(c)).toBe('unknown');
    for (const c of [10013, 10014, 10015, 10016, 10017, 10018, 10019, 10026, 10027, 10029, 10030, 10006])
      expect(classifyRetcode(c)).toBe('refused');
    for (const c of [10009, 10010, 10025, 10008]) expect(classifyRetcode(c)).toBe('applied');
  });
});
