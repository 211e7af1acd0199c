// A ccxt adapter: BrokerPort for crypto derivatives, first Binance USD-M futures (`binanceusdm`). The
// exchange id comes from the options so other venues can follow, but the order shapes below (algo
// STOP_MARKET, reduceOnly, closePosition, positionSide) are Binance's.
//
// Choices, where Binance differs from MetaTrader:
// - Position id: Binance holds one position per symbol and side (one per symbol in one-way mode), so the
//   id is `${symbol}:long` or `${symbol}:short` (ccxt unified symbol, e.g. `BTC/USDT:USDT:long`). A
//   position that flips side in one-way mode is a new id. A position closed and reopened on the same side
//   gets the same id again (Binance has no ticket).
// - Volume: Warden's volume is ccxt's `contracts` (on binanceusdm one contract is one unit of the base
//   asset; `contractSize` is reported in the instrument for venues where it is not 1).
// - Stop and target: the position's open conditional (algo) orders: STOP_MARKET and TAKE_PROFIT_MARKET
//   with closePosition or reduceOnly (hedge mode: on the position's side) on the closing side. A
//   position with several stops has the newest (creation time, then algo id) as its stop loss.
// - Warden's stops are reduce-only STOP_MARKET orders for the position's quantity, triggered by the
//   mark price (hedge mode: positionSide instead of reduceOnly, which Binance refuses there). Not
//   closePosition: Binance keeps one closePosition stop per side (-4130 while one is open), so a new
//   one could only go in after the old one is gone, leaving the position without a stop in between.
//   editOrder is LIMIT-only.
// - Moving a stop is make before break: the new stop is placed first, then the old one (Warden's, the
//   trader's closePosition stop, or any the position holds) is cancelled. Two reduce-only stops can
//   close the position at most once; neither can open it the other way.
//   - The new stop refused, or its request lost: the old one is untouched, the answer is the error's
//     (rejected or unknown). Its answer lost after it went in: looked up by client id, applied.
//   - The cancel failing after the new stop is in: the move is applied (the new stop protects). The
//     cancel is tried up to 3 times, looking between tries whether the old stop is still open (a lost
//     answer that took effect); one left behind makes the position hold two stops, and the next read
//     of the positions shows the newest and cancels the older (positions()), as does a retry of the move.
//   - A crash between the two requests leaves two stops, never none; the restarted session reads the
//     newest. (The restore rule in exits/restoreStop.ts stays for a position found without its stop.)
// - Partial closes resize the stop: right after the reduce order fills, a reduce-only stop larger than
//   what is left is replaced (make before break) by one of the remaining size at the same trigger. If
//   that fails the old, larger stop stays: reduce-only, it still covers the remainder (see resizeStop).
//   A whole close by Warden cancels the position's stops (a quantity stop left open would act on the
//   next position of that side).
// - Request ids: the intent id, sanitised to Binance's client id alphabet and 36 characters, is the
//   order's client id: the same intent always gives the same one, in any process.
//   - Stop moves: the newest open stop carrying it means the move was applied (NO_CHANGES).
//   - Market orders (close, partial close, open): the venue is asked for an order with that client id
//     before sending; one there is not sent again (ccxtEarlierOrders.ts).
// - Comment: Binance positions carry none. The adapter remembers the comment of positions it opened in
//   this process; otherwise the comment is ''.
// - Stops and freeze levels do not exist on crypto venues (ccxtMarkets.ts). The stop must still be on
//   the tick grid and on the right side of the mark price (else Binance triggers it at once, -2021).
// - Partial closes: a lot-step multiple of at least the min amount, leaving zero or at least the min
//   amount. Min notional is left to Binance: in one-way mode the exit is reduceOnly, which Binance
//   exempts ("… unless you choose reduce only" in its -4164 text); in hedge mode (positionSide, no
//   reduceOnly) neither Binance's error text nor ccxt says whether a closing order is exempt, so the venue answers
//   and -4164 is a volume refusal. Opens are not exempt either way (-4164 from the venue).
// - Candles: the closed ones, `options.clock` telling the one still forming (ccxtMarkets.ts).
// - A closed position's history (closedPosition): the account's fills of the symbol on the position's
//   side while Warden saw it (ccxtAccountHistory.ts).
// - close(): ccxt's exchange.close() (its websocket clients; REST holds nothing); idempotent. A closed
//   adapter refuses requests (nothing sent) and its reads throw.
//
//
// Errors: ccxtErrors.ts maps Binance's codes and ccxt's error classes to answers.
//
// Remaining gaps:
// - Comments are remembered in-process only: after a restart a hedge's comment is ''.
// - A position closed another way (its stop or target, the trader) may leave Warden's quantity stops
//   open: whether Binance cancels reduce-only orders when a position goes flat is not recorded. A new
//   position of that side would read such a stop as its own.
// - Whether Binance, on a trigger, closes what is open of a reduce-only stop larger than the position
//   or refuses it is not recorded (why a partial close resizes at once).
// - A position with two stops costs a cancel on each read until one goes: the read does not wait.
// - A recognised partial fill answers DONE_PARTIAL with no words: BrokerAnswer's applied has no reason.
// - Binance forgets orders (Query Order: ended unfilled + 3 days, any + 90 days); a retry that late is
//   sent again. Retries come within seconds or minutes.
// - Whether Binance exempts hedge-mode closing orders from min notional is unconfirmed (a demo run tells).
// - A fresh market order is answered applied as soon as Binance accepts it, whatever its fill status.
// - REST polling only: no ccxt Pro streams yet.
import type { Exchange, Order, Position as CcxtPosition } from 'ccxt';
import { z } from 'zod';
import { isStepMultiple } from '../domain/rounding.ts';
import type { Bar, Instrument, Intent, Position, Side, Timeframe } from '../domain/types.ts';
import { RETCODE, type BrokerAnswer } from './brokerAnswer.ts';
import type {
  AccountFunds,
  AccountMode,
  BookedProfit,
  BrokerPort,
  BrokerQuote,
  ClosedPositionFacts,
  ClosedPositionQuery,
} from './brokerPort.ts';
import { bookedSince, closedPositionFills } from './ccxtAccountHistory.ts';
import { earlierOrder, type Filled, filledCode } from './ccxtEarlierOrders.ts';
import { answerForError } from './ccxtErrors.ts';
import {
  accountInfo,
  algoOrderInfo,
  clientOrderId,
  parsePositionId,
  positionIdOf,
  positionInfo,
  type AlgoOrderInfo,
} from './ccxtRecords.ts';
import { closedCandles, instrumentOf, type Market } from './ccxtMarkets.ts';
import { type CcxtBrokerOptions, openExchange } from './ccxtVenue.ts';
import { cancelStops, exitsOf, placeStop, protectedBy, QTY_EPS, resizeStop, triggerOf } from './ccxtStopOrders.ts';

