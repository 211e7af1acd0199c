// The broker contract: what every adapter must do, whatever the venue. The paper account runs it
// always; each real adapter runs it against its recorded fixtures or its SDK fake. A harness gives
// the suite a venue it can set up: open a position as a trader would, move the market, make the next
// request fail a given way.
import { describe, expect, it } from 'vitest';
import { RETCODE, type BrokerAnswer } from '../../src/brokers/brokerAnswer.ts';
import type { AccountMode, BrokerPort } from '../../src/brokers/brokerPort.ts';
import { isStepMultiple } from '../../src/domain/rounding.ts';
import type { Bar, Intent, IntentKind, Side } from '../../src/domain/types.ts';

export type ContractFault = 'reject' | 'requote' | 'rate_limit' | 'timeout_applied' | 'timeout_lost';

/**
 * One point of a venue's record of a position's protection: after a change of the venue's state, the
 * position's open size and how much of it its stops would close (each stop its quantity up to the
 * size, a stop on the whole position all of it; the sum up to the size). Size 0: the position is flat.
 */
export interface ProtectedSample {
  /** The position's id as the adapter reports it. */
  position: string;
  size: number;
  protected: number;
  /** How many stop orders the position holds. */
  stops: number;
  /** Who changed the venue: a request of the adapter, the trader's hand, the market reaching an order. */
  by: 'warden' | 'trader' | 'market';
  what: string;
}

/**
 * The lapses in a record of protection: a position that had all of its size covered by stops and then,
 * through a request of the adapter, less, while open. The trader's hand and the market (a stop filling
 * part of a position) may leave it uncovered; from then on it counts again once it is covered again.
 * Empty: once a stop existed for the whole position, the adapter never left it less protected.
 */
export function protectionLapses(history: readonly ProtectedSample[], eps = 1e-9): string[] {
  const covered = new Map<string, boolean>();
  const lapses: string[] = [];
  for (const [i, s] of history.entries()) {
    const full = s.protected >= s.size - eps;
    if (s.size <= eps) covered.set(s.position, false);
    else if (full) covered.set(s.position, true);
    else if (s.by !== 'warden') covered.set(s.position, false);
    else if (covered.get(s.position) === true) {
      lapses.push(`#${i} ${s.position}: ${s.protected} of ${s.size} protected after ${s.what}`);
      covered.set(s.position, false);
    }
  }
  return lapses;
}

/**
 * What a venue has, for the cases that cannot apply everywhere (each defaults to true). A case a venue
 * lacks is reported as skipped with the reason, never silently weakened.
 */
export interface ContractCapabilities {
  /** The venue has a stops level (MT5); crypto venues have none and report 0. */
  stopsLevel?: boolean;
  /** The venue has a freeze level (MT5). */
  freezeLevel?: boolean;
  /** The venue requotes (MT5 dealing desks); exchanges do not. */
  requote?: boolean;
  /** The harness can inject a rate limit ('rate_limit'). */
  rateLimit?: boolean;
  /** One position per order on a hedging account (MT5); Binance hedge mode holds one per symbol and side. */
  positionPerOrder?: boolean;
  /** The market closes (FX and metals at the weekend); crypto venues trade around the clock. */
  marketClosed?: boolean;
  /**
   * An opposite open on a netting account: the venue nets it ('net', the default), or the adapter
   * refuses it as HEDGE_PROHIBITED before it can net ('refuse': a hedge that would close instead).
   */
  nettingOpposite?: 'net' | 'refuse';
  /**
   * The harness records the venue's protected quantity over time (`protectedHistory`), so the
   * contract can state that a stop, once there, never covers less than the open size.
   */
  protectedQuantity?: boolean;
}

export interface ContractHarness {
  broker: BrokerPort;
  symbol: string;
  /** Opens a position the way a trader would (outside Warden); its ticket. */
  open(side: Side, volume: number, sl: number | null, tp: number | null): Promise<string>;
  /** Moves the market: the bid (the ask follows at the symbol's spread). */
  setBid(bid: number): Promise<void>;
  /** The next request meets this failure. */
  failNext(kind: ContractFault): void;
  /**
   * The next write requests meet these failures in turn (null: that one goes through), for a venue
   * where one intent may take several requests (a new stop, then the old one's cancel). Without it,
   * only the first of a sequence is injected (`failNext`).
   */
  failWrites?(kinds: readonly (ContractFault | null)[]): void;
  /** The venue's record of each position's protected quantity (see ProtectedSample); where `protectedQuantity` is a capability. */
  protectedHistory?(): readonly ProtectedSample[];
  /**
   * The venue holds these M1 bars of the symbol (oldest first; the last may still be forming at
   * `now`), and the adapter's clock reads `now`.
   */
  feedBars(bars: readonly Bar[], now: number): Promise<void>;
  /** Closes the market (a session break); only where `marketClosed` is a capability. */
  closeMarket?(): Promise<void>;
  close(): Promise<void>;
}

