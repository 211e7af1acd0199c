// The two venues of the soak, held by the driver process: the fake Binance USD-M API (for the ccxt
// adapter) and the fake MetaApi SDK connection (for the MetaApi adapter), each fed the real M1 bars a
// bar at a time. A bar plays on the venue's price (open, the extreme reached first, the other, close),
// so stops and targets fill where the market reached them; then it closes at the venue and the venue's
// clock stands a second past its close. The venue answers the child's requests (the adapter's HTTP
// requests, or its SDK calls), injects the faults it is told to, and is read for the audit.
import { clientOrderId } from '../../src/brokers/ccxtRecords.ts';
import { clientIdFor } from '../../src/brokers/metaApiClientIds.ts';
import type { MetatraderCandle, MetatraderSymbolPrice } from '../../src/brokers/metaApiGateway.ts';
import type { Bar, Side } from '../../src/domain/types.ts';
import type { Intent } from '../../src/domain/types.ts';
import type { ContractFault } from '../brokers/brokerContract.ts';
import { FakeBinanceUsdm, XAU as BINANCE_XAU } from '../brokers/fakeBinanceUsdm.ts';
import { FakeMetaApi, XAU as MT5_XAU } from '../brokers/fakeMetaApi.ts';
import type { AuditSource, VenuePosition } from './venueAudit.ts';
import type { WireResponse } from './ipc.ts';

export const BAR_MS = 60_000;
/** The venue's clock after a bar: a second past its close (as a live venue's, polled just after). */
export const clockAfter = (bar: Bar): number => bar.time + BAR_MS + 1_000;

/** A request of the child to the venue. */
export type VenueRequest =
  | { t: 'fetch'; url: string; method: string; body: string | null }
  | { t: 'gateway'; method: string; args: unknown[] };

/** What a write request did at the venue, for the journal checks. */
export interface AppliedWrite {
  /** 'market': an order that filled (a close, a partial, an open); 'stop': a stop placed or moved. */
  what: 'market' | 'stop';
  /** The request's client id (Binance client order id, MetaApi clientId); '' when the request has none. */
  clientId: string;
  /** The position it acted on ('' for an open). */
  positionId: string;
  /** For a stop: its price. */
  sl: number;
  /** The order's comment (MetaTrader: an open whose comment leaves no room for a client id is known by it). */
  comment: string;
  step: number;
}

export interface SoakVenue {
  readonly kind: 'binance' | 'metaapi';
  /** The symbol as Warden's config names it. */
  readonly symbol: string;
  readonly faultKinds: readonly ContractFault[];
  /** Price grid of stops. */
  readonly tick: number;
  /** The trader's position size, and its minimum step. */
  readonly tradeVolume: number;
  /** Several positions at once (MetaTrader hedging) or one per symbol and side (Binance one-way: one per symbol). */
  readonly maxTraderPositions: number;
  now: number;
  /** Bars the venue holds before the first start (they warm Warden's features). */
  loadHistory(bars: readonly Bar[]): void;
  /** One bar plays and closes at the venue; returns what the market did to the positions. */
  playBar(bar: Bar): string[];
  /** Answers a request of the child; throws what the venue's transport would throw. */
  handle(req: VenueRequest): Promise<unknown>;
  /** Whether the request changes the venue (the ones faults and the kills at a write aim at). */
  isWrite(req: VenueRequest): boolean;
  /** Whether it is the bar feed's poll (left out when counting a step's requests). */
  isPoll(req: VenueRequest): boolean;
  /** How the audit names the request. */
  describe(req: VenueRequest): AuditSource & { by: 'warden' };
  injectFault(kind: ContractFault): void;
  positions(): VenuePosition[];
  /** What the write did, read from the venue after it (null: nothing the checks look at). */
  appliedBy(req: VenueRequest, before: VenueSnapshot, step: number): AppliedWrite[];
  snapshot(): VenueSnapshot;
  /** The client id the adapter gives a request of this intent (the journal check maps them back). */
  clientIdsOf(intent: Intent): { id: string; role: 'request' | 'restore' | 'stop_of_open' }[];
  // The trader's hands.
  bid(): number;
  /** The entry a market order of `side` would get now. */
  entryIfOpened(side: Side): number;
  traderOpen(side: Side, volume: number, sl: number, tp: number): string;
  traderClose(id: string): void;
  traderMoveStop(id: string, sl: number): void;
  /** MetaApi's streaming connection: what the child's listener receives after a bar. */
  streamAfterBar(): { symbol: string; candles: unknown[]; price: unknown } | null;
  /** Requests the venue did not know (must stay empty). */
  unexpected(): string[];
}