export type { CcxtBrokerOptions } from './ccxtVenue.ts';

const refuse = (code: number, reason: string): BrokerAnswer => ({
  outcome: 'rejected',
  retryable: false,
  code,
  reason,
});

interface Held {
  position: Position;
  mark: number;
  /** The position's stop orders, oldest first. */
  stops: AlgoOrderInfo[];
}

export class CcxtBroker implements BrokerPort {
  readonly name: string;
  private exchange: Exchange | null = null;
  private loading: Promise<Exchange> | null = null;
  private hedge: boolean | null;
  /** Comments of positions this process opened (Binance positions carry none). */
  private readonly comments = new Map<string, string>();
  private closed = false;

  constructor(private readonly options: CcxtBrokerOptions) {
    this.name = `ccxt:${options.exchangeId}`;
    this.hedge = options.hedgeMode ?? null;
  }

  /** ccxt loaded on first use (a heavy module), markets loaded once. */
  private async venue(): Promise<Exchange> {
    if (this.closed) throw new Error(`${this.name}: the adapter is closed`);
    if (this.exchange) return this.exchange;
    this.loading ??= openExchange(this.options).then((ex) => (this.exchange = ex));
    try {
      return await this.loading;
    } catch (err) {
      this.loading = null;
      throw err;
    }
  }

  private secrets(): string[] {
    return [this.options.apiKey ?? '', this.options.secret ?? ''];
  }

  private market(ex: Exchange, symbol: string): Market {
    const m = ex.markets?.[symbol];
    if (!m) throw new Error(`${this.name}: no market ${symbol} (ccxt unified symbol, e.g. BTC/USDT:USDT)`);
    return m;
  }

  private async hedgeMode(ex: Exchange): Promise<boolean> {
    if (this.hedge === null) {
      const mode = (await ex.fetchPositionMode()) as { hedged?: unknown };
      this.hedge = mode.hedged === true;
    }
    return this.hedge;
  }