export interface ContractVenue {
  mode: AccountMode;
  /** The symbol's stops and freeze levels, in points. */
  stopsLevelPoints?: number;
  freezeLevelPoints?: number;
}

let seq = 0;
function intent(
  kind: IntentKind,
  positionId: string,
  symbol: string,
  o: { newSl?: number; volume?: number; side?: Side; targetId?: string; comment?: string } = {},
): Intent {
  seq++;
  return {
    id: `contract:${kind}:${seq}`,
    positionId,
    symbol,
    kind,
    rule: kind === 'open' || kind === 'close' ? 'dtms' : kind === 'close_partial' ? 'partial' : 'trail',
    episode: seq,
    newSl: o.newSl ?? Number.NaN,
    oldSl: null,
    volume: o.volume ?? 0,
    time: 0,
    price: 0,
    reason: 'contract test',
    targetId: o.targetId ?? (kind === 'open' ? '' : positionId),
    side: o.side ?? 'buy',
    comment: o.comment ?? '',
    action: kind === 'open' ? 'open_hedge' : '',
  };
}

const refused = (a: BrokerAnswer, code: number, retryable: boolean) => {
  expect(a.outcome).toBe('rejected');
  if (a.outcome !== 'rejected') return;
  expect(a.code).toBe(code);
  expect(a.retryable).toBe(retryable);
  expect(a.reason.length).toBeGreaterThan(0);
};

