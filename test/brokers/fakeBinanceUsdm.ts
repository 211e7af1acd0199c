// An in-memory Binance USD-M futures REST API for the ccxt adapter's tests, served through ccxt's
// `fetchImplementation` (ccxt's hook for its HTTP transport, so no network is needed). It knows one
// test market, XAUUSDT (`XAU/USDT:USDT`, listed on Binance USD-M; gold-like prices fit the contract's
// 2000), positions per symbol and side, open conditional (algo) orders, the market orders it filled
// (queryable by client id, as GET /fapi/v1/order is), M1 klines fed by the test (served per
// interval), a book ticker, and the order rules the adapter must respect: lot size, tick size, min
// notional (one-way: unless reduce-only; hedge mode: see `hedgeCloseMinNotional`), reduce-only never
// flipping, positionSide in hedge mode and never together with reduceOnly, one closePosition stop per
// side (-4130), a quantity stop's quantity on the lot grid, a stop that would trigger at once. A
// request it does not know is recorded and throws: `unexpected` must stay empty.
// It records each position's protected quantity after every change (`protectedHistory`: what its stops
// would close, capped at the size), so a test can hold the adapter to "a stop, once there, never
// covers less than the open size" (brokerContract.ts: protectionLapses).
//
// Checked against ccxt's recorded Binance data (repository ccxt/ccxt, read as reference, nothing copied).
// There is no ts/src/test/static/response/binanceusdm.json, and request/binanceusdm.json holds only
// cancelOrders: the USD-M recordings sit in the `binance` files (swap markets go to fapi).
// - Responses, static/response/binance.json: fetchPositions (raw GET /fapi/v3/positionRisk: same 20
//   fields, decimal strings; margins, mark, PnL and notional to 8 places), fetchOHLCV swap (klines rows:
//   ms times and trade count as numbers, prices and volumes as strings, 12 columns), createOrders /
//   editOrders / fetchOpenOrder / fetchOrders swap (the order object: GET has `time`, the POST answer has
//   `cumQty` and no `time`; priceMatch, selfTradePreventionMode, goodTillDate; quantities and prices as
//   padded decimal strings; booleans as booleans). static/markets/binance.json: the raw exchangeInfo entry
//   of linear perpetuals (margin percents, MAX_NUM_ORDERS / MAX_NUM_ALGO_ORDERS / PERCENT_PRICE filters,
//   GTD). Fixed here: the order, position and algo decimals, the missing order, market and filter
//   fields, the POST order answer (had `time`, lacked `cumQty`), an unfilled order's avgPrice (0, not
//   the bid), quantity with closePosition (-4137, was -1106).
// - Integer types are not settled by the data: ccxt's older recordings have integers as strings
//   ("orderId", "updateTime", "adl", "deliveryDate"), its 2025 ones and Binance's docs numbers. The
//   fake sends numbers; `integersAsStrings` serves the other variant (the adapter reads both).
// - Requests, static/request/binance.json (createOrder swap market / reduceOnly / hedged reduceOnly /
//   conditional, cancelOrder {trigger:true}, fetchOpenOrders {trigger:true}, fetchOrder by client id,
//   fetchPositions, fetchPositionMode, fetchBidsAsks, fetchOHLCV with until, fetchLeverageTiers): same
//   paths and parameter names as the adapter sends through ccxt 4.5.84, except the algo order's client
//   id: recorded (Nov 2025, demo-fapi) as newClientOrderId, a key ccxt's own request test skips; 4.5.84
//   sends clientAlgoId, Binance's name on /fapi/v1/algoOrder. The fake reads clientAlgoId.
// For the live soak (test/soak/): `walkMark` plays a bar's path on the mark price and fills the stops
// and targets it reaches (closePosition: all of the position; reduce-only: their quantity), `traderMoveStop`
// moves the closePosition stop by hand (`traderCancelStops` removes them all), and `cancelExitsWhenFlat`
// cancels a position's stops and targets once it is flat, as the UI's position TP/SL go with the
// position (off by default: whether Binance cancels closePosition or reduce-only orders placed through
// the API when the position closes another way is not verified either).
// Not verified (no recording): the algo order responses (the shapes here, open order and cancel answer,
// are the examples in ccxt 4.5.84's binance.js parseOrder notes; quantity and reduceOnly of a
// closePosition order; algoStatus values other than NEW; whether a reduce-only stop larger than the
// position is taken, and what it does on a trigger: the fake takes it and closes what is open), the
// unknown-algo-order error, every error
// body (codes and texts from ccxt's error table), GET /fapi/v1/positionSide/dual, bookTicker,
// leverageBracket and the exchangeInfo wrapper (Binance's docs), whether hedge-mode positionRisk lists
// the empty side too, klines paging with only endTime, the hedge-mode min-notional question below.
// The account's fills (GET /fapi/v1/userTrades, for a closed position's history) follow the shape in
// ccxt 4.5.84's binance.js fetchMyTrades notes (the portfolio-margin linear example, which has
// positionSide; the USD-M one lacks it) and are not verified either: the fields, the refusal of a window
// over 7 days (Binance's docs; the code -1127 is a guess), and what order a triggered conditional order
// leaves behind (played here as a FILLED order whose type and origType are the algo order's type, with
// the client id `trig_<algoId>`; the trader's own orders carry `web_<n>`), queried by orderId.
import type { Bar } from '../../src/domain/types.ts';
import type { ContractFault, ProtectedSample } from './brokerContract.ts';

export const XAU = 'XAU/USDT:USDT';
const XAU_ID = 'XAUUSDT';
const TICK = 0.01;
const STEP = 0.001;
const MIN_QTY = 0.001;
const MIN_NOTIONAL = 5;
const SPREAD = 0.1;