  async accountMode(): Promise<AccountMode> {
    return (await this.hedgeMode(await this.venue())) ? 'hedging' : 'netting';
  }

  async instrument(symbol: string): Promise<Instrument> {
    const ex = await this.venue();
    return instrumentOf(this.name, symbol, this.market(ex, symbol), () => this.hedgeMode(ex));
  }

  async quote(symbol: string): Promise<BrokerQuote> {
    const ex = await this.venue();
    this.market(ex, symbol);
    const book = await ex.fetchBidsAsks([symbol]);
    const t = book[symbol];
    if (!t || t.bid === undefined || t.ask === undefined) throw new Error(`${this.name}: no bid/ask for ${symbol}`);
    return { time: t.timestamp ?? Date.now(), bid: Number(t.bid), ask: Number(t.ask) };
  }

  async candles(symbol: string, timeframe: Timeframe, limit: number): Promise<Bar[]> {
    const ex = await this.venue();
    this.market(ex, symbol);
    return closedCandles(ex, symbol, timeframe, limit, this.options.clock ?? Date.now);
  }

  /**
   * The open positions. A position holding more than one stop, whose newest covers all of it, is a
   * move (or a resize) whose cancel of the old stop did not go through, or the trader's stop next to
   * Warden's: the newest is its stop loss, and the older ones are cancelled here (best effort; the
   * answer does not wait on them being gone, and the position keeps the newest either way). A newest
   * stop that covers only part (the trader's quantity stop) leaves the others alone.
   */
  async positions(): Promise<Position[]> {
    const ex = await this.venue();
    const held = [...(await this.held(ex)).values()];
    for (const h of held) {
      const newest = h.stops.at(-1);
      if (h.stops.length < 2 || !newest || protectedBy(newest, h.position.volume) < h.position.volume - QTY_EPS)
        continue;
      const hedged = await this.hedgeMode(ex);
      await cancelStops(ex, h.position, h.stops.slice(0, -1), () => this.stopsNow(ex, h.position, hedged));
    }
    return held.map((h) => h.position);
  }

  /** Open positions by id, with their stops and targets from the open conditional orders. */
  private async held(ex: Exchange): Promise<Map<string, Held>> {
    const [raw, orders] = await Promise.all([
      ex.fetchPositions(),
      ex.fetchOpenOrders(undefined, undefined, undefined, { trigger: true }),
    ]);
    const algo = orders.map((o: Order) => algoOrderInfo.safeParse(o.info)).flatMap((r) => (r.success ? [r.data] : []));
    const out = new Map<string, Held>();
    for (const p of raw as CcxtPosition[]) {
      const contracts = Number(p.contracts ?? 0);
      if (!(contracts > 0) || (p.side !== 'long' && p.side !== 'short') || !p.symbol) continue;
      const side: Side = p.side === 'long' ? 'buy' : 'sell';
      const id = positionIdOf(p.symbol, side);
      const m = ex.markets?.[p.symbol];
      const exits = exitsOf(algo, m?.id ?? p.symbol, side, positionInfo.safeParse(p.info).data?.positionSide ?? 'BOTH');
      const stop = exits.stops.at(-1);
      out.set(id, {
        mark: Number(p.markPrice ?? p.entryPrice ?? 0),
        stops: exits.stops,
        position: {
          id,
          symbol: p.symbol,
          side,
          volume: contracts,
          entryPrice: Number(p.entryPrice ?? 0),
          sl: stop ? triggerOf(stop) : null,
          tp: exits.target ? triggerOf(exits.target) : null,
          // Binance keeps no open time for a position, only its last update (which every fill,
          // margin change and funding moves): 0, "unknown". The live session then tells a position
          // closed and opened again by its entry price (execution/positionLifetimes.ts).
          openTime: 0,
          comment: this.comments.get(id) ?? '',
        },
      });
    }
    for (const id of this.comments.keys()) if (!out.has(id)) this.comments.delete(id);
    return out;
  }

