// Done means confirmed: whatever the venue does — refuse, lose answers (timeouts that did or did not
// take effect), see positions closed by hand, see the same symbol and side reopened (on a venue whose
// ticket is the symbol and side, as Binance's), see the session restart — after every step each flag
// Warden shows for a position is true at the venue for that position's lifetime:
//   - partial done: the venue applied a partial close of THIS lifetime, and the volume Warden counts as
//     closed is what the venue closed for it;
//   - breakeven done by Warden (confirmed): the venue applied a breakeven stop move of this lifetime;
//   - trail moves: as many trailing stop moves of this lifetime as the venue applied;
//   - every DTMS action journaled applied was applied by the venue;
// and no request id reached the venue twice, no stop loosened, nothing closed more than was open, and
// no lifetime's intent carries another lifetime's id. The venue's own records (the paper broker's
// applied request ids and deals) are the truth, never Warden's journal.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RETCODE, type BrokerAnswer } from '../../src/brokers/brokerAnswer.ts';
import type { OrderGateway } from '../../src/brokers/brokerPort.ts';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import type { PaperBroker } from '../../src/brokers/paperBroker.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { ceilToStep, floorToStep, roundStop } from '../../src/domain/rounding.ts';
import type { Bar, Instrument, Intent, Position, Side } from '../../src/domain/types.ts';
import { AccountSession } from '../../src/execution/accountSession.ts';
import { BREAKEVEN_DONE, PARTIAL_DONE } from '../../src/exits/exitPlan.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { BAR_MS, liveConfig, sampleBars, SYMBOL } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-confirmed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/**
 * A venue whose position id is the symbol and side (Binance one-way mode): a netting paper account
 * underneath, its tickets hidden. A position closed and opened again on the same side has the same id,
 * and no open time (Binance gives none).
 */
class SideKeyedVenue implements OrderGateway {
  readonly name = 'side-keyed';
  constructor(readonly inner: PaperAccount) {}

  private ticketOf(id: string): string | undefined {
    return this.inner
      .broker(SYMBOL)
      .positions()
      .find((p) => idOf(p) === id)?.id;
  }

  positions(): Promise<Position[]> {
    return this.inner.positions().then((ps) => ps.map((p) => ({ ...p, id: idOf(p), openTime: 0 })));
  }

  send(intent: Intent): Promise<BrokerAnswer> {
    if (intent.kind === 'open') return this.inner.send(intent);
    const ticket = this.ticketOf(intent.targetId || intent.positionId);
    if (ticket === undefined)
      return Promise.resolve({
        outcome: 'rejected',
        retryable: false,
        code: RETCODE.POSITION_CLOSED,
        reason: `no position ${intent.targetId}`,
      });
    return this.inner
      .send({ ...intent, targetId: ticket })
      .then((a) => (a.outcome === 'applied' ? { ...a, positionId: intent.targetId || intent.positionId } : a));
  }
}

const idOf = (p: { symbol: string; side: Side }): string => `${p.symbol}:${p.side === 'buy' ? 'long' : 'short'}`;