const xauMarket = {
  symbol: XAU_ID,
  pair: XAU_ID,
  contractType: 'PERPETUAL',
  deliveryDate: 4133404800000,
  onboardDate: 1700000000000,
  status: 'TRADING',
  baseAsset: 'XAU',
  quoteAsset: 'USDT',
  marginAsset: 'USDT',
  pricePrecision: 2,
  quantityPrecision: 3,
  baseAssetPrecision: 8,
  quotePrecision: 8,
  maintMarginPercent: '2.5000',
  requiredMarginPercent: '5.0000',
  underlyingType: 'COMMODITY',
  underlyingSubType: [],
  settlePlan: 0,
  triggerProtect: '0.0500',
  liquidationFee: '0.012500',
  marketTakeBound: '0.05',
  maxMoveOrderLimit: 10000,
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: '100', maxPrice: '100000', tickSize: String(TICK) },
    { filterType: 'LOT_SIZE', stepSize: String(STEP), maxQty: '1000', minQty: String(MIN_QTY) },
    { filterType: 'MARKET_LOT_SIZE', stepSize: String(STEP), maxQty: '100', minQty: String(MIN_QTY) },
    { filterType: 'MAX_NUM_ORDERS', limit: 200 },
    { filterType: 'MAX_NUM_ALGO_ORDERS', limit: 10 },
    { filterType: 'MIN_NOTIONAL', notional: String(MIN_NOTIONAL) },
    { filterType: 'PERCENT_PRICE', multiplierUp: '1.0500', multiplierDown: '0.9500', multiplierDecimal: '4' },
  ],
  orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
  timeInForce: ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
};

/** Binance's decimal strings: quantities to the lot step, prices to the tick, averages and quote sums to 5 places, margins to 8. */
const fmtQty = (v: number) => v.toFixed(3);
const fmtPx = (v: number) => v.toFixed(2);
const fmtDec = (v: number, places: number) => v.toFixed(places);

type PositionSide = 'LONG' | 'SHORT' | 'BOTH';
interface FakePosition {
  symbol: string;
  positionSide: PositionSide;
  amt: number;
  entry: number;
}
interface AlgoOrder {
  algoId: number;
  clientAlgoId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  positionSide: PositionSide;
  orderType: string;
  triggerPrice: number;
  quantity: number;
  closePosition: boolean;
  reduceOnly: boolean;
  workingType: string;
}
export interface SeenRequest {
  method: string;
  path: string;
  params: Record<string, string>;
}
/** A closePosition stop or target the mark reached (walkMark): it closed the whole position. */
export interface ExitFill {
  positionId: string;
  kind: 'stop' | 'target';
  trigger: number;
  price: number;
  volume: number;
  clientAlgoId: string;
}
/** A market order as GET /fapi/v1/order reports it (the fields ccxt's parseOrder reads). */
export interface FakeOrder {
  orderId: number;
  clientOrderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  positionSide: PositionSide;
  status: string;
  origQty: number;
  executedQty: number;
  avgPrice: number;
  reduceOnly: boolean;
  time: number;
  /** The order's type as placed: MARKET (default), or STOP_MARKET / TAKE_PROFIT_MARKET for a triggered conditional order. */
  origType?: string;
}
/** A fill as GET /fapi/v1/userTrades reports it (the fields the adapter reads, and the others Binance sends). */
export interface FakeTrade {
  id: number;
  orderId: number;
  symbol: string;
  side: 'BUY' | 'SELL';
  positionSide: PositionSide;
  price: number;
  qty: number;
  realizedPnl: number;
  commission: number;
  time: number;
}

/** Binance's kline intervals the fake serves, ms. */
const INTERVAL_MS: Readonly<Record<string, number>> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
};
const KLINES_MAX = 1500;

class BinanceError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    msg: string,
  ) {
    super(msg);
  }
}

const onGrid = (v: number, step: number) => Math.abs(v / step - Math.round(v / step)) < 1e-7;
const round = (v: number) => Number(v.toFixed(8));
const VOLATILE = new Set(['timestamp', 'signature', 'recvWindow']);

export class FakeBinanceUsdm {
  dualSide = false;
  bid = 2000;
  readonly positions = new Map<string, FakePosition>();
  readonly algo: AlgoOrder[] = [];
  /** Every request, volatile fields (timestamp, signature, recvWindow) left out. */
  readonly seen: SeenRequest[] = [];
  readonly unexpected: string[] = [];
  /** Market orders the venue took, oldest first (a timeout after the fill still records it). */
  readonly orders: FakeOrder[] = [];
  /** Orders not placed through the API: the trader's (traderOpen, traderClose) and the conditional orders the mark triggered (walkMark). */
  readonly otherOrders: FakeOrder[] = [];
  /** Every fill, oldest first (GET /fapi/v1/userTrades): realized profit on the closing part, a taker commission of 0.04%. */
  readonly trades: FakeTrade[] = [];
  /** The venue's clock (epoch ms): klines after it do not exist yet. */
  now = Date.UTC(2024, 4, 16, 10);
  /** What was deposited in the USDT wallet: the balance before any booking. */
  deposit = 10_000;
  /**
   * Whether a hedge-mode closing order (positionSide, no reduceOnly: Binance refuses the flag there)
   * must still meet MIN_NOTIONAL. Binance's -4164 text exempts only orders flagged reduce-only, and
   * no recorded or live run has told either way, so the fake can play both (default: enforced).
   */
  hedgeCloseMinNotional = true;
  /**
   * Serve the integer fields of objects as strings ("orderId": "3397148653", "updateTime": "1722161166529"),
   * as ccxt's older recorded Binance responses have them; its 2025 recordings and Binance's docs have
   * numbers (the default). Booleans, kline rows and error bodies stay as they are in both.
   */
  integersAsStrings = false;
  /** A position going flat (or flipping) cancels its stops and targets, closePosition and reduce-only (see the header). */
  cancelExitsWhenFlat = false;
  /**
   * The protected quantity of each position over time: after every change of the venue's state (a
   * write request, the trader's hand, the mark reaching a stop or target), one sample per position
   * whose size, protected quantity or stop count changed. Protected: what the position's stop orders
   * would close, each reduce-only (or hedge-mode) stop its quantity up to the size, a closePosition
   * stop all of it, the sum up to the size.
   */
  readonly protectedHistory: ProtectedSample[] = [];
  private bars: Bar[] = [];
  /** Faults of the next write requests (POST, DELETE), in order; null: that one goes through. */
  private faults: (ContractFault | null)[] = [];
  private nextId = 1000;
  /** Ids of the orders not placed through the API and of the fills: counted apart, so the API's ids stay as they were. */
  private nextOtherId = 900_000;
  private nextTradeId = 1;