/** Counts of what the venue holds that the checks read: orders filled by client id, stops placed by client id. */
export interface VenueSnapshot {
  orders: number;
  algoIds: Set<number>;
  deals: number;
  book: Map<string, { sl: number | null }>;
}

const WRITE_PATHS = new Set(['POST /fapi/v1/order', 'POST /fapi/v1/algoOrder', 'DELETE /fapi/v1/algoOrder']);

/** The intra-bar path: a rising bar reached its low first, a falling bar its high. */
export const barPath = (b: Bar): number[] =>
  b.close >= b.open ? [b.open, b.low, b.high, b.close] : [b.open, b.high, b.low, b.close];

export class BinanceSoakVenue implements SoakVenue {
  readonly kind = 'binance';
  readonly symbol = BINANCE_XAU;
  // Binance does not requote.
  readonly faultKinds: readonly ContractFault[] = ['rate_limit', 'reject', 'timeout_applied', 'timeout_lost'];
  readonly tick = 0.01;
  readonly tradeVolume = 0.5;
  readonly maxTraderPositions = 1;
  readonly fake = new FakeBinanceUsdm();
  private bars: Bar[] = [];

  constructor() {
    this.fake.cancelExitsWhenFlat = true;
  }

  get now(): number {
    return this.fake.now;
  }
  set now(v: number) {
    this.fake.now = v;
  }

  loadHistory(bars: readonly Bar[]): void {
    this.bars = [...bars];
    const last = bars[bars.length - 1]!;
    this.fake.bid = last.close;
    this.fake.feedBars(this.bars, clockAfter(last));
  }

  playBar(bar: Bar): string[] {
    const fills = this.fake.walkMark(barPath(bar));
    this.bars.push(bar);
    this.fake.feedBars(this.bars, clockAfter(bar));
    // The fake records every request; the soak reads only what it needs, so the log stays short.
    this.fake.seen.length = 0;
    return fills.map((f) => `${f.kind} of ${f.positionId} at ${f.price} (trigger ${f.trigger}, ${f.volume})`);
  }