type Op =
  | { kind: 'bars'; count: number }
  | { kind: 'open'; side: Side }
  | { kind: 'close' }
  | { kind: 'reopen' }
  | { kind: 'restart' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 25 }).map((count) => ({ kind: 'bars' as const, count })) },
  { weight: 3, arbitrary: fc.constantFrom<Side>('buy', 'sell').map((side) => ({ kind: 'open' as const, side })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

interface Run {
  sideKeyed: boolean;
  faultRate: number;
  faultSeed: number;
  marketSeed: number;
  ops: Op[];
}

/**
 * Every flag true at the venue (see the header), for the venue's position the lifetime is now: what
 * the venue applied to THAT position (its own ticket underneath), by requests of THAT lifetime. A
 * lifetime that took an earlier position's steps for its own would fail here. Fails with what it saw.
 */
async function checkFlags(
  session: AccountSession,
  store: WardenStore,
  broker: PaperBroker,
  venue: OrderGateway,
  targets: Map<string, string>,
  where: string,
): Promise<void> {
  const snap = broker.snapshot();
  expect(broker.audit.duplicateIds, `${where}: a request id applied twice`).toBe(0);
  expect(broker.audit.loosened, `${where}: a stop loosened`).toBe(0);
  expect(broker.audit.overClose, `${where}: more closed than was open`).toBe(0);
  // Applied at the venue, by request id: the position (ticket underneath) each one acted on.
  const appliedOn = new Map<string, string>();
  for (const id of snap.appliedIds) {
    const t = targets.get(id);
    if (t !== undefined) appliedOn.set(id, t);
  }
  const seen = new Map((await venue.positions()).map((p) => [p.id, p]));
  const underneath = new Map(broker.positions().map((p) => [idOf(p), p.id]));
  for (const key of session.engine.positionIds()) {
    const plan = session.engine.plan(key)!;
    if (!seen.has(plan.ticket)) continue; // gone since the step (its stop or target): the next step ends it
    const ticket = venue instanceof SideKeyedVenue ? underneath.get(plan.ticket)! : plan.ticket;
    const mine = [...appliedOn].filter(([id, t]) => id.startsWith(`${key}:`) && t === ticket).map(([id]) => id);
    const closed = snap.deals
      .filter((d) => d.reason === 'partial' && d.positionId === ticket && d.requestId.startsWith(`${key}:`))
      .reduce((v, d) => v + d.volume, 0);
    const at = `${where}: ${key} (venue ticket ${ticket})`;
    if (plan.partialState === PARTIAL_DONE)
      expect(
        mine.some((id) => id.startsWith(`${key}:partial:`)),
        `${at}: partial shown done, none applied to this position`,
      ).toBe(true);
    expect(
      plan.closedVolume,
      `${at}: closed volume Warden counts vs what the venue closed of this position`,
    ).toBeCloseTo(closed, 9);
    if (plan.breakevenState === BREAKEVEN_DONE && plan.breakevenReason === 'confirmed')
      expect(
        mine.some((id) => id.startsWith(`${key}:breakeven:`)),
        `${at}: breakeven confirmed, none applied to this position`,
      ).toBe(true);
    expect(plan.trailMoves, `${at}: trail moves vs trailing stop moves applied to this position`).toBe(
      mine.filter((id) => id.startsWith(`${key}:trail:`)).length,
    );
  }
  const applied = new Set(snap.appliedIds);
  for (const j of store.intentsSince(0)) {
    expect(
      j.intent.id.startsWith(`${j.intent.positionId}:`),
      `${where}: intent ${j.intent.id} is not its lifetime's`,
    ).toBe(true);
    if (j.status === 'applied' && j.intent.rule === 'dtms')
      expect(
        applied.has(j.intent.id),
        `${where}: DTMS ${j.intent.id} journaled applied, not applied at the venue`,
      ).toBe(true);
  }
}

async function play(r: Run): Promise<void> {
  const config = liveConfig();
  const instrument: Instrument = instrumentFromConfig(config, SYMBOL, !r.sideKeyed);
  const bars: Bar[] = sampleBars(
    r.marketSeed,
    1200 + r.ops.reduce((k, o) => k + (o.kind === 'bars' ? o.count : 0), 0) + 2,
  );
  const faults = r.faultRate > 0 ? { rate: r.faultRate, seed: r.faultSeed } : undefined;
  const account = new PaperAccount([instrument], {
    accountMode: r.sideKeyed ? 'netting' : 'hedging',
    timeframeMs: BAR_MS,
    ...(faults ? { faults } : {}),
  });
  // Which position (ticket underneath) each request went to, as the venue received it.
  const targets = new Map<string, string>();
  const send = account.send.bind(account);
  account.send = (intent) => {
    if (intent.targetId !== '') targets.set(intent.id, intent.targetId);
    return send(intent);
  };
  const venue: OrderGateway = r.sideKeyed ? new SideKeyedVenue(account) : account;
  const broker = account.broker(SYMBOL);
  const file = join(dir, `c${++n}.db`);
  let now = bars[1199]!.time + BAR_MS;
  let next = 1200;
  for (let i = 0; i < next; i++) account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
  let store = openSqliteStore(file, { now });
  const boot = async (): Promise<AccountSession> => {
    const s = new AccountSession({
      config,
      baseTimeframe: 'M1',
      instruments: [instrument],
      broker: venue,
      store,
      clock: () => now,
      sleep: async () => {},
    });
    await s.start(new Map([[SYMBOL, bars.slice(0, next)]]));
    return s;
  };
  let session = await boot();
  let opened = 0;
  const openAt = (side: Side): boolean => {
    const q = broker.quote();
    const atr = session.engine.features(SYMBOL).atr;
    const entry = side === 'buy' ? q.ask : q.bid;
    const d = atr > 0 ? 1.5 * atr : entry * 0.003;
    const s = side === 'buy' ? 1 : -1;
    const sl = roundStop(side, entry - s * d, instrument.tickSize);
    const tp =
      side === 'buy' ? floorToStep(entry + 2 * d, instrument.tickSize) : ceilToStep(entry - 2 * d, instrument.tickSize);
    return (
      broker.open({ requestId: `hand:${++opened}`, side, volume: 1, sl, tp, comment: '', exempt: true }).outcome ===
      'applied'
    );
  };
  let k = 0;
  for (const op of r.ops) {
    const where = `op ${++k} (${JSON.stringify(op)})`;
    switch (op.kind) {
      case 'bars':
        for (let c = 0; c < op.count; c++, next++) {
          const bar = bars[next]!;
          now = bar.time + BAR_MS;
          account.onBar(SYMBOL, bar, now);
          await session.onBar(SYMBOL, bar);
          await checkFlags(session, store, broker, venue, targets, `${where}, bar ${next}`);
        }
        continue;
      case 'open':
        openAt(op.side);
        break;
      case 'close': {
        const p = broker.positions()[0];
        if (p) broker.close(`hand-close:${k}`, p.id, true);
        break;
      }
      case 'reopen': {
        // Closed by hand and opened again on the same side before the next bar: on the side-keyed venue
        // the same id. Only at another price than the closed one's entry: a venue without open times
        // tells the two positions apart by their entry (a reopen at the very same price cannot be told).
        const p = broker.positions()[0];
        if (!p) break;
        const q = broker.quote();
        if ((p.side === 'buy' ? q.ask : q.bid) === p.entryPrice) break;
        broker.close(`hand-close:${k}`, p.id, true);
        openAt(p.side);
        break;
      }
      case 'restart':
        await session.close();
        store.close();
        store = openSqliteStore(file, { now });
        session = await boot();
        // The start took the venue's positions as they are: checked like after a step.
        await checkFlags(session, store, broker, venue, targets, where);
        break;
    }
  }
  await session.close();
  store.close();
}

describe('done means confirmed (property over venue behaviour)', () => {
  it('after every step, each flag Warden shows is true at the venue for that lifetime', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          sideKeyed: fc.boolean(),
          faultRate: fc.constantFrom(0, 0.1, 0.3),
          faultSeed: fc.integer({ min: 1, max: 1000 }),
          marketSeed: fc.integer({ min: 1, max: 50 }),
          ops: fc.array(opArb, { minLength: 10, maxLength: 40 }),
        }),
        play,
      ),
      { numRuns: 16 },
    );
  }, 240_000);
});