  /** What a position's stops would close now (see `protectedHistory`), and how many there are. */
  protectedNow(key: string): { size: number; protected: number; stops: number } {
    const pos = this.positions.get(key);
    const size = Math.abs(pos?.amt ?? 0);
    if (!pos || size === 0) return { size: 0, protected: 0, stops: 0 };
    const stops = this.stopsOf(pos);
    const sum = stops.reduce((acc, o) => acc + (o.closePosition ? size : Math.min(o.quantity, size)), 0);
    return { size, protected: round(Math.min(sum, size)), stops: stops.length };
  }

  /** The STOP_MARKET orders that close (part of) this position. */
  private stopsOf(pos: FakePosition): AlgoOrder[] {
    const closing = pos.amt > 0 ? 'SELL' : 'BUY';
    return this.algo.filter(
      (o) =>
        o.symbol === pos.symbol &&
        o.positionSide === pos.positionSide &&
        o.side === closing &&
        o.orderType === 'STOP_MARKET' &&
        (o.closePosition || o.reduceOnly || o.positionSide !== 'BOTH'),
    );
  }

  private record(by: ProtectedSample['by'], what: string): void {
    for (const [key, pos] of this.positions) {
      const id = `${XAU}:${pos.positionSide === 'BOTH' ? (pos.amt >= 0 ? 'long' : 'short') : pos.positionSide === 'LONG' ? 'long' : 'short'}`;
      const now = this.protectedNow(key);
      const last = this.lastSample.get(key);
      if (
        last &&
        last.size === now.size &&
        last.protected === now.protected &&
        last.stops === now.stops &&
        last.position === id
      )
        continue;
      // One-way: a flat position has no side; its last sample keeps the id it had.
      const sample: ProtectedSample = { position: now.size === 0 && last ? last.position : id, ...now, by, what };
      this.lastSample.set(key, sample);
      this.protectedHistory.push(sample);
    }
  }

  private readonly lastSample = new Map<string, ProtectedSample>();

  failNext(kind: ContractFault): void {
    this.faults = [kind];
  }

  /** Faults of the next few write requests in turn (null: that one goes through). */
  failWrites(kinds: readonly (ContractFault | null)[]): void {
    this.faults = [...kinds];
  }

  /** The venue holds these M1 bars of XAUUSDT (oldest first; the last may be forming at `now`). */
  feedBars(bars: readonly Bar[], now: number): void {
    this.bars = [...bars].sort((a, b) => a.time - b.time);
    this.now = now;
  }

  /** An order the venue already holds under this client id (sent before the adapter's retry). */
  pastOrder(
    o: Pick<FakeOrder, 'clientOrderId' | 'side' | 'status' | 'origQty' | 'executedQty'> & Partial<FakeOrder>,
  ): FakeOrder {
    const order: FakeOrder = {
      orderId: this.nextId++,
      symbol: XAU_ID,
      positionSide: this.dualSide ? (o.side === 'SELL' ? 'LONG' : 'SHORT') : 'BOTH',
      avgPrice: this.bid,
      reduceOnly: !this.dualSide,
      time: this.now,
      ...o,
    };
    this.orders.push(order);
    return order;
  }

  /** A position opened by the trader outside Warden, with its stop and target as conditional orders. */
  traderOpen(side: 'buy' | 'sell', volume: number, sl: number | null, tp: number | null): string {
    const positionSide: PositionSide = this.dualSide ? (side === 'buy' ? 'LONG' : 'SHORT') : 'BOTH';
    this.fill(
      XAU_ID,
      side === 'buy' ? 'BUY' : 'SELL',
      positionSide,
      volume,
      this.otherOrder(side === 'buy' ? 'BUY' : 'SELL', positionSide, volume, 'MARKET', `web_${this.nextOtherId}`),
    );
    const closing = side === 'buy' ? 'SELL' : 'BUY';
    const exit = (orderType: string, triggerPrice: number) =>
      this.algo.push({
        algoId: this.nextId++,
        clientAlgoId: `trader_${this.nextId}`,
        symbol: XAU_ID,
        side: closing,
        positionSide,
        orderType,
        triggerPrice,
        quantity: 0,
        closePosition: true,
        reduceOnly: false,
        workingType: 'MARK_PRICE',
      });
    if (sl !== null) exit('STOP_MARKET', sl);
    if (tp !== null) exit('TAKE_PROFIT_MARKET', tp);
    this.record('trader', `open ${side} ${volume}`);
    return `${XAU}:${side === 'buy' ? 'long' : 'short'}`;
  }

  /** The trader closes a position outside Warden (a market order for all of it); its stop and target orders go with it. */
  traderClose(side: 'buy' | 'sell'): void {
    const positionSide: PositionSide = this.dualSide ? (side === 'buy' ? 'LONG' : 'SHORT') : 'BOTH';
    const pos = this.positions.get(`${XAU_ID}:${positionSide}`);
    if (!pos || pos.amt === 0) throw new Error(`fake binance: no ${side} position to close`);
    const by = pos.amt > 0 ? 'SELL' : 'BUY';
    this.fill(
      XAU_ID,
      by,
      positionSide,
      Math.abs(pos.amt),
      this.otherOrder(by, positionSide, Math.abs(pos.amt), 'MARKET', `web_${this.nextOtherId}`),
    );
    const closing = side === 'buy' ? 'SELL' : 'BUY';
    for (let i = this.algo.length - 1; i >= 0; i--)
      if (this.algo[i]!.side === closing && this.algo[i]!.positionSide === positionSide) this.algo.splice(i, 1);
    this.record('trader', `close ${side}`);
  }