  async send(intent: Intent): Promise<BrokerAnswer> {
    if (this.closed) return refuse(RETCODE.REJECT, `${this.name}: the adapter is closed; nothing was sent`);
    let ex: Exchange;
    try {
      ex = await this.venue();
    } catch (err) {
      return answerForError(err, this.secrets());
    }
    if (!ex.markets?.[intent.symbol]) return refuse(RETCODE.INVALID, `${this.name}: no market ${intent.symbol}`);
    try {
      if (intent.kind === 'move_stop') return await this.moveStop(ex, intent);
      // Market orders: this intent's order may already be at the venue (sent before an unknown answer, maybe by a previous process).
      const earlier = await earlierOrder(this.name, ex, intent);
      if (earlier !== null && 'outcome' in earlier) return earlier;
      if (intent.kind === 'open') return await this.open(ex, intent, earlier);
      return await this.closeVolume(ex, intent, intent.kind === 'close', earlier);
    } catch (err) {
      return answerForError(err, this.secrets(), this.retryAfterMs(ex));
    }
  }

  /** The Retry-After of the last response, when the venue gave one (seconds). */
  private retryAfterMs(ex: Exchange): number | undefined {
    const headers = (ex as unknown as { last_response_headers?: Record<string, string> }).last_response_headers;
    if (!headers) return undefined;
    const key = Object.keys(headers).find((k) => k.toLowerCase() === 'retry-after');
    const seconds = key ? Number(headers[key]) : Number.NaN;
    return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
  }

  private async target(ex: Exchange, intent: Intent): Promise<Held | BrokerAnswer> {
    const id = intent.targetId || intent.positionId;
    const parsed = parsePositionId(id);
    if (!parsed || parsed.symbol !== intent.symbol)
      return refuse(RETCODE.POSITION_CLOSED, `${this.name}: ${id} is not a position of ${intent.symbol}`);
    const held = (await this.held(ex)).get(id);
    return held ?? refuse(RETCODE.POSITION_CLOSED, `${this.name}: position ${id} is not open`);
  }

  private async moveStop(ex: Exchange, intent: Intent): Promise<BrokerAnswer> {
    const inst = await this.instrument(intent.symbol);
    const sl = intent.newSl;
    if (!Number.isFinite(sl) || sl <= 0) return refuse(RETCODE.INVALID_STOPS, `stop ${sl} is not a price`);
    if (!isStepMultiple(sl, inst.tickSize))
      return refuse(RETCODE.INVALID_STOPS, `stop ${sl} is off the tick grid (${inst.tickSize})`);
    const found = await this.target(ex, intent);
    if ('outcome' in found) return found;
    const { position, mark } = found;
    const cid = clientOrderId(intent.id);
    const hedged = await this.hedgeMode(ex);
    const stopsNow = () => this.stopsNow(ex, position, hedged);
    const before = await stopsNow();
    const applied: BrokerAnswer = { outcome: 'applied', code: RETCODE.DONE, price: mark, positionId: position.id };
    // A retry of a move whose new stop went in: the newest stop carries this intent's client id. Stops
    // older than it are what that move had still to cancel.
    if (before.at(-1)?.clientAlgoId === cid) {
      await cancelStops(ex, position, before.slice(0, -1), stopsNow);
      return { ...applied, code: RETCODE.NO_CHANGES };
    }
    const wrongSide = position.side === 'buy' ? sl >= mark : sl <= mark;
    if (wrongSide)
      return refuse(
        RETCODE.INVALID_STOPS,
        `stop ${sl} is on the wrong side of the mark price ${mark} (it would trigger at once)`,
      );
    // Make before break: the new stop first; the old ones stay until it is in.
    try {
      await placeStop(ex, position, sl, position.volume, cid, hedged);
    } catch (err) {
      // The answer is read before the venue is asked again (its Retry-After goes with the next response).
      const failed = answerForError(err, this.secrets(), this.retryAfterMs(ex));
      // The answer may be lost after the stop went in: looked up. Not there (or the venue unreadable):
      // the old stops were not touched, the error is the answer.
      const after = await stopsNow().catch(() => undefined);
      if (!after?.some((o) => o.clientAlgoId === cid)) return failed;
    }
    // The new stop is in: the move is applied, whatever happens to the old ones now.
    await cancelStops(ex, position, before, stopsNow);
    return applied;
  }

  /** The position's open stop orders at the venue now, oldest first. */
  private async stopsNow(ex: Exchange, position: Position, hedged: boolean): Promise<AlgoOrderInfo[]> {
    const m = this.market(ex, position.symbol);
    const algo = (await ex.fetchOpenOrders(position.symbol, undefined, undefined, { trigger: true }))
      .map((o: Order) => algoOrderInfo.safeParse(o.info))
      .flatMap((r) => (r.success ? [r.data] : []));
    return exitsOf(
      algo,
      m.id ?? position.symbol,
      position.side,
      hedged ? (position.side === 'buy' ? 'LONG' : 'SHORT') : 'BOTH',
    ).stops;
  }