  async handle(req: VenueRequest): Promise<WireResponse> {
    if (req.t !== 'fetch') throw new Error(`binance venue: not an HTTP request: ${req.method}`);
    const res = await this.fake.fetch(req.url, {
      method: req.method,
      ...(req.body !== null ? { body: req.body } : {}),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    return { status: res.status, headers, body: await res.text() };
  }

  private route(req: VenueRequest): { key: string; params: URLSearchParams } {
    if (req.t !== 'fetch') return { key: '', params: new URLSearchParams() };
    const url = new URL(req.url);
    const params = new URLSearchParams(url.search);
    if (req.body) new URLSearchParams(req.body).forEach((v, k) => params.set(k, v));
    return { key: `${req.method} ${url.pathname}`, params };
  }

  isWrite(req: VenueRequest): boolean {
    return WRITE_PATHS.has(this.route(req).key);
  }

  isPoll(req: VenueRequest): boolean {
    return this.route(req).key === 'GET /fapi/v1/klines';
  }

  describe(req: VenueRequest): AuditSource & { by: 'warden' } {
    const { key, params } = this.route(req);
    const cid = params.get('newClientOrderId') ?? params.get('clientAlgoId') ?? '';
    const what =
      key === 'POST /fapi/v1/algoOrder'
        ? `${key} ${params.get('type')} ${params.get('triggerPrice')}`
        : key === 'POST /fapi/v1/order'
          ? `${key} ${params.get('side')} ${params.get('quantity')}`
          : `${key} ${params.get('algoId') ?? ''}`;
    return { by: 'warden', request: what, clientId: cid };
  }

  injectFault(kind: ContractFault): void {
    this.fake.failNext(kind);
  }

  positions(): VenuePosition[] {
    const out: VenuePosition[] = [];
    for (const p of this.fake.positions.values()) {
      if (p.amt === 0) continue;
      const long = p.amt > 0;
      const closing = long ? 'SELL' : 'BUY';
      const mine = this.fake.algo.filter(
        (o) =>
          (o.closePosition || o.reduceOnly || o.positionSide !== 'BOTH') &&
          o.side === closing &&
          o.positionSide === p.positionSide,
      );
      // Warden's stops are quantity stops placed before the old one is cancelled: the newest is the stop.
      const stops = mine.filter((o) => o.orderType === 'STOP_MARKET').sort((x, y) => x.algoId - y.algoId);
      const target = mine.find((o) => o.orderType === 'TAKE_PROFIT_MARKET');
      out.push({
        id: `${BINANCE_XAU}:${long ? 'long' : 'short'}`,
        side: long ? 'buy' : 'sell',
        volume: Math.abs(p.amt),
        entry: p.entry,
        sl: stops.at(-1)?.triggerPrice ?? null,
        tp: target?.triggerPrice ?? null,
        stops: stops.filter((o) => o.closePosition).length,
        comment: '',
      });
    }
    return out;
  }

  snapshot(): VenueSnapshot {
    return {
      orders: this.fake.orders.length,
      algoIds: new Set(this.fake.algo.map((o) => o.algoId)),
      deals: 0,
      book: new Map(),
    };
  }

  appliedBy(req: VenueRequest, before: VenueSnapshot, step: number): AppliedWrite[] {
    const out: AppliedWrite[] = [];
    for (const o of this.fake.orders.slice(before.orders))
      if (o.executedQty > 0)
        out.push({
          what: 'market',
          clientId: o.clientOrderId,
          positionId: `${BINANCE_XAU}:${(o.side === 'SELL') === o.reduceOnly ? 'long' : 'short'}`,
          sl: Number.NaN,
          comment: '',
          step,
        });
    for (const o of this.fake.algo) {
      if (before.algoIds.has(o.algoId) || o.orderType !== 'STOP_MARKET') continue;
      out.push({
        what: 'stop',
        clientId: o.clientAlgoId,
        positionId: `${BINANCE_XAU}:${o.side === 'SELL' ? 'long' : 'short'}`,
        sl: o.triggerPrice,
        comment: '',
        step,
      });
    }
    void req;
    return out;
  }

  clientIdsOf(intent: Intent): { id: string; role: 'request' | 'restore' | 'stop_of_open' }[] {
    return [
      { id: clientOrderId(intent.id), role: 'request' },
      { id: clientOrderId(`${intent.id}:restore`), role: 'restore' },
      // A partial close's stop resized to what is left: the same stop again, not a second decision.
      { id: clientOrderId(`${intent.id}:resize`), role: 'restore' },
      { id: clientOrderId(`${intent.id}:sl`), role: 'stop_of_open' },
    ];
  }

  bid(): number {
    return this.fake.bid;
  }

  entryIfOpened(side: Side): number {
    // The fake fills a buy at the ask (bid + 0.1) and a sell at the bid.
    return side === 'buy' ? Number((this.fake.bid + 0.1).toFixed(8)) : this.fake.bid;
  }

  traderOpen(side: Side, volume: number, sl: number, tp: number): string {
    return this.fake.traderOpen(side, volume, sl, tp);
  }

  traderClose(id: string): void {
    this.fake.traderClose(id.endsWith(':long') ? 'buy' : 'sell');
  }

  traderMoveStop(id: string, sl: number): void {
    this.fake.traderMoveStop(id.endsWith(':long') ? 'buy' : 'sell', sl);
  }

  streamAfterBar(): null {
    return null;
  }

  unexpected(): string[] {
    return this.fake.unexpected;
  }
}

const TRADE_CALLS = new Set([
  'modifyPosition',
  'closePositionPartially',
  'closePosition',
  'createMarketBuyOrder',
  'createMarketSellOrder',
]);
/** The calls the fake answers for the adapter (anything else is a harness error). */
const GATEWAY_CALLS = new Set([
  ...TRADE_CALLS,
  'getAccountInformation',
  'getPositions',
  'getSymbolSpecification',
  'getSymbolPrice',
  'subscribeToMarketData',
  'getHistoricalCandles',
  'getDealsByTimeRange',
  'getDealsByPosition',
]);

export class MetaApiSoakVenue implements SoakVenue {
  readonly kind = 'metaapi';
  readonly symbol = MT5_XAU;
  readonly faultKinds: readonly ContractFault[] = [
    'rate_limit',
    'reject',
    'requote',
    'timeout_applied',
    'timeout_lost',
  ];
  readonly tick = 0.001;
  readonly tradeVolume = 0.3;
  readonly maxTraderPositions = 4;
  readonly fake = new FakeMetaApi('hedging');
  private lastBar: Bar | null = null;

  get now(): number {
    return this.fake.now;
  }
  set now(v: number) {
    this.fake.now = v;
  }

  loadHistory(bars: readonly Bar[]): void {
    const last = bars[bars.length - 1]!;
    this.fake.now = clockAfter(last);
    this.fake.feedBars(bars);
    this.fake.setBid(last.close);
    this.lastBar = last;
  }

  playBar(bar: Bar): string[] {
    this.fake.now = bar.time + BAR_MS;
    const closes = this.fake.walkQuote(barPath(bar));
    this.fake.now = clockAfter(bar);
    this.fake.feedBars([bar]);
    this.fake.setBid(bar.close);
    this.lastBar = bar;
    // The fake logs every call; the soak reads only what it needs.
    this.fake.calls.length = 0;
    return closes.map((c) => `${c.kind} of ${c.positionId} at ${c.price} (level ${c.level}, ${c.volume})`);
  }

  async handle(req: VenueRequest): Promise<unknown> {
    if (req.t !== 'gateway' || !GATEWAY_CALLS.has(req.method))
      throw new Error(
        `metaapi venue: not a gateway call the soak serves: ${req.t === 'gateway' ? req.method : req.url}`,
      );
    const fn = (this.fake as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[req.method]!;
    return fn.apply(this.fake, req.args);
  }

  isWrite(req: VenueRequest): boolean {
    return req.t === 'gateway' && TRADE_CALLS.has(req.method);
  }

  isPoll(req: VenueRequest): boolean {
    return req.t === 'gateway' && req.method === 'getHistoricalCandles';
  }

  describe(req: VenueRequest): AuditSource & { by: 'warden' } {
    if (req.t !== 'gateway') return { by: 'warden', request: req.url, clientId: '' };
    const options = req.args.find(
      (a): a is { clientId?: string } => typeof a === 'object' && a !== null && !(a instanceof Date),
    );
    const shown = req.args
      .filter((a) => typeof a !== 'object' || a === null)
      .map(String)
      .join(', ');
    return { by: 'warden', request: `${req.method}(${shown})`, clientId: options?.clientId ?? '' };
  }

  injectFault(kind: ContractFault): void {
    this.fake.failNext(kind);
  }

  positions(): VenuePosition[] {
    return this.fake.heldPositions().map((p) => ({
      id: p.id,
      side: p.side,
      volume: p.volume,
      entry: p.openPrice,
      sl: p.sl,
      tp: p.tp,
      stops: p.sl === null ? 0 : 1,
      comment: p.comment,
    }));
  }

  snapshot(): VenueSnapshot {
    return {
      orders: 0,
      algoIds: new Set(),
      deals: this.fake.deals.length,
      book: new Map(this.fake.heldPositions().map((p) => [p.id, { sl: p.sl }])),
    };
  }

  appliedBy(req: VenueRequest, before: VenueSnapshot, step: number): AppliedWrite[] {
    const out: AppliedWrite[] = [];
    for (const d of this.fake.deals.slice(before.deals))
      out.push({
        what: 'market',
        clientId: d.clientId ?? '',
        positionId: d.positionId ?? '',
        sl: Number.NaN,
        comment: d.comment ?? '',
        step,
      });
    if (req.t === 'gateway' && req.method === 'modifyPosition') {
      const id = String(req.args[0]);
      const now = this.fake.heldPositions().find((p) => p.id === id);
      const was = before.book.get(id);
      if (now && was && now.sl !== was.sl && now.sl !== null)
        out.push({ what: 'stop', clientId: '', positionId: id, sl: now.sl, comment: '', step });
    }
    return out;
  }

  clientIdsOf(intent: Intent): { id: string; role: 'request' | 'restore' | 'stop_of_open' }[] {
    const id = clientIdFor(intent.id, intent.kind === 'open' ? intent.comment : '');
    return id === undefined ? [] : [{ id, role: 'request' }];
  }

  bid(): number {
    return this.lastBar?.close ?? 0;
  }

  entryIfOpened(side: Side): number {
    return side === 'buy' ? Number((this.bid() + this.fake.spread).toFixed(3)) : this.bid();
  }

  traderOpen(side: Side, volume: number, sl: number, tp: number): string {
    return this.fake.traderOpen(side, volume, sl, tp);
  }

  traderClose(id: string): void {
    this.fake.traderClose(id);
  }

  traderMoveStop(id: string, sl: number): void {
    this.fake.traderModify(id, sl);
  }

  streamAfterBar(): { symbol: string; candles: MetatraderCandle[]; price: MetatraderSymbolPrice } | null {
    const candle = this.fake.streamedCandles(MT5_XAU, '1m').at(-1);
    if (!this.lastBar) return null;
    const bid = this.lastBar.close;
    const price: MetatraderSymbolPrice = {
      symbol: MT5_XAU,
      bid,
      ask: Number((bid + this.fake.spread).toFixed(3)),
      time: new Date(this.fake.now),
    };
    return { symbol: MT5_XAU, candles: candle && +new Date(candle.time) === this.lastBar.time ? [candle] : [], price };
  }

  unexpected(): string[] {
    return this.fake.unexpected;
  }
}