  /** The trader cancels a position's stop orders by hand (all of them): a deliberate removal. */
  traderCancelStops(side: 'buy' | 'sell'): void {
    const positionSide: PositionSide = this.dualSide ? (side === 'buy' ? 'LONG' : 'SHORT') : 'BOTH';
    const closing = side === 'buy' ? 'SELL' : 'BUY';
    for (let i = this.algo.length - 1; i >= 0; i--) {
      const o = this.algo[i]!;
      if (o.side === closing && o.positionSide === positionSide && o.orderType === 'STOP_MARKET')
        this.algo.splice(i, 1);
    }
    this.record('trader', `cancel the ${side} stops`);
  }

  /**
   * The trader moves a position's stop by hand (cancel and place, as the UI does): a closePosition
   * STOP_MARKET at `sl`. Throws when it would trigger at once (Binance's -2021).
   */
  traderMoveStop(side: 'buy' | 'sell', sl: number): void {
    const positionSide: PositionSide = this.dualSide ? (side === 'buy' ? 'LONG' : 'SHORT') : 'BOTH';
    const closing = side === 'buy' ? 'SELL' : 'BUY';
    if (closing === 'SELL' ? sl >= this.bid : sl <= this.bid)
      throw new Error(`fake binance: a ${side} stop at ${sl} would trigger at once (mark ${this.bid})`);
    for (let i = this.algo.length - 1; i >= 0; i--) {
      const o = this.algo[i]!;
      if (o.side === closing && o.positionSide === positionSide && o.orderType === 'STOP_MARKET' && o.closePosition)
        this.algo.splice(i, 1);
    }
    this.algo.push({
      algoId: this.nextId++,
      clientAlgoId: `trader_${this.nextId}`,
      symbol: XAU_ID,
      side: closing,
      positionSide,
      orderType: 'STOP_MARKET',
      triggerPrice: sl,
      quantity: 0,
      closePosition: true,
      reduceOnly: false,
      workingType: 'MARK_PRICE',
    });
    this.record('trader', `move the ${side} stop to ${sl}`);
  }