  private async closeVolume(
    ex: Exchange,
    intent: Intent,
    whole: boolean,
    earlier: Filled | null,
  ): Promise<BrokerAnswer> {
    if (earlier) {
      // Applied before (its answer lost, maybe by another process): the stop's resize may not have
      // followed, so it is done now if the position is still open.
      if (!whole) {
        const held = await this.target(ex, intent).catch(() => undefined);
        if (held && !('outcome' in held)) {
          const hedged = await this.hedgeMode(ex);
          await resizeStop(ex, held.position, held.position.volume, clientOrderId(`${intent.id}:resize`), hedged, () =>
            this.stopsNow(ex, held.position, hedged),
          );
        }
      }
      return {
        outcome: 'applied',
        code: filledCode(earlier),
        price: Number.isFinite(earlier.price) ? earlier.price : intent.price,
        positionId: intent.targetId || intent.positionId,
      };
    }
    const inst = await this.instrument(intent.symbol);
    const found = await this.target(ex, intent);
    if ('outcome' in found) return found;
    const { position, mark } = found;
    const volume = whole ? position.volume : intent.volume;
    if (!whole) {
      if (!(volume > 0) || !isStepMultiple(volume, inst.lotStep))
        return refuse(RETCODE.INVALID_VOLUME, `volume ${volume} is not a multiple of the lot step ${inst.lotStep}`);
      if (volume < inst.minLot)
        return refuse(RETCODE.INVALID_VOLUME, `volume ${volume} is below the min amount ${inst.minLot}`);
      if (volume > position.volume + inst.lotStep / 2)
        return refuse(RETCODE.INVALID_CLOSE_VOLUME, `volume ${volume} is more than the ${position.volume} open`);
      const rest = position.volume - volume;
      if (rest > inst.lotStep / 2 && rest < inst.minLot - inst.lotStep / 2)
        return refuse(RETCODE.INVALID_VOLUME, `the remainder ${rest} would be below the min amount ${inst.minLot}`);
      // No min-notional check here: Binance exempts reduce-only orders (one-way), and in hedge mode the venue decides (-4164 mapped).
    }
    const hedged = await this.hedgeMode(ex);
    const closing = position.side === 'buy' ? 'sell' : 'buy';
    const amount = Number(ex.amountToPrecision(intent.symbol, volume));
    // One-way: reduceOnly, so an exit never opens or flips. Hedge: ccxt sends positionSide instead (-1106 otherwise).
    const order = await ex.createOrder(intent.symbol, 'market', closing, amount, undefined, {
      reduceOnly: true,
      clientOrderId: clientOrderId(intent.id),
      ...(hedged ? { hedged: true } : {}),
    });
    const filled = Number(order.filled);
    const rest = Number((position.volume - (filled > 0 ? filled : amount)).toFixed(12));
    if (whole || !(rest > QTY_EPS)) {
      // Flat: its stops have nothing left to protect, and a quantity stop left open would act on the
      // next position of that side. Cancelled (best effort; a lost one is the next read's to see).
      await cancelStops(ex, position, await this.stopsNow(ex, position, hedged).catch(() => []), () =>
        this.stopsNow(ex, position, hedged),
      );
    } else {
      // Right after the fill, the stop goes to the size left (make before break; see resizeStop).
      await resizeStop(ex, position, rest, clientOrderId(`${intent.id}:resize`), hedged, () =>
        this.stopsNow(ex, position, hedged),
      );
    }
    return {
      outcome: 'applied',
      code: RETCODE.DONE,
      price: Number(order.average ?? order.price ?? mark),
      positionId: position.id,
    };
  }