/** Runs the contract against the venue `make` builds (a fresh one per case). */
export function brokerContract(
  name: string,
  make: (venue: ContractVenue) => Promise<ContractHarness>,
  capabilities: ContractCapabilities = {},
): void {
  const has = {
    stopsLevel: true,
    freezeLevel: true,
    requote: true,
    rateLimit: true,
    positionPerOrder: true,
    marketClosed: true,
    nettingOpposite: 'net' as 'net' | 'refuse',
    protectedQuantity: true,
    ...capabilities,
  };
  const lacking = (cap: boolean, reason: string) => (cap ? '' : ` [skipped: ${reason}]`);
  const withVenue = async (venue: ContractVenue, body: (h: ContractHarness) => Promise<void>) => {
    const h = await make(venue);
    try {
      await body(h);
    } finally {
      await h.close();
    }
  };

  describe(`broker contract: ${name}`, () => {
    it('reports the account mode, the symbol rules and a quote; refuses an unknown symbol', async () => {
      for (const mode of ['hedging', 'netting'] as const) {
        await withVenue({ mode, stopsLevelPoints: 50 }, async (h) => {
          expect(await h.broker.accountMode()).toBe(mode);
          const inst = await h.broker.instrument(h.symbol);
          expect(inst.symbol).toBe(h.symbol);
          expect(inst.tickSize).toBeGreaterThan(0);
          expect(inst.lotStep).toBeGreaterThan(0);
          expect(inst.minLot).toBeGreaterThanOrEqual(inst.lotStep);
          expect(inst.stopsLevelPoints).toBe(has.stopsLevel ? 50 : 0);
          await h.setBid(2000);
          const q = await h.broker.quote(h.symbol);
          expect(q.bid).toBe(2000);
          expect(q.ask).toBeGreaterThanOrEqual(q.bid);
          await expect(h.broker.instrument('NOSUCHSYMBOL')).rejects.toThrow();
          const a = await h.broker.send(intent('move_stop', '1', 'NOSUCHSYMBOL', { newSl: 1 }));
          expect(a.outcome).toBe('rejected');
          if (a.outcome === 'rejected') expect(a.retryable).toBe(false);
        });
      }
    });

    it('lists a position as opened, and moves its stop (long and short); a tighter stop shows in positions()', async () => {
      await withVenue({ mode: 'hedging' }, async (h) => {
        await h.setBid(2000);
        const long = await h.open('buy', 0.3, 1990, 2030);
        const short = await h.open('sell', 0.2, 2010, 1970);
        const listed = await h.broker.positions();
        expect(listed.find((p) => p.id === long)).toMatchObject({
          symbol: h.symbol,
          side: 'buy',
          volume: 0.3,
          sl: 1990,
          tp: 2030,
        });
        expect(listed.find((p) => p.id === short)).toMatchObject({ side: 'sell', volume: 0.2, sl: 2010, tp: 1970 });
        const a = await h.broker.send(intent('move_stop', long, h.symbol, { newSl: 1995.5 }));
        expect(a).toMatchObject({ outcome: 'applied', positionId: long });
        const b = await h.broker.send(intent('move_stop', short, h.symbol, { newSl: 2004.25, side: 'sell' }));
        expect(b.outcome).toBe('applied');
        const after = await h.broker.positions();
        expect(after.find((p) => p.id === long)?.sl).toBe(1995.5);
        expect(after.find((p) => p.id === short)?.sl).toBe(2004.25);
        expect(after.find((p) => p.id === long)?.tp).toBe(2030); // the target is kept
      });
    });

    it(`refuses a stop inside the stops level or off the tick grid, not retryable, and changes nothing${has.stopsLevel ? '' : ' (off the grid only: the venue has no stops level)'}`, async () => {
      await withVenue({ mode: 'hedging', stopsLevelPoints: 500 }, async (h) => {
        await h.setBid(2000);
        const inst = await h.broker.instrument(h.symbol);
        const id = await h.open('buy', 0.1, 1990, null);
        if (has.stopsLevel) {
          const tooClose = 2000 - (inst.stopsLevelPoints * inst.point) / 2;
          refused(
            await h.broker.send(intent('move_stop', id, h.symbol, { newSl: tooClose })),
            RETCODE.INVALID_STOPS,
            false,
          );
        }
        const offGrid = 1992 + inst.tickSize / 3;
        expect(isStepMultiple(offGrid, inst.tickSize)).toBe(false);
        refused(
          await h.broker.send(intent('move_stop', id, h.symbol, { newSl: offGrid })),
          RETCODE.INVALID_STOPS,
          false,
        );
        expect((await h.broker.positions()).find((p) => p.id === id)?.sl).toBe(1990);
      });
    });

    it.skipIf(!has.freezeLevel)(
      `refuses to touch a position within the freeze level of its stop (frozen), not retryable${lacking(has.freezeLevel, 'the venue has no freeze level')}`,
      async () => {
        await withVenue({ mode: 'hedging', freezeLevelPoints: 1000 }, async (h) => {
          await h.setBid(2000);
          const inst = await h.broker.instrument(h.symbol);
          const id = await h.open('buy', 0.1, 1995, null);
          await h.setBid(1995 + (inst.freezeLevelPoints * inst.point) / 2);
          refused(await h.broker.send(intent('move_stop', id, h.symbol, { newSl: 1994 })), RETCODE.FROZEN, false);
          refused(await h.broker.send(intent('close_partial', id, h.symbol, { volume: 0.05 })), RETCODE.FROZEN, false);
        });
      },
    );

    it('closes part of a position in lot steps; refuses a remainder below the min lot or more than is open', async () => {
      await withVenue({ mode: 'hedging' }, async (h) => {
        await h.setBid(2000);
        const inst = await h.broker.instrument(h.symbol);
        const id = await h.open('buy', 0.5, 1990, null);
        const a = await h.broker.send(intent('close_partial', id, h.symbol, { volume: 0.2 }));
        expect(a.outcome).toBe('applied');
        expect((await h.broker.positions()).find((p) => p.id === id)?.volume).toBeCloseTo(0.3, 9);
        refused(
          await h.broker.send(intent('close_partial', id, h.symbol, { volume: 0.3 - inst.minLot / 2 })),
          RETCODE.INVALID_VOLUME,
          false,
        );
        const over = await h.broker.send(intent('close_partial', id, h.symbol, { volume: 0.4 }));
        expect(over.outcome).toBe('rejected');
        if (over.outcome === 'rejected') expect(over.retryable).toBe(false);
        expect((await h.broker.positions()).find((p) => p.id === id)?.volume).toBeCloseTo(0.3, 9);
      });
    });

    it("reports the account's balance and equity; what a close books moves the balance by what bookedSince reports; the equity follows the open position", async () => {
      await withVenue({ mode: 'hedging' }, async (h) => {
        const { funds, bookedSince } = h.broker;
        expect(funds, 'the adapter reports the account (funds)').toBeTypeOf('function');
        expect(bookedSince, 'the adapter reports what it booked (bookedSince)').toBeTypeOf('function');
        const money = () => h.broker.funds!();
        const booked = async () => (await h.broker.bookedSince!(0)).reduce((sum, b) => sum + b.profit + b.fees, 0);
        await h.setBid(2000);
        const start = await money();
        const bookedAtStart = await booked();
        expect(start.currency).toMatch(/^[A-Z]{3,5}$/);
        expect(start.balance).toBeGreaterThan(0);
        expect(start.equity).toBeCloseTo(start.balance, 1);
        const id = await h.open('buy', 0.5, 1990, null);
        await h.setBid(2010);
        const open = await money();
        const inst = await h.broker.instrument(h.symbol);
        const entry = (await h.broker.positions()).find((p) => p.id === id)!.entryPrice;
        // Quoted in the account's currency (XAU in USD or USDT): the floating profit is the equity's lead.
        expect(open.equity - open.balance).toBeCloseTo((2010 - entry) * 0.5 * inst.contractSize, 0);
        expect(open.balance - start.balance).toBeCloseTo((await booked()) - bookedAtStart, 1);
        expect((await h.broker.send(intent('close', id, h.symbol))).outcome).toBe('applied');
        const closed = await money();
        const all = await h.broker.bookedSince!(0);
        expect(
          all.some((b) => b.profit > 0 && b.symbol === h.symbol),
          'the close booked its profit under the symbol',
        ).toBe(true);
        expect(closed.balance - start.balance).toBeCloseTo((await booked()) - bookedAtStart, 1);
        expect(closed.balance - start.balance).toBeCloseTo((2010 - entry) * 0.5 * inst.contractSize, -1);
        expect(closed.equity).toBeCloseTo(closed.balance, 1);
      });
    });

    it('closes a position; closing it again is refused (already closed), not retryable', async () => {
      await withVenue({ mode: 'hedging' }, async (h) => {
        await h.setBid(2000);
        const id = await h.open('sell', 0.1, 2010, null);
        expect((await h.broker.send(intent('close', id, h.symbol))).outcome).toBe('applied');
        expect((await h.broker.positions()).some((p) => p.id === id)).toBe(false);
        refused(await h.broker.send(intent('close', id, h.symbol)), RETCODE.POSITION_CLOSED, false);
      });
    });

    it(`opens a hedge on a hedging account as a separate opposite position carrying the comment; ${has.nettingOpposite === 'net' ? 'nets' : 'is refused (HEDGE_PROHIBITED, not retryable)'} on a netting account`, async () => {
      await withVenue({ mode: 'hedging' }, async (h) => {
        await h.setBid(2000);
        const id = await h.open('buy', 0.4, 1990, null);
        const a = await h.broker.send(
          intent('open', id, h.symbol, { side: 'sell', volume: 0.2, newSl: 2006, comment: `DTMS_HEDGE_${id}_1` }),
        );
        expect(a.outcome).toBe('applied');
        const positions = await h.broker.positions();
        const hedge = positions.find((p) => p.comment === `DTMS_HEDGE_${id}_1`);
        expect(hedge).toMatchObject({ side: 'sell', volume: 0.2, sl: 2006 });
        expect(a.outcome === 'applied' && a.positionId).toBe(hedge?.id);
        expect(positions.find((p) => p.id === id)?.volume).toBe(0.4);
      });
      await withVenue({ mode: 'netting' }, async (h) => {
        await h.setBid(2000);
        const id = await h.open('buy', 0.4, 1990, null);
        const a = await h.broker.send(
          intent('open', id, h.symbol, { side: 'sell', volume: 0.2, comment: 'DTMS_HEDGE_x_1' }),
        );
        const positions = await h.broker.positions();
        expect(positions).toHaveLength(1);
        if (has.nettingOpposite === 'net') {
          expect(a.outcome).toBe('applied');
          expect(positions[0]).toMatchObject({ side: 'buy', volume: 0.2 });
        } else {
          refused(a, RETCODE.HEDGE_PROHIBITED, false);
          expect(positions[0]).toMatchObject({ side: 'buy', volume: 0.4 });
        }
      });
    });

    it.skipIf(!has.requote)(
      `a requote is a retryable refusal that changed nothing; the same request then goes through${lacking(has.requote, 'the venue does not requote')}`,
      async () => {
        await withVenue({ mode: 'hedging' }, async (h) => {
          await h.setBid(2000);
          const id = await h.open('buy', 0.1, 1990, null);
          const it = intent('move_stop', id, h.symbol, { newSl: 1993 });
          h.failNext('requote');
          refused(await h.broker.send(it), RETCODE.REQUOTE, true);
          expect((await h.broker.positions()).find((p) => p.id === id)?.sl).toBe(1990);
          expect((await h.broker.send(it)).outcome).toBe('applied');
          expect((await h.broker.positions()).find((p) => p.id === id)?.sl).toBe(1993);
        });
      },
    );

    it.skipIf(!has.rateLimit)(
      `a rate limit is a retryable refusal that changed nothing; the same request then goes through${lacking(has.rateLimit, 'the harness cannot inject a rate limit')}`,
      async () => {
        await withVenue({ mode: 'hedging' }, async (h) => {
          await h.setBid(2000);
          const id = await h.open('buy', 0.1, 1990, null);
          const it = intent('move_stop', id, h.symbol, { newSl: 1993 });
          h.failNext('rate_limit');
          refused(await h.broker.send(it), RETCODE.TOO_MANY_REQUESTS, true);
          expect((await h.broker.positions()).find((p) => p.id === id)?.sl).toBe(1990);
          expect((await h.broker.send(it)).outcome).toBe('applied');
          expect((await h.broker.positions()).find((p) => p.id === id)?.sl).toBe(1993);
        });
      },
    );

    it('a plain refusal is not retryable', async () => {
      await withVenue({ mode: 'hedging' }, async (h) => {
        await h.setBid(2000);
        const id = await h.open('buy', 0.1, 1990, null);
        h.failNext('reject');
        const a = await h.broker.send(intent('move_stop', id, h.symbol, { newSl: 1993 }));
        expect(a.outcome).toBe('rejected');
        if (a.outcome === 'rejected') expect(a.retryable).toBe(false);
      });
    });

    it(`a timeout is unknown; the positions then tell whether it took effect (a close after a timeout is never sent twice blind)${has.positionPerOrder ? '' : ' (one position: the venue holds one per symbol and side)'}`, async () => {
      await withVenue({ mode: 'hedging' }, async (h) => {
        await h.setBid(2000);
        const a = await h.open('buy', 0.2, 1990, null);
        // Where one position per side is all there is, the close after the timeout acts on the same one.
        const b = has.positionPerOrder ? await h.open('buy', 0.2, 1990, null) : a;
        h.failNext('timeout_applied');
        const r1 = await h.broker.send(intent('close_partial', a, h.symbol, { volume: 0.1 }));
        expect(r1.outcome).toBe('unknown');
        expect((await h.broker.positions()).find((p) => p.id === a)?.volume).toBeCloseTo(0.1, 9);
        h.failNext('timeout_lost');
        const r2 = await h.broker.send(intent('close', b, h.symbol));
        expect(r2.outcome).toBe('unknown');
        expect((await h.broker.positions()).some((p) => p.id === b)).toBe(true);
      });
    });

    it('reports closed M1 bars oldest first, the last `limit` of them, leaving out the bar still forming', async () => {
      await withVenue({ mode: 'hedging' }, async (h) => {
        const t0 = Date.UTC(2024, 4, 16, 9, 0);
        const bars: Bar[] = [];
        for (let i = 0; i < 8; i++) {
          const open = 2000 + i;
          bars.push({
            time: t0 + i * 60_000,
            open,
            high: open + 1.5,
            low: open - 0.75,
            close: open + 0.5,
            volume: 10 + i,
            spread: Number.NaN,
          });
        }
        // 30 s into the 8th bar: it is still forming.
        await h.feedBars(bars, t0 + 7 * 60_000 + 30_000);
        const got = await h.broker.candles(h.symbol, 'M1', 5);
        expect(got.map((b) => b.time)).toEqual(bars.slice(2, 7).map((b) => b.time));
        for (const [i, b] of got.entries())
          expect(b).toMatchObject({
            open: bars[i + 2]!.open,
            high: bars[i + 2]!.high,
            low: bars[i + 2]!.low,
            close: bars[i + 2]!.close,
          });
        expect((await h.broker.candles(h.symbol, 'M1', 100)).length).toBe(7);
        await expect(h.broker.candles('NOSUCHSYMBOL', 'M1', 5)).rejects.toThrow();
      });
    });

    it.skipIf(!has.protectedQuantity)(
      `a stop, once there, never covers less than the open size: through stop moves and partial closes, with failures on the first, second and third request, lost answers and timeouts after the fact${lacking(has.protectedQuantity, 'the harness keeps no record of the protected quantity')}`,
      async () => {
        const patterns: (ContractFault | null)[][] = [
          [],
          ['reject'],
          ['timeout_lost'],
          ['timeout_applied'],
          [null, 'reject'],
          [null, 'timeout_lost'],
          [null, 'timeout_applied'],
          [null, 'reject', 'reject', 'reject'],
          [null, 'timeout_lost', 'timeout_lost', 'timeout_lost'],
          ['timeout_applied', 'timeout_lost'],
          [null, null, 'reject'],
          ...(has.rateLimit ? ([['rate_limit'], [null, 'rate_limit']] satisfies (ContractFault | null)[][]) : []),
        ];
        for (const mode of ['hedging', 'netting'] as const) {
          for (const side of ['buy', 'sell'] as const) {
            // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
            await withVenue({ mode }, async (h) => {
              if (!h.protectedHistory)
                throw new Error(
                  'the harness must record the protected quantity when protectedQuantity is a capability',
                );
              const record = h.protectedHistory;
              const inject = (kinds: readonly (ContractFault | null)[]) => {
                if (h.failWrites) h.failWrites(kinds);
                else if (kinds[0]) h.failNext(kinds[0]);
              };
              await h.setBid(2000);
              const inst = await h.broker.instrument(h.symbol);
              const dir = side === 'buy' ? 1 : -1;
              let sl = 2000 - dir * 10;
              const id = await h.open(side, 0.6, sl, null);
              const held = async () => (await h.broker.positions()).find((p) => p.id === id);
              for (const [i, pattern] of patterns.entries()) {
                const next = sl + dir * 0.5;
                inject(pattern);
                const a = await h.broker.send(intent('move_stop', id, h.symbol, { newSl: next, side }));
                const now = await held();
                // The answer tells the truth about the stop: applied, the new one; refused, the old one; unknown, either.
                if (a.outcome === 'applied') expect(now?.sl).toBe(next);
                else if (a.outcome === 'rejected') expect(now?.sl).toBe(sl);
                else expect([sl, next]).toContain(now?.sl);
                sl = now?.sl ?? sl;
                if (i % 3 === 2 && now && now.volume - 0.1 >= inst.minLot - 1e-9) {
                  inject(pattern);
                  const before = now.volume;
                  const b = await h.broker.send(intent('close_partial', id, h.symbol, { volume: 0.1, side }));
                  const after = await held();
                  if (b.outcome === 'applied') expect(after?.volume).toBeCloseTo(before - 0.1, 9);
                  else if (b.outcome === 'rejected') expect(after?.volume).toBeCloseTo(before, 9);
                }
              }
              const last = await held();
              expect(last?.sl).toBe(sl);
              const history = record();
              expect(protectionLapses(history)).toEqual([]);
              // The record did see the position covered, and it ends covered.
              const mine = history.filter((s) => s.position === id);
              expect(mine.some((s) => s.size > 0 && s.protected >= s.size - 1e-9)).toBe(true);
              expect(mine.at(-1)).toMatchObject({ size: last?.volume });
              expect(mine.at(-1)!.protected).toBeCloseTo(last!.volume, 9);
            });
          }
        }
      },
    );

    it.skipIf(!has.marketClosed)(
      `refuses every request while the market is closed (MARKET_CLOSED, not retryable) and changes nothing${lacking(has.marketClosed, 'the venue trades around the clock')}`,
      async () => {
        await withVenue({ mode: 'hedging' }, async (h) => {
          await h.setBid(2000);
          const id = await h.open('buy', 0.2, 1990, 2030);
          if (!h.closeMarket) throw new Error('the harness must close the market when marketClosed is a capability');
          await h.closeMarket();
          refused(
            await h.broker.send(intent('move_stop', id, h.symbol, { newSl: 1995 })),
            RETCODE.MARKET_CLOSED,
            false,
          );
          refused(
            await h.broker.send(intent('close_partial', id, h.symbol, { volume: 0.1 })),
            RETCODE.MARKET_CLOSED,
            false,
          );
          refused(await h.broker.send(intent('close', id, h.symbol)), RETCODE.MARKET_CLOSED, false);
          expect((await h.broker.positions()).find((p) => p.id === id)).toMatchObject({
            volume: 0.2,
            sl: 1990,
            tp: 2030,
          });
        });
      },
    );
  });
}