  /**
   * The mark price walks `path` (a bar's open, its extremes in the order they came, its close) and
   * stays at its last point. A stop or target the walk reaches closes its position there (a
   * closePosition order all of it, a reduce-only or hedge-mode order its quantity up to what is open):
   * at the trigger price, or at the point the walk stood when it was already beyond (a gap). Of two
   * orders reached in one leg, the one nearer the leg's start fills first. Returns the fills.
   */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  walkMark(path: readonly number[]): ExitFill[] {
    const fills: ExitFill[] = [];
    let from = path[0] ?? this.bid;
    for (const to of path) {
      for (;;) {
        let best: { o: AlgoOrder; price: number; pos: FakePosition } | null = null;
        for (const o of this.algo) {
          if (!(o.closePosition || o.reduceOnly || o.positionSide !== 'BOTH') || o.symbol !== XAU_ID) continue;
          const pos = this.positions.get(`${XAU_ID}:${o.positionSide}`);
          if (!pos || pos.amt === 0 || pos.amt > 0 !== (o.side === 'SELL')) continue;
          // A SELL stop and a BUY target trigger at or below their price; the others at or above.
          const below = (o.side === 'SELL') === (o.orderType === 'STOP_MARKET');
          const beyondAtStart = below ? from <= o.triggerPrice : from >= o.triggerPrice;
          const reached =
            beyondAtStart || (below ? Math.min(from, to) <= o.triggerPrice : Math.max(from, to) >= o.triggerPrice);
          if (!reached) continue;
          const price = beyondAtStart ? from : o.triggerPrice;
          if (best === null || Math.abs(price - from) < Math.abs(best.price - from)) best = { o, price, pos };
        }
        if (best === null) break;
        const { o, price, pos } = best;
        const qty = o.closePosition ? Math.abs(pos.amt) : Math.min(o.quantity, Math.abs(pos.amt));
        const side = pos.amt > 0 ? 'long' : 'short';
        this.bid = price;
        this.fill(
          XAU_ID,
          o.side,
          o.positionSide,
          qty,
          this.otherOrder(o.side, o.positionSide, qty, o.orderType, `trig_${o.algoId}`),
        );
        // The triggered order is done with; once flat, so are the rest of the position's closePosition orders.
        const flat = pos.amt === 0;
        for (let i = this.algo.length - 1; i >= 0; i--) {
          const x = this.algo[i]!;
          if (
            x === o ||
            (flat && x.closePosition && x.symbol === XAU_ID && x.positionSide === o.positionSide && x.side === o.side)
          )
            this.algo.splice(i, 1);
        }
        this.record('market', `${o.orderType} ${o.triggerPrice} filled ${qty}`);
        fills.push({
          positionId: `${XAU}:${side}`,
          kind: o.orderType === 'STOP_MARKET' ? 'stop' : 'target',
          trigger: o.triggerPrice,
          price,
          volume: qty,
          clientAlgoId: o.clientAlgoId,
        });
      }
      from = to;
    }
    this.bid = path[path.length - 1] ?? this.bid;
    return fills;
  }

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init?.method ?? 'GET').toUpperCase();
    const params: Record<string, string> = {};
    const collect = (q: URLSearchParams) =>
      q.forEach((v, k) => {
        if (!VOLATILE.has(k)) params[k] = v;
      });
    collect(url.searchParams);
    if (typeof init?.body === 'string' && init.body.length > 0) collect(new URLSearchParams(init.body));
    this.seen.push({ method, path: url.pathname, params });
    const write = method === 'POST' || method === 'DELETE';
    const fault = write ? (this.faults.shift() ?? null) : null;
    if (fault === 'rate_limit')
      return json(
        429,
        { code: -1003, msg: 'Too many requests; current limit of IP is 2400 requests per minute.' },
        { 'Retry-After': '2' },
      );
    if (fault === 'reject') {
      return method === 'DELETE'
        ? json(400, { code: -2011, msg: 'Unknown order sent.' })
        : json(400, {
            code: -4164,
            msg: "Order's notional must be no smaller than 5 (unless you choose reduce only).",
          });
    }
    if (fault === 'requote') throw new Error('fake binance: Binance does not requote (the contract skips this case)');
    if (fault === 'timeout_lost') throw timeoutError();
    let body: unknown;
    try {
      body = this.route(method, url.pathname, params);
    } catch (err) {
      if (err instanceof BinanceError) return json(err.status, { code: err.code, msg: err.message });
      throw err;
    } finally {
      if (write)
        this.record(
          'warden',
          `${method} ${url.pathname}${params['type'] ? ` ${params['type']}` : ''}${params['quantity'] ? ` ${params['quantity']}` : ''}`,
        );
    }
    if (fault === 'timeout_applied') throw timeoutError();
    return json(200, this.integersAsStrings ? stringifyIntegers(body) : body);
  };

  private route(method: string, path: string, p: Record<string, string>): unknown {
    const key = `${method} ${path}`;
    switch (key) {
      case 'GET /fapi/v1/exchangeInfo':
        return {
          timezone: 'UTC',
          serverTime: this.now,
          rateLimits: [],
          exchangeFilters: [],
          assets: [],
          symbols: [xauMarket],
        };
      case 'GET /fapi/v1/leverageBracket':
        return [
          {
            symbol: XAU_ID,
            notionalCoef: 1,
            brackets: [
              {
                bracket: 1,
                initialLeverage: 20,
                notionalCap: 1000000,
                notionalFloor: 0,
                maintMarginRatio: 0.01,
                cum: 0,
              },
            ],
          },
        ];
      case 'GET /fapi/v1/positionSide/dual':
        return { dualSidePosition: this.dualSide };
      case 'GET /fapi/v1/ticker/bookTicker': {
        const one = {
          symbol: XAU_ID,
          bidPrice: String(this.bid),
          bidQty: '10',
          askPrice: String(round(this.bid + SPREAD)),
          askQty: '10',
          time: this.now,
        };
        return p['symbol'] ? one : [one];
      }
      case 'GET /fapi/v3/positionRisk':
        return [...this.positions.values()].filter((x) => x.amt !== 0).map((x) => this.positionRisk(x));
      case 'GET /fapi/v1/openAlgoOrders':
        return this.algo.filter((o) => !p['symbol'] || o.symbol === p['symbol']).map((o) => this.algoJson(o));
      case 'DELETE /fapi/v1/algoOrder': {
        const at = this.algo.findIndex((o) => String(o.algoId) === p['algoId'] || o.clientAlgoId === p['clientAlgoId']);
        if (at < 0) throw new BinanceError(400, -2011, 'Unknown order sent.');
        const [o] = this.algo.splice(at, 1);
        return { algoId: o!.algoId, clientAlgoId: o!.clientAlgoId, code: '200', msg: 'success' };
      }
      case 'POST /fapi/v1/algoOrder':
        return this.algoJson(this.placeAlgo(p));
      case 'POST /fapi/v1/order':
        return this.placeMarket(p);
      case 'GET /fapi/v1/order':
        return this.orderJson(this.queryOrder(p));
      case 'GET /fapi/v1/klines':
        return this.klines(p);
      case 'GET /fapi/v1/userTrades':
        return this.userTrades(p);
      case 'GET /fapi/v3/account':
        return this.account();
      case 'GET /fapi/v1/income':
        return this.income(p);
    }
    this.unexpected.push(key);
    throw new Error(`fake binance: unexpected request ${key}`);
  }

  private positionSideOf(p: Record<string, string>): PositionSide {
    const ps = (p['positionSide'] ?? 'BOTH') as PositionSide;
    if (this.dualSide && ps === 'BOTH')
      throw new BinanceError(400, -4061, "Order's position side does not match user's setting.");
    if (!this.dualSide && ps !== 'BOTH')
      throw new BinanceError(400, -4061, "Order's position side does not match user's setting.");
    if (this.dualSide && p['reduceOnly'] !== undefined)
      throw new BinanceError(400, -1106, "Parameter 'reduceonly' sent when not required.");
    return ps;
  }

  private placeMarket(p: Record<string, string>): unknown {
    if (p['symbol'] !== XAU_ID) throw new BinanceError(400, -1121, 'Invalid symbol.');
    if (p['type'] !== 'MARKET') throw new BinanceError(400, -1116, 'Invalid orderType.');
    const side = p['side'] as 'BUY' | 'SELL';
    const qty = Number(p['quantity']);
    if (!onGrid(qty, STEP)) throw new BinanceError(400, -1111, 'Precision is over the maximum defined for this asset.');
    if (qty < MIN_QTY) throw new BinanceError(400, -4003, 'Quantity less than or equal to zero.');
    const ps = this.positionSideOf(p);
    const reduceOnly = p['reduceOnly'] === 'true';
    const held = this.positions.get(`${XAU_ID}:${ps}`)?.amt ?? 0;
    const sign = side === 'BUY' ? 1 : -1;
    const reduces = ps === 'BOTH' ? held * sign < 0 : (ps === 'LONG') === (side === 'SELL');
    if (reduceOnly && (!reduces || qty > Math.abs(held) + 1e-9))
      throw new BinanceError(400, -2022, 'ReduceOnly Order is rejected.');
    if (ps !== 'BOTH' && reduces && qty > Math.abs(held) + 1e-9)
      throw new BinanceError(400, -2022, 'ReduceOnly Order is rejected.');
    const price = side === 'BUY' ? round(this.bid + SPREAD) : this.bid;
    // One-way: only the reduce-only flag exempts (a plain order that happens to reduce does not). Hedge mode: a closing order, if the switch says so.
    const exempt = ps === 'BOTH' ? reduceOnly : reduces && !this.hedgeCloseMinNotional;
    if (!exempt && qty * price < MIN_NOTIONAL)
      throw new BinanceError(
        400,
        -4164,
        `Order's notional must be no smaller than ${MIN_NOTIONAL} (unless you choose reduce only).`,
      );
    const orderId = this.nextId++;
    this.fill(XAU_ID, side, ps, qty, orderId);
    const order: FakeOrder = {
      orderId,
      clientOrderId: p['newClientOrderId'] ?? `auto_${this.nextId}`,
      symbol: XAU_ID,
      side,
      positionSide: ps,
      status: 'FILLED',
      origQty: qty,
      executedQty: qty,
      avgPrice: price,
      reduceOnly,
      time: this.now,
    };
    this.orders.push(order);
    return this.orderJson(order, 'placed');
  }

  /** GET /fapi/v1/order: by orderId or origClientOrderId (the latest with it), else -2013. */
  private queryOrder(p: Record<string, string>): FakeOrder {
    if (!p['symbol'])
      throw new BinanceError(400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
    if (p['symbol'] !== XAU_ID) throw new BinanceError(400, -1121, 'Invalid symbol.');
    const byClient = p['origClientOrderId'];
    if (byClient === undefined && p['orderId'] === undefined)
      throw new BinanceError(
        400,
        -1102,
        "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
      );
    const found = [...this.orders, ...this.otherOrders]
      .sort((a, b) => a.orderId - b.orderId)
      .filter((o) => (byClient !== undefined ? o.clientOrderId === byClient : String(o.orderId) === p['orderId']))
      .at(-1);
    if (!found) throw new BinanceError(400, -2013, 'Order does not exist.');
    return found;
  }

  /**
   * An order as Binance answers it: `queried` is GET /fapi/v1/order (with `time`), `placed` is the
   * POST /fapi/v1/order answer with newOrderRespType=RESULT (ccxt always asks for it): `cumQty`, no `time`.
   */
  private orderJson(o: FakeOrder, as: 'queried' | 'placed' = 'queried'): unknown {
    const filled = o.executedQty > 0;
    return {
      orderId: o.orderId,
      symbol: o.symbol,
      status: o.status,
      clientOrderId: o.clientOrderId,
      price: fmtPx(0),
      avgPrice: fmtDec(filled ? o.avgPrice : 0, 5),
      origQty: fmtQty(o.origQty),
      executedQty: fmtQty(o.executedQty),
      ...(as === 'placed' ? { cumQty: fmtQty(o.executedQty) } : {}),
      cumQuote: fmtDec(o.executedQty * o.avgPrice, 5),
      timeInForce: 'GTC',
      type: o.origType ?? 'MARKET',
      reduceOnly: o.reduceOnly,
      closePosition: false,
      side: o.side,
      positionSide: o.positionSide,
      stopPrice: fmtPx(0),
      workingType: 'CONTRACT_PRICE',
      priceProtect: false,
      origType: o.origType ?? 'MARKET',
      priceMatch: 'NONE',
      selfTradePreventionMode: 'NONE',
      goodTillDate: 0,
      ...(as === 'queried' ? { time: o.time } : {}),
      updateTime: o.time,
    };
  }

  /**
   * GET /fapi/v1/klines: the fed M1 bars rolled up to `interval`, none opening after `now`. With
   * startTime the first `limit` from it, else the last `limit` up to endTime (or now); rows as Binance
   * sends them: [openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, takerBuyBase, takerBuyQuote, ignore].
   */
  private klines(p: Record<string, string>): unknown {
    if (p['symbol'] !== XAU_ID) throw new BinanceError(400, -1121, 'Invalid symbol.');
    const ms = INTERVAL_MS[p['interval'] ?? ''];
    if (ms === undefined) throw new BinanceError(400, -1120, 'Invalid interval.');
    const limit = p['limit'] === undefined ? 500 : Number(p['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > KLINES_MAX)
      throw new BinanceError(400, -1130, "Data sent for parameter 'limit' is not valid.");
    const start = p['startTime'] === undefined ? -Infinity : Number(p['startTime']);
    const end = Math.min(p['endTime'] === undefined ? Infinity : Number(p['endTime']), this.now);
    const rolled: Bar[] = [];
    for (const b of this.bars) {
      const open = Math.floor(b.time / ms) * ms;
      const last = rolled.at(-1);
      if (last && last.time === open) {
        last.high = Math.max(last.high, b.high);
        last.low = Math.min(last.low, b.low);
        last.close = b.close;
        last.volume += b.volume;
      } else rolled.push({ ...b, time: open });
    }
    const inRange = rolled.filter((b) => b.time >= start && b.time <= end);
    const rows =
      p['startTime'] !== undefined ? inRange.slice(0, limit) : inRange.slice(Math.max(0, inRange.length - limit));
    return rows.map((b) => [
      b.time,
      String(b.open),
      String(b.high),
      String(b.low),
      String(b.close),
      String(b.volume),
      b.time + ms - 1,
      String(round(b.volume * b.close)),
      1,
      '0',
      '0',
      '0',
    ]);
  }

  private placeAlgo(p: Record<string, string>): AlgoOrder {
    if (p['algoType'] !== 'CONDITIONAL')
      throw new BinanceError(400, -1102, 'Mandatory parameter algoType was not sent.');
    if (p['symbol'] !== XAU_ID) throw new BinanceError(400, -1121, 'Invalid symbol.');
    const orderType = p['type'] ?? '';
    if (orderType !== 'STOP_MARKET' && orderType !== 'TAKE_PROFIT_MARKET')
      throw new BinanceError(400, -1116, 'Invalid orderType.');
    const closePosition = p['closePosition'] === 'true';
    if (closePosition && p['reduceOnly'] !== undefined)
      throw new BinanceError(400, -1106, "Parameter 'reduceonly' sent when not required.");
    if (closePosition && Number(p['quantity'] ?? 0) !== 0)
      throw new BinanceError(400, -4137, 'Quantity must be zero with closePosition equals true.');
    if (!closePosition) {
      // A quantity order (reduce-only, or on a hedge-mode side): its quantity on the lot grid, at least the min.
      const qty = Number(p['quantity'] ?? Number.NaN);
      if (!Number.isFinite(qty) || qty < MIN_QTY)
        throw new BinanceError(400, -4003, 'Quantity less than or equal to zero.');
      if (!onGrid(qty, STEP))
        throw new BinanceError(400, -1111, 'Precision is over the maximum defined for this asset.');
    }
    const trigger = Number(p['triggerPrice']);
    if (!onGrid(trigger, TICK)) throw new BinanceError(400, -4014, 'Price not increased by tick size.');
    const side = p['side'] as 'BUY' | 'SELL';
    const ps = this.positionSideOf(p);
    const mark = this.bid;
    const isStop = orderType === 'STOP_MARKET';
    // A SELL stop below the mark, a BUY stop above it; targets the other way round.
    const immediate = (side === 'SELL') === isStop ? trigger >= mark : trigger <= mark;
    if (immediate) throw new BinanceError(400, -2021, 'Order would immediately trigger.');
    if (
      closePosition &&
      this.algo.some(
        (o) =>
          o.closePosition &&
          o.symbol === XAU_ID &&
          o.side === side &&
          o.positionSide === ps &&
          o.orderType === orderType,
      )
    ) {
      throw new BinanceError(
        400,
        -4130,
        'An open stop or take profit order with GTE and closePosition in the direction is existing.',
      );
    }
    const o: AlgoOrder = {
      algoId: this.nextId++,
      clientAlgoId: p['clientAlgoId'] ?? `auto_${this.nextId}`,
      symbol: XAU_ID,
      side,
      positionSide: ps,
      orderType,
      triggerPrice: trigger,
      quantity: Number(p['quantity'] ?? 0),
      closePosition,
      reduceOnly: p['reduceOnly'] === 'true',
      workingType: p['workingType'] ?? 'CONTRACT_PRICE',
    };
    this.algo.push(o);
    return o;
  }

  /** An order not placed through the API, filled at once (the trader's, or a triggered conditional order): its id. */
  private otherOrder(
    side: 'BUY' | 'SELL',
    ps: PositionSide,
    qty: number,
    origType: string,
    clientOrderId: string,
  ): number {
    const price = side === 'BUY' ? round(this.bid + SPREAD) : this.bid;
    const order: FakeOrder = {
      orderId: this.nextOtherId++,
      clientOrderId,
      symbol: XAU_ID,
      side,
      positionSide: ps,
      status: 'FILLED',
      origQty: qty,
      executedQty: qty,
      avgPrice: price,
      reduceOnly: origType !== 'MARKET',
      time: this.now,
      origType,
    };
    this.otherOrders.push(order);
    return order.orderId;
  }

  /**
   * GET /fapi/v1/userTrades: the symbol's fills from startTime to endTime (both optional; more than 7
   * days between them is refused, as Binance documents), oldest first, at most `limit` (default 500, up
   * to 1000).
   */
  /** The wallet's bookings: each fill's realized profit (when it has one) and its commission (charged: negative). */
  private incomeRows(): {
    symbol: string;
    incomeType: string;
    income: number;
    time: number;
    tranId: number;
    tradeId: number;
  }[] {
    const rows = [];
    for (const t of this.trades) {
      if (t.realizedPnl !== 0)
        rows.push({
          symbol: t.symbol,
          incomeType: 'REALIZED_PNL',
          income: t.realizedPnl,
          time: t.time,
          tranId: t.id * 10 + 1,
          tradeId: t.id,
        });
      if (t.commission !== 0)
        rows.push({
          symbol: t.symbol,
          incomeType: 'COMMISSION',
          income: -t.commission,
          time: t.time,
          tranId: t.id * 10 + 2,
          tradeId: t.id,
        });
    }
    return rows;
  }

  /** GET /fapi/v3/account (single-asset mode, USDT): the deposit plus every booking; the margin balance adds the positions' unrealized profit. */
  private account(): unknown {
    const wallet = this.deposit + this.incomeRows().reduce((sum, r) => sum + r.income, 0);
    const open = [...this.positions.values()].filter((x) => x.amt !== 0);
    const unrealized = open.reduce((sum, x) => sum + (this.bid - x.entry) * x.amt, 0);
    const initial = open.reduce((sum, x) => sum + Math.abs(x.amt * this.bid) / 20, 0);
    const margin = wallet + unrealized;
    const d = (x: number) => fmtDec(x, 8);
    return {
      totalInitialMargin: d(initial),
      totalMaintMargin: d(initial / 5),
      totalWalletBalance: d(wallet),
      totalUnrealizedProfit: d(unrealized),
      totalMarginBalance: d(margin),
      totalPositionInitialMargin: d(initial),
      totalOpenOrderInitialMargin: '0.00000000',
      totalCrossWalletBalance: d(wallet),
      totalCrossUnPnl: d(unrealized),
      availableBalance: d(margin - initial),
      maxWithdrawAmount: d(margin - initial),
      assets: [
        {
          asset: 'USDT',
          walletBalance: d(wallet),
          unrealizedProfit: d(unrealized),
          marginBalance: d(margin),
          maintMargin: d(initial / 5),
          initialMargin: d(initial),
          positionInitialMargin: d(initial),
          openOrderInitialMargin: '0.00000000',
          crossWalletBalance: d(wallet),
          crossUnPnl: d(unrealized),
          availableBalance: d(margin - initial),
          maxWithdrawAmount: d(margin - initial),
          updateTime: this.now,
        },
      ],
      positions: [],
    };
  }

  /** GET /fapi/v1/income: oldest first from startTime, at most `limit` (default 100, at most 1000). */
  private income(p: Record<string, string>): unknown {
    const start = p['startTime'] === undefined ? this.now - 7 * 86_400_000 : Number(p['startTime']);
    const end = p['endTime'] === undefined ? Infinity : Number(p['endTime']);
    const limit = p['limit'] === undefined ? 100 : Number(p['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new BinanceError(400, -1130, "Data sent for parameter 'limit' is not valid.");
    return this.incomeRows()
      .filter(
        (r) =>
          r.time >= start &&
          r.time <= end &&
          (p['symbol'] === undefined || r.symbol === p['symbol']) &&
          (p['incomeType'] === undefined || r.incomeType === p['incomeType']),
      )
      .slice(0, limit)
      .map((r) => ({
        symbol: r.symbol,
        incomeType: r.incomeType,
        income: fmtDec(r.income, 8),
        asset: 'USDT',
        info: r.incomeType === 'REALIZED_PNL' ? String(r.tradeId) : 'TRADE',
        time: r.time,
        tranId: r.tranId,
        tradeId: String(r.tradeId),
      }));
  }

  private userTrades(p: Record<string, string>): unknown {
    if (p['symbol'] !== XAU_ID) throw new BinanceError(400, -1121, 'Invalid symbol.');
    const start = p['startTime'] === undefined ? -Infinity : Number(p['startTime']);
    const end = p['endTime'] === undefined ? Infinity : Number(p['endTime']);
    if (end - start > 7 * 24 * 3_600_000)
      throw new BinanceError(400, -1127, 'More than 7 days between startTime and endTime.');
    const limit = p['limit'] === undefined ? 500 : Number(p['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new BinanceError(400, -1130, "Data sent for parameter 'limit' is not valid.");
    return this.trades
      .filter((t) => t.symbol === p['symbol'] && t.time >= start && t.time <= end)
      .slice(0, limit)
      .map((t) => ({
        symbol: t.symbol,
        id: t.id,
        orderId: t.orderId,
        side: t.side,
        price: fmtPx(t.price),
        qty: fmtQty(t.qty),
        realizedPnl: fmtDec(t.realizedPnl, 8),
        marginAsset: 'USDT',
        quoteQty: fmtDec(t.qty * t.price, 5),
        commission: fmtDec(t.commission, 8),
        commissionAsset: 'USDT',
        time: t.time,
        positionSide: t.positionSide,
        buyer: t.side === 'BUY',
        maker: false,
      }));
  }

  private fill(symbol: string, side: 'BUY' | 'SELL', ps: PositionSide, qty: number, orderId: number): void {
    const key = `${symbol}:${ps}`;
    const pos = this.positions.get(key) ?? { symbol, positionSide: ps, amt: 0, entry: 0 };
    const price = side === 'BUY' ? round(this.bid + SPREAD) : this.bid;
    const delta = side === 'BUY' ? qty : -qty;
    // The part that reduces the position realizes its profit against the entry.
    const reducing = pos.amt !== 0 && Math.sign(delta) !== Math.sign(pos.amt) ? Math.min(qty, Math.abs(pos.amt)) : 0;
    const realizedPnl = round(reducing * (price - pos.entry) * Math.sign(pos.amt));
    this.trades.push({
      id: this.nextTradeId++,
      orderId,
      symbol,
      side,
      positionSide: ps,
      price,
      qty,
      realizedPnl,
      commission: round(qty * price * 0.0004),
      time: this.now,
    });
    const next = round(pos.amt + delta);
    if (pos.amt === 0 || Math.sign(next) !== Math.sign(pos.amt)) pos.entry = price;
    else if (Math.abs(next) > Math.abs(pos.amt))
      pos.entry = round((pos.entry * Math.abs(pos.amt) + price * qty) / Math.abs(next));
    const was = pos.amt;
    pos.amt = next;
    this.positions.set(key, pos);
    if (this.cancelExitsWhenFlat && was !== 0 && (next === 0 || Math.sign(next) !== Math.sign(was))) {
      const closing = was > 0 ? 'SELL' : 'BUY';
      for (let i = this.algo.length - 1; i >= 0; i--) {
        const o = this.algo[i]!;
        if (
          (o.closePosition || o.reduceOnly || o.positionSide !== 'BOTH') &&
          o.symbol === symbol &&
          o.positionSide === ps &&
          o.side === closing
        )
          this.algo.splice(i, 1);
      }
    }
  }

  /** GET /fapi/v3/positionRisk, one row: cross margin at the bracket's 20x and 1% maintenance. */
  private positionRisk(x: FakePosition): unknown {
    const notional = x.amt * this.bid;
    const initial = fmtDec(Math.abs(notional) / 20, 8);
    return {
      symbol: x.symbol,
      positionSide: x.positionSide,
      positionAmt: fmtQty(x.amt),
      entryPrice: String(x.entry),
      breakEvenPrice: String(x.entry),
      markPrice: fmtDec(this.bid, 8),
      unRealizedProfit: fmtDec((this.bid - x.entry) * x.amt, 8),
      liquidationPrice: '0',
      isolatedMargin: '0',
      notional: fmtDec(notional, 8),
      marginAsset: 'USDT',
      isolatedWallet: '0',
      initialMargin: initial,
      maintMargin: fmtDec(Math.abs(notional) * 0.01, 8),
      positionInitialMargin: initial,
      openOrderInitialMargin: '0',
      adl: 1,
      bidNotional: '0',
      askNotional: '0',
      updateTime: 1715853600000,
    };
  }

  /** An open conditional order as POST /fapi/v1/algoOrder and GET /fapi/v1/openAlgoOrders give it (the shape in ccxt 4.5.84's parseOrder notes). */
  private algoJson(o: AlgoOrder): unknown {
    return {
      algoId: o.algoId,
      clientAlgoId: o.clientAlgoId,
      algoType: 'CONDITIONAL',
      orderType: o.orderType,
      symbol: o.symbol,
      side: o.side,
      positionSide: o.positionSide,
      timeInForce: 'GTC',
      quantity: fmtQty(o.quantity),
      algoStatus: 'NEW',
      triggerPrice: fmtPx(o.triggerPrice),
      price: fmtPx(0),
      icebergQuantity: null,
      selfTradePreventionMode: 'EXPIRE_MAKER',
      workingType: o.workingType,
      priceMatch: 'NONE',
      closePosition: o.closePosition,
      priceProtect: false,
      reduceOnly: o.reduceOnly,
      createTime: 1715853600000,
      updateTime: 1715853600000,
      triggerTime: 0,
      goodTillDate: 0,
    };
  }
}

/** Integer-valued object fields as strings (array elements, as in kline rows, are left alone). */
function stringifyIntegers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x !== null && typeof x === 'object' ? stringifyIntegers(x) : x));
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [
      k,
      typeof x === 'number' && Number.isInteger(x) ? String(x) : stringifyIntegers(x),
    ]),
  );
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** What a transport's timeout looks like to ccxt (it maps TimeoutError and AbortError to RequestTimeout). */
function timeoutError(): Error {
  const e = new Error('The operation was aborted due to timeout');
  e.name = 'TimeoutError';
  return e;
}