  private async open(ex: Exchange, intent: Intent, earlier: Filled | null): Promise<BrokerAnswer> {
    const inst = await this.instrument(intent.symbol);
    const volume = intent.volume;
    if (!earlier && (!(volume >= inst.minLot) || !isStepMultiple(volume, inst.lotStep) || volume > inst.maxLot))
      return refuse(
        RETCODE.INVALID_VOLUME,
        `volume ${volume} is not a lot-step multiple within [${inst.minLot}, ${inst.maxLot}]`,
      );
    const hedged = await this.hedgeMode(ex);
    const id = positionIdOf(intent.symbol, intent.side);
    let price: number;
    let code: number = RETCODE.DONE;
    if (earlier) {
      price = Number.isFinite(earlier.price) ? earlier.price : intent.price;
      code = filledCode(earlier);
    } else {
      const order = await ex.createOrder(
        intent.symbol,
        'market',
        intent.side,
        Number(ex.amountToPrecision(intent.symbol, volume)),
        undefined,
        { clientOrderId: clientOrderId(intent.id), ...(hedged ? { hedged: true } : {}) },
      );
      price = Number(order.average ?? order.price ?? intent.price);
    }
    if (!hedged) {
      // One-way (no stop placed: the stop of the symbol's netted position stays the owner's): the order netted into the symbol's position, whatever side it is on now.
      const net = [...(await this.held(ex)).values()].find((h) => h.position.symbol === intent.symbol);
      return { outcome: 'applied', code, price, positionId: net?.position.id ?? id };
    }
    if (intent.comment) this.comments.set(id, intent.comment);
    if (Number.isFinite(intent.newSl)) {
      // A retry of an open that filled: its stop may never have been placed (the answer was lost before it).
      const held = earlier ? (await this.held(ex)).get(id) : undefined;
      const position: Position = held?.position ?? {
        id,
        symbol: intent.symbol,
        side: intent.side,
        volume,
        entryPrice: price,
        sl: null,
        tp: null,
        openTime: 0,
        comment: intent.comment,
      };
      if (!earlier || (held && held.position.sl === null)) {
        // Best effort: the position is open either way, answered as applied; positions() shows it without a stop when this fails.
        await placeStop(ex, position, intent.newSl, position.volume, clientOrderId(`${intent.id}:sl`), true).catch(
          () => undefined,
        );
      }
    }
    return { outcome: 'applied', code, price, positionId: id };
  }

  /**
   * The wallet (GET /fapi/v3/account through fetchBalance): balance = totalWalletBalance, equity =
   * totalMarginBalance (the wallet plus the unrealized profit), margin in use and available, in USDT
   * (USD-M totals are USDT's, or its value for the other margin assets).
   */
  async funds(): Promise<AccountFunds> {
    const ex = await this.venue();
    const balance = await ex.fetchBalance();
    const r = accountInfo.safeParse(balance.info);
    if (!r.success)
      throw new Error(`ccxt: malformed account from ${ex.id}: ${z.prettifyError(r.error).replace(/\s+/g, ' ')}`);
    const a = r.data;
    return {
      currency: 'USDT',
      balance: a.totalWalletBalance,
      equity: a.totalMarginBalance,
      margin: a.totalInitialMargin ?? null,
      freeMargin: a.availableBalance ?? null,
      notes: [],
    };
  }

  /** The wallet's bookings since `since` (see ccxtAccountHistory.ts). */
  async bookedSince(since: number): Promise<BookedProfit[]> {
    return bookedSince(await this.venue(), since);
  }

  /**
   * A position's fills from the account's trade history (fetchMyTrades, GET /fapi/v1/userTrades, a week
   * at a time as Binance requires). Binance has no position id: the fills of the symbol on the position's
   * side (hedge mode: its positionSide; one-way: BOTH) between `since` and `until` are taken as this
   * position's, the closing side's `out` (SELL for a long), the other `in`. The profit is Binance's
   * realizedPnl, the fees its commission (charged: negative here; a commission in another asset than the
   * margin's is taken as it is). What made a closing fill is asked of its order (GET /fapi/v1/order by
   * orderId, once per order): the client id of one of Warden's requests, else STOP / STOP_MARKET `sl`,
   * TAKE_PROFIT(_MARKET) `tp`, LIQUIDATION (or an `autoclose-` client id) `stop_out`, any other
   * `outside`; an order Binance no longer knows (it forgets them after 3 to 90 days) `unknown`.
   * Null when no fill of the position is in the window.
   */
  async closedPosition(q: ClosedPositionQuery): Promise<ClosedPositionFacts | null> {
    const ex = await this.venue();
    const m = this.market(ex, q.symbol);
    return closedPositionFills(ex, m.id, await this.hedgeMode(ex), q);
  }

  /** Releases ccxt's connections (its websocket clients, if any were opened). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ex = this.exchange ?? (this.loading ? await this.loading.catch(() => null) : null);
    this.exchange = null;
    this.loading = null;
    if (ex && typeof ex.close === 'function') await ex.close();
  }
}
