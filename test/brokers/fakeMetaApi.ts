// A fake of MetaApi's SDK connection (MetaApiGateway) for the MetaApi adapter's tests: an MT5 account
// with MT5's trade rules (stops and freeze levels, volume steps, hedging or netting) answering the way the SDK does. Success resolves with
// {numericCode, stringCode, message, orderId, positionId}; a refusal throws an error shaped like the
// SDK's TradeError (name 'TradeError', numericCode, stringCode), and the other SDK errors likewise by
// name (TooManyRequestsError with metadata.recommendedRetryTime, TimeoutError, NotFoundError,
// ValidationError with details); a call after close() throws the SDK's plain Error.
//
// Checked against metaapi.cloud-sdk 29.3.3 (installed outside the project; nothing of it is copied):
// - Sources: docs/metaApi/rpcApi.md and streamingApi.md (calls and options; they show no outputs);
//   lib/clients/metaApi/metaApiWebsocket.client.schemas.ts (field names and types);
//   metaApiWebsocket.client.ts (responses pass through _convertIsoTimeToDate: every string field
//   named *time / *Time becomes a Date, *brokerTime stays a string; trade() resolves only for
//   ERR_NO_ERROR, TRADE_RETCODE_PLACED/DONE/DONE_PARTIAL/NO_CHANGES and otherwise throws TradeError(message,
//   numericCode, stringCode); processingError packets become errors by name without date conversion);
//   metaApiWebsocket.client.spec.ts (its example positions, deals, prices, specification, candle and
//   trade responses); clients/errorHandler.ts, timeoutError.ts, tradeError.ts (error classes);
//   metaApi/metaApiConnectionInstance.es6 (trade argument order, options merged into the request,
//   numeric stops sent as ABSOLUTE_PRICE, _checkIsConnectionActive); metaApi/terminalState.es6
//   (price(symbol), a position's currentPrice = bid for a buy, ask for a sell); metaApi/
//   metatraderAccount.ts, historicalMarketData.client.ts and examples/node/historical/getCandles.js
//   (getHistoricalCandles loads backwards from startTime, oldest first in the page, the next page
//   from the first candle's time minus one bar; time made a Date); and MetaApi's web page for
//   MetatraderTradeResponse (its MetaApi-specific codes: -9..-1, 4753, 4754).
// - Matched: ids (position, deal, order) are strings; time/updateTime are Dates and brokerTime a
//   'YYYY-MM-DD HH:mm:ss.SSS' string on positions, deals, prices and candles; positions carry magic,
//   currentPrice, currentTickValue, profit, swap, commission, reason and the realized/unrealized
//   parts; deals carry entryType, platform, reason, magic; candle spread in points; prices carry
//   profitTickValue/lossTickValue; the specification has the .d.ts's required fields (fillingModes
//   SYMBOL_FILLING_*, execution mode in `deal`, stopsLevel/freezeLevel in points); deal search is
//   [startTime, endTime).
// - Fixed here (the fake was wrong): recommendedRetryTime is an ISO string, not a Date (it arrives in a
//   processingError packet as JSON and is not converted); a closed ticket answers MetaApi's 4753
//   ERR_TRADE_POSITION_NOT_FOUND, not MT5's 10036; an open's orderId is the new position's ticket (MT5),
//   a close's a new ticket, where the fake made up unrelated numbers; a call after close() throws the
//   SDK's plain Error ('This connection has been closed...'), not NotConnectedError; TimeoutError's and
//   ValidationError's messages and details have the SDK's shape; the specification's missing required
//   fields were added. That showed an adapter bug: MetaApi's own codes (4753, and -9..-1 with
//   ERR_TRADE_TIMED_OUT among them: a trade that may have been executed) were answered as a plain
//   refusal; fixed in metaApiBroker.ts (METAAPI_CODES), tested in metaApiContract.test.ts.
// - Not verified (nothing recorded from a live account): whether an omitted TP in modifyPosition removes
//   it or keeps it (the adapter always sends the current TP, so either holds); whether the trade
//   response carries positionId (the .d.ts says so, the SDK's own test example has orderId only:
//   `tradeResponse: 'orderIdOnly'` plays that) and whether its ids are strings or numbers (the web
//   page's example has numbers: 'numericIds'); which code a real server gives for a closed ticket
//   (4753 or MT5's 10036: both map to POSITION_CLOSED); getSymbolSpecification for an unknown symbol
//   (NotFoundError assumed; the adapter also takes undefined); the content of brokerComment when a
//   clientId is set; MT4 (no margin mode in the SDK's example account information, MT4 codes); the
//   comment + clientId limit (TradeOptions and the web MetatraderTrade page say 26, the .d.ts trade and
//   position models 30/31: the fake and the adapter keep 26) and any character rule for clientId (the
//   docs state none but latin1 on MT4; the adapter sends [A-Za-z0-9_]); rpcApi.md says historical
//   candles are available "on G1 and MT4 G2 only" — an MT5 G2 account may refuse getHistoricalCandles.
//
// What it models (the paper broker's semantics, the project's reference):
// - One symbol by default, XAUUSDc (3 digits, tick 0.001, lots 0.01..200 by 0.01, contract 100), a
//   quote set by the test (ask = bid + spread), streamed once subscribed (quotes, 1m candles): each
//   quote set is pushed to the price listeners (onSymbolPriceUpdated) while the stream is connected;
//   `streamPrice` pushes any price as it is (a malformed or crossed one).
// - Stops: SL and TP on the tick grid, else 10016 INVALID_STOPS; stops level from the bid for a buy
//   and the ask for a sell (exactly the level is allowed, 0 still needs the level on its side). A
//   modify checks only the levels it changes; an omitted level is removed (MT5's SLTP request sets
//   both); the same levels answer 10025 NO_CHANGES (a success).
// - Freeze level: modify, partial close and close within it of the SL or TP: 10029 FROZEN.
// - Volumes: lot-step multiples within min..max (10014 INVALID_VOLUME); a partial close of more than
//   is open: 10038 INVALID_CLOSE_VOLUME; a remainder below the min lot: 10014.
// - A position that is not open: TradeError 4753 ERR_TRADE_POSITION_NOT_FOUND (MetaApi's code; the
//   adapter checks the positions first, so this is the race).
// - Tickets: orders and positions share one ticket counter (MT5: a position's id is the ticket of the
//   order that opened it); deals have their own.
// - Hedging: a position per order. Netting: one per symbol; same side adds (weighted price), the
//   opposite side reduces, closes or reverses (a new ticket), as the paper broker does.
// - Market closed (closeMarket): every trade 10018 MARKET_CLOSED.
// - MetaApi's limit of 26 characters for comment + clientId: ValidationError beyond.
// - Deals with clientId and comment for every open, partial close and close (getDealsByTimeRange), and
//   a position's deals by its id (getDealsByPosition): entry type, reason (DEAL_REASON_EXPERT for the
//   adapter's requests, _SL / _TP for walkQuote's fills, _CLIENT for the trader's close), profit,
//   commission and swap (0: the fake charges none).
// - Faults for the next trade: rate_limit (TooManyRequestsError, before anything else, as MetaApi's
//   server refuses it), then market closed, then reject (10006), requote (10004), timeout_applied
//   (applied, then TimeoutError), timeout_lost (TimeoutError, nothing applied); or any error given.
//
// For the live soak (test/soak/): `walkQuote` plays a bar's path on the bid and closes the positions
// whose SL or TP it reaches (deals with reason DEAL_REASON_SL / DEAL_REASON_TP), `traderClose` and
// `traderModify` are the trader's hands outside Warden, and `heldPositions` reads the positions without a call.
//
// What it does not model: fills at other prices than the quote (no slippage), SL/TP triggering other
// than through `walkQuote` (the market only moves when the test says), margin, sessions by the clock, filling modes, streamed
// candles of other timeframes than 1m (historical ones are the fed M1 bars rolled up, as the terminal builds them), paging of deals, MT4. A call outside what it models is recorded in
// `unexpected` and throws: the test must check `unexpected` stays empty.
import { RETCODE } from '../../src/brokers/brokerAnswer.ts';
import type {
  MarketDataSubscription,
  MetaApiGateway,
  MetaApiTradeOptions,
  MetatraderAccountInformation,
  MetatraderCandle,
  MetatraderDeal,
  MetatraderDeals,
  MetatraderPosition,
  MetatraderSymbolPrice,
  MetatraderSymbolSpecification,
  MetatraderTradeResponse,
} from '../../src/brokers/metaApiGateway.ts';
import { isStepMultiple } from '../../src/domain/rounding.ts';
import type { Bar, Side } from '../../src/domain/types.ts';
import type { ContractFault, ProtectedSample } from './brokerContract.ts';

export const XAU = 'XAUUSDc';

/** The SDK's error shape: class told apart by `name`. */
export class FakeSdkError extends Error {
  numericCode?: number;
  stringCode?: string;
  /** TooManyRequestsError: recommendedRetryTime arrives as an ISO string (see the header). */
  metadata?: {
    periodInMinutes?: number;
    requestsPerPeriodAllowed?: number;
    recommendedRetryTime: Date | string;
    type?: string;
  };
  details?: unknown;
  /** ApiError's HTTP status (404, 400, 429, ...). */
  status?: number;
  constructor(
    name: string,
    message: string,
    extra: Partial<Pick<FakeSdkError, 'numericCode' | 'stringCode' | 'metadata' | 'details' | 'status'>> = {},
  ) {
    super(message);
    this.name = name;
    Object.assign(this, extra);
  }
}

const RETCODE_NAME = new Map<number, string>(Object.entries(RETCODE).map(([k, v]) => [v, `TRADE_RETCODE_${k}`]));

export function tradeError(code: number, message: string): FakeSdkError {
  return new FakeSdkError('TradeError', message, {
    numericCode: code,
    stringCode: RETCODE_NAME.get(code) ?? `TRADE_RETCODE_${code}`,
  });
}

/** A TradeError with one of MetaApi's own codes (its MetatraderTradeResponse page), e.g. -7 ERR_TRADE_TIMED_OUT. */
export function metaApiTradeError(numericCode: number, stringCode: string, message: string): FakeSdkError {
  return new FakeSdkError('TradeError', message, { numericCode, stringCode });
}

const positionNotFound = () => metaApiTradeError(4753, 'ERR_TRADE_POSITION_NOT_FOUND', 'Position not found');

/** The spec MetaApi reports, with the .d.ts's other required fields the adapter does not read (as a real one has them). */
export type FakeSpec = MetatraderSymbolSpecification & {
  fillingModes: string[];
  deal: string;
  tradeMode: string;
  marginCurrency: string;
  baseCurrency: string;
  profitCurrency: string;
  pipSize: number;
  quoteSessions: Record<string, { from: string; to: string }[]>;
  tradeSessions: Record<string, { from: string; to: string }[]>;
  initialMargin: number;
  maintenanceMargin: number;
  priceCalculationMode: string;
  swapMode: string;
  allowedExpirationModes: string[];
  allowedOrderTypes: string[];
};

const WEEKDAYS = {
  MONDAY: [{ from: '00:00:00.000', to: '23:59:59.999' }],
  TUESDAY: [{ from: '00:00:00.000', to: '23:59:59.999' }],
  WEDNESDAY: [{ from: '00:00:00.000', to: '23:59:59.999' }],
  THURSDAY: [{ from: '00:00:00.000', to: '23:59:59.999' }],
  FRIDAY: [{ from: '00:00:00.000', to: '23:59:59.999' }],
};

export function xauSpec(over: Partial<FakeSpec> = {}): FakeSpec {
  return {
    symbol: XAU,
    tickSize: 0.001,
    minVolume: 0.01,
    maxVolume: 200,
    volumeStep: 0.01,
    contractSize: 100,
    digits: 3,
    point: 0.001,
    pipSize: 0.01,
    stopsLevel: 0,
    freezeLevel: 0,
    path: 'Metals\\XAUUSDc',
    description: 'Gold vs US Dollar',
    fillingModes: ['SYMBOL_FILLING_FOK', 'SYMBOL_FILLING_IOC'],
    deal: 'SYMBOL_TRADE_EXECUTION_MARKET',
    tradeMode: 'SYMBOL_TRADE_MODE_FULL',
    marginCurrency: 'XAU',
    baseCurrency: 'XAU',
    profitCurrency: 'USD',
    quoteSessions: WEEKDAYS,
    tradeSessions: WEEKDAYS,
    initialMargin: 0,
    maintenanceMargin: 0,
    priceCalculationMode: 'SYMBOL_CALC_MODE_CFDLEVERAGE',
    swapMode: 'SYMBOL_SWAP_MODE_POINTS',
    allowedExpirationModes: [
      'SYMBOL_EXPIRATION_GTC',
      'SYMBOL_EXPIRATION_DAY',
      'SYMBOL_EXPIRATION_SPECIFIED',
      'SYMBOL_EXPIRATION_SPECIFIED_DAY',
    ],
    allowedOrderTypes: [
      'SYMBOL_ORDER_MARKET',
      'SYMBOL_ORDER_LIMIT',
      'SYMBOL_ORDER_STOP',
      'SYMBOL_ORDER_STOP_LIMIT',
      'SYMBOL_ORDER_SL',
      'SYMBOL_ORDER_TP',
      'SYMBOL_ORDER_CLOSEBY',
    ],
    ...over,
  };
}

interface Book {
  id: string;
  side: Side;
  symbol: string;
  lots: number;
  openPrice: number;
  sl: number | null;
  tp: number | null;
  time: number;
  updateTime: number;
  comment: string;
  clientId: string;
}

interface Quote {
  bid: number;
  ask: number;
  time: number;
}

export interface FakeCall {
  method: string;
  args: unknown[];
}

const MARGIN_MODE = {
  hedging: 'ACCOUNT_MARGIN_MODE_RETAIL_HEDGING',
  netting: 'ACCOUNT_MARGIN_MODE_RETAIL_NETTING',
} as const;
const TRADE_CALLS = new Set([
  'modifyPosition',
  'closePositionPartially',
  'closePosition',
  'createMarketBuyOrder',
  'createMarketSellOrder',
]);

export class FakeMetaApi implements MetaApiGateway {
  /** The account's clock (epoch ms): quotes, deals and positions are stamped with it. */
  now = Date.UTC(2024, 4, 16, 10, 0);
  /** Ask minus bid, price units. */
  spread = 0.2;
  marketOpen = true;
  /** False: the streaming connection is down (terminalPrice answers undefined). */
  streamConnected = true;
  /**
   * The trade response's shape: 'typed' as the SDK's .d.ts (string orderId and positionId);
   * 'orderIdOnly' as the SDK's own trade test example (no positionId); 'numericIds' as the example on
   * MetaApi's MetatraderTradeResponse page (numbers).
   */
  tradeResponse: 'typed' | 'orderIdOnly' | 'numericIds' = 'typed';
  readonly specs = new Map<string, FakeSpec>();
  readonly calls: FakeCall[] = [];
  readonly unexpected: string[] = [];
  readonly deals: MetatraderDeal[] = [];
  /** What was deposited: the balance before any deal. */
  deposit = 10_000;
  /** True: the account's history is still being synchronized (getDealsByPosition answers none, synchronizing). */
  historySynchronizing = false;
  closed = false;
  private readonly book = new Map<string, Book>();
  private readonly quotes = new Map<string, Quote>();
  private readonly history = new Map<string, MetatraderCandle[]>();
  private readonly streamed = new Map<string, MetatraderCandle[]>();
  private readonly subscriptions = new Map<string, MarketDataSubscription[]>();
  private readonly faults: (ContractFault | Error | null)[] = [];
  /**
   * Each position's protected quantity over time: after every trade request (whatever its outcome),
   * the trader's hand and the quote reaching a level, one sample per position whose size or stop
   * changed. MT5 holds the stop on the position (modifyPosition sets it in one request), so a position
   * with a stop has all of its volume protected, one without none.
   */
  readonly protectedHistory: ProtectedSample[] = [];
  private readonly lastSample = new Map<string, ProtectedSample>();
  private readonly priceListeners = new Set<(price: MetatraderSymbolPrice) => void>();
  /** Orders and positions (a position's id is its opening order's ticket). */
  private nextTicket = 80_000_001;
  private nextDeal = 90_000_001;

  constructor(
    private readonly mode: 'hedging' | 'netting',
    specs: FakeSpec[] = [xauSpec()],
  ) {
    for (const s of specs) {
      this.specs.set(s.symbol, s);
      this.setBid(2000, s.symbol);
    }
  }

  // ------------------------------------------------------------ test controls

  failNext(kind: ContractFault | Error): void {
    this.faults.push(kind);
  }

  /** Faults of the next trade requests in turn (null: that one goes through). */
  failWrites(kinds: readonly (ContractFault | Error | null)[]): void {
    this.faults.push(...kinds);
  }

  private record(by: ProtectedSample['by'], what: string): void {
    const seen = new Set<string>();
    for (const p of this.book.values()) {
      seen.add(p.id);
      const size = volumeOf(p.lots, this.specOf(p.symbol));
      this.sample({
        position: p.id,
        size,
        protected: p.sl !== null ? size : 0,
        stops: p.sl !== null ? 1 : 0,
        by,
        what,
      });
    }
    for (const [id, last] of this.lastSample)
      if (!seen.has(id) && last.size !== 0) this.sample({ position: id, size: 0, protected: 0, stops: 0, by, what });
  }

  private sample(s: ProtectedSample): void {
    const last = this.lastSample.get(s.position);
    if (last && last.size === s.size && last.protected === s.protected && last.stops === s.stops) return;
    this.lastSample.set(s.position, s);
    this.protectedHistory.push(s);
  }

  setBid(bid: number, symbol = XAU): void {
    const spec = this.specOf(symbol);
    this.quotes.set(symbol, { bid, ask: round(bid + this.spread, spec.digits), time: this.now });
    if (this.streams(symbol)) this.streamPrice(this.price(symbol));
  }

  /** Pushes `price` to the price listeners as the stream would (whatever it holds), when `symbol` streams. */
  streamPrice(price: MetatraderSymbolPrice): void {
    if (!this.streams(price.symbol)) return;
    for (const l of [...this.priceListeners]) l(price);
  }

  /** Price listeners attached now. */
  get listening(): number {
    return this.priceListeners.size;
  }

  private streams(symbol: string): boolean {
    return (
      !this.closed && this.streamConnected && this.subscriptions.get(symbol)?.some((s) => s.type === 'quotes') === true
    );
  }

  /** M1 bars the venue holds (the last may be forming); streamed too once subscribed to 1m candles. */
  feedBars(bars: readonly Bar[], symbol = XAU): void {
    const spec = this.specOf(symbol);
    const hist = this.history.get(symbol) ?? [];
    this.history.set(symbol, hist);
    const streaming =
      this.subscriptions.get(symbol)?.some((s) => s.type === 'candles' && s.timeframe === '1m') === true;
    for (const b of bars) {
      const candle: MetatraderCandle & { brokerTime: string } = {
        symbol,
        timeframe: '1m',
        time: new Date(b.time),
        brokerTime: brokerTime(b.time),
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        tickVolume: b.volume,
        volume: 0,
        ...(Number.isFinite(b.spread) ? { spread: Math.round(b.spread / spec.point) } : {}),
      };
      hist.push(candle);
      if (streaming) {
        const s = this.streamed.get(symbol) ?? [];
        s.push(candle);
        this.streamed.set(symbol, s);
      }
    }
    hist.sort((a, b) => +a.time - +b.time);
  }

  /** A position the trader opens outside Warden (no fault, not logged as a call); its ticket. */
  traderOpen(side: Side, volume: number, sl: number | null, tp: number | null, comment = '', symbol = XAU): string {
    const style = this.tradeResponse;
    this.tradeResponse = 'typed';
    try {
      const r = this.doOpen(symbol, side, volume, sl, tp, { comment });
      if (!r.positionId) throw new Error('fake metaapi: the trader position was not opened');
      this.record('trader', `open ${side} ${volume}`);
      return r.positionId;
    } finally {
      this.tradeResponse = style;
    }
  }

  /** The trader closes a position outside Warden (no fault, not logged as a call). */
  traderClose(positionId: string): void {
    const p = this.book.get(positionId);
    if (!p) throw new Error(`fake metaapi: no position ${positionId} to close`);
    this.deal(p, 'DEAL_ENTRY_OUT', p.lots, this.exitPrice(p), {}, this.ticket(), 'DEAL_REASON_CLIENT');
    this.book.delete(p.id);
    this.record('trader', `close ${positionId}`);
  }

  /** The trader moves a position's stop by hand (the target stays); throws when MT5 would refuse it. */
  traderModify(positionId: string, sl: number | null): void {
    const p = this.book.get(positionId);
    if (!p) throw new Error(`fake metaapi: no position ${positionId} to modify`);
    const bad = this.checkStop(p.symbol, p.side, 'sl', sl);
    if (bad) throw new Error(`fake metaapi: ${bad}`);
    p.sl = sl;
    p.updateTime = this.now;
    this.record('trader', `move the stop of ${positionId} to ${sl ?? 'none'}`);
  }

  /** The open positions as the account holds them (read without a call: the test's own view). */
  heldPositions(): {
    id: string;
    symbol: string;
    side: Side;
    volume: number;
    openPrice: number;
    sl: number | null;
    tp: number | null;
    time: number;
    comment: string;
    clientId: string;
  }[] {
    return [...this.book.values()].map((p) => ({
      id: p.id,
      symbol: p.symbol,
      side: p.side,
      volume: volumeOf(p.lots, this.specOf(p.symbol)),
      openPrice: p.openPrice,
      sl: p.sl,
      tp: p.tp,
      time: p.time,
      comment: p.comment,
      clientId: p.clientId,
    }));
  }

  /**
   * The bid walks `path` (a bar's open, its extremes in the order they came, its close) and stays at
   * its last point (the ask `spread` above). A position whose SL or TP the walk reaches (a buy's on
   * the bid, a sell's on the ask) closes there: at its level, or where the walk stood when it was
   * already beyond (a gap). Of two levels reached in one leg, the nearer to the leg's start goes
   * first. Returns the closes.
   */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  walkQuote(
    path: readonly number[],
    symbol = XAU,
  ): { positionId: string; kind: 'sl' | 'tp'; level: number; price: number; volume: number }[] {
    const spec = this.specOf(symbol);
    const closes: { positionId: string; kind: 'sl' | 'tp'; level: number; price: number; volume: number }[] = [];
    let from = path[0] ?? this.quotes.get(symbol)!.bid;
    for (const to of path) {
      for (;;) {
        let best: { p: Book; kind: 'sl' | 'tp'; level: number; price: number; dist: number } | null = null;
        for (const p of this.book.values()) {
          if (p.symbol !== symbol) continue;
          // A buy exits on the bid, a sell on the ask: the walk is on the bid.
          const shift = p.side === 'buy' ? 0 : this.spread;
          const a = from + shift;
          const b = to + shift;
          for (const [kind, level] of [
            ['sl', p.sl],
            ['tp', p.tp],
          ] as const) {
            if (level === null) continue;
            const below = (p.side === 'buy') === (kind === 'sl');
            const beyondAtStart = below ? a <= level : a >= level;
            const reached = beyondAtStart || (below ? Math.min(a, b) <= level : Math.max(a, b) >= level);
            if (!reached) continue;
            const price = round(beyondAtStart ? a : level, spec.digits);
            const dist = Math.abs(price - a);
            if (best === null || dist < best.dist) best = { p, kind, level, price, dist };
          }
        }
        if (best === null) break;
        const { p, kind, level, price } = best;
        this.deal(
          p,
          'DEAL_ENTRY_OUT',
          p.lots,
          price,
          {},
          this.ticket(),
          kind === 'sl' ? 'DEAL_REASON_SL' : 'DEAL_REASON_TP',
        );
        this.book.delete(p.id);
        this.record('market', `${kind} of ${p.id} at ${price}`);
        closes.push({ positionId: p.id, kind, level, price, volume: volumeOf(p.lots, spec) });
      }
      from = to;
    }
    this.setBid(path[path.length - 1] ?? from, symbol);
    return closes;
  }

  /** Trade calls made so far (the adapter's requests), in order. */
  tradeCalls(): FakeCall[] {
    return this.calls.filter((c) => TRADE_CALLS.has(c.method));
  }

  // ------------------------------------------------------------ reads

  async getAccountInformation(): Promise<MetatraderAccountInformation> {
    this.enter('getAccountInformation', []);
    const info: MetatraderAccountInformation & Record<string, unknown> = {
      platform: 'mt5',
      broker: 'Fake Broker Ltd',
      currency: 'USD',
      server: 'FakeBroker-Demo',
      ...this.money(),
      leverage: 100,
      marginLevel: 0,
      tradeAllowed: true,
      marginMode: MARGIN_MODE[this.mode],
      name: 'Test',
      login: 1234567,
      credit: 0,
      type: 'ACCOUNT_TRADE_MODE_DEMO',
      currencyDigits: 2,
    };
    return info;
  }

  /** The deposit plus every deal's profit, commission and swap; equity adds the open positions' profit at the current price. */
  private money(): { balance: number; equity: number; margin: number; freeMargin: number } {
    const balance = round(
      this.deposit + this.deals.reduce((sum, d) => sum + (d.profit ?? 0) + (d.commission ?? 0) + (d.swap ?? 0), 0),
      2,
    );
    const floating = [...this.book.values()].reduce(
      (sum, p) => sum + Number((this.toSdk(p) as MetatraderPosition & Record<string, unknown>)['profit'] ?? 0),
      0,
    );
    const equity = round(balance + floating, 2);
    return { balance, equity, margin: 0, freeMargin: equity };
  }

  async getPositions(): Promise<MetatraderPosition[]> {
    this.enter('getPositions', []);
    return [...this.book.values()].map((p) => this.toSdk(p));
  }

  async getSymbolSpecification(symbol: string): Promise<MetatraderSymbolSpecification> {
    this.enter('getSymbolSpecification', [symbol]);
    return { ...this.known(symbol) };
  }

  async getSymbolPrice(symbol: string, keepSubscription?: boolean): Promise<MetatraderSymbolPrice> {
    this.enter('getSymbolPrice', [symbol, keepSubscription]);
    this.known(symbol);
    return this.price(symbol);
  }

  async subscribeToMarketData(symbol: string, subscriptions: MarketDataSubscription[]): Promise<void> {
    this.enter('subscribeToMarketData', [symbol, subscriptions]);
    this.known(symbol);
    for (const s of subscriptions) {
      if (s.type !== 'quotes' && !(s.type === 'candles' && s.timeframe === '1m'))
        this.unexpectedCall(`subscribeToMarketData ${symbol} ${JSON.stringify(s)}`);
    }
    this.subscriptions.set(symbol, [...(this.subscriptions.get(symbol) ?? []), ...subscriptions]);
  }

  terminalPrice(symbol: string): MetatraderSymbolPrice | undefined {
    if (this.closed || !this.streamConnected) return undefined;
    if (!this.subscriptions.get(symbol)?.some((s) => s.type === 'quotes')) return undefined;
    return this.price(symbol);
  }

  addPriceListener(listener: (price: MetatraderSymbolPrice) => void): () => void {
    this.priceListeners.add(listener);
    return () => {
      this.priceListeners.delete(listener);
    };
  }

  streamedCandles(symbol: string, timeframe: string): readonly MetatraderCandle[] {
    if (timeframe !== '1m') return [];
    return [...(this.streamed.get(symbol) ?? [])];
  }

  async getHistoricalCandles(
    symbol: string,
    timeframe: string,
    startTime?: Date,
    limit = 1000,
  ): Promise<MetatraderCandle[]> {
    this.enter('getHistoricalCandles', [symbol, timeframe, startTime, limit]);
    this.known(symbol);
    const tfMs = HISTORY_TIMEFRAME_MS[timeframe];
    if (tfMs === undefined) this.unexpectedCall(`getHistoricalCandles ${symbol} ${timeframe}`);
    if (!(limit > 0 && limit <= 1000))
      throw new FakeSdkError('ValidationError', 'Validation failed', {
        status: 400,
        details: [{ parameter: 'limit', message: 'Must be within 1..1000.' }],
      });
    // Backwards from startTime (inclusive), the latest `limit`, oldest first (as the SDK's paging example reads them).
    const until = startTime ? startTime.getTime() : Number.POSITIVE_INFINITY;
    const m1 = this.history.get(symbol) ?? [];
    const upTo = (tfMs === 60_000 ? m1 : rollUpCandles(m1, timeframe, tfMs!)).filter((c) => +c.time <= until);
    return upTo.slice(Math.max(0, upTo.length - limit)).map((c) => ({ ...c }));
  }

  async getDealsByTimeRange(startTime: Date, endTime: Date, offset = 0, limit = 1000): Promise<MetatraderDeals> {
    this.enter('getDealsByTimeRange', [startTime, endTime, offset, limit]);
    if (offset !== 0) this.unexpectedCall(`getDealsByTimeRange offset ${offset}`);
    const deals = this.deals
      .filter((d) => +d.time >= startTime.getTime() && +d.time < endTime.getTime())
      .slice(0, limit);
    return { deals: deals.map((d) => ({ ...d })), synchronizing: false };
  }

  /** The deals of one position, oldest first (MetaApi's getDealsByPosition); `historySynchronizing` plays a history still loading. */
  async getDealsByPosition(positionId: string): Promise<MetatraderDeals> {
    this.enter('getDealsByPosition', [positionId]);
    if (this.historySynchronizing) return { deals: [], synchronizing: true };
    return {
      deals: this.deals.filter((d) => d.positionId === positionId).map((d) => ({ ...d })),
      synchronizing: false,
    };
  }

  async close(): Promise<void> {
    this.calls.push({ method: 'close', args: [] });
    this.closed = true;
  }

  // ------------------------------------------------------------ trades

  async modifyPosition(positionId: string, stopLoss?: number, takeProfit?: number): Promise<MetatraderTradeResponse> {
    return this.trade('modifyPosition', [positionId, stopLoss, takeProfit], () => {
      const p = this.book.get(positionId);
      if (!p) throw positionNotFound();
      const sl = stopLoss ?? null;
      const tp = takeProfit ?? null;
      const spec = this.specOf(p.symbol);
      const slChanged = !samePrice(sl, p.sl, spec);
      const tpChanged = !samePrice(tp, p.tp, spec);
      if (!slChanged && !tpChanged)
        return this.response(RETCODE.NO_CHANGES, 'TRADE_RETCODE_NO_CHANGES', 'No changes in request', p.id);
      const bad =
        (slChanged ? this.checkStop(p.symbol, p.side, 'sl', sl) : null) ??
        (tpChanged ? this.checkStop(p.symbol, p.side, 'tp', tp) : null);
      if (bad) throw tradeError(RETCODE.INVALID_STOPS, `Invalid stops: ${bad}`);
      if (this.frozen(p)) throw tradeError(RETCODE.FROZEN, 'Order or position frozen');
      p.sl = sl;
      p.tp = tp;
      p.updateTime = this.now;
      // A modify places no order: no orderId.
      return this.response(RETCODE.DONE, 'TRADE_RETCODE_DONE', 'Request completed', p.id);
    });
  }

  async closePositionPartially(
    positionId: string,
    volume: number,
    options: MetaApiTradeOptions = {},
  ): Promise<MetatraderTradeResponse> {
    return this.trade('closePositionPartially', [positionId, volume, options], () => {
      this.checkOptions(options);
      const p = this.book.get(positionId);
      if (!p) throw positionNotFound();
      const spec = this.specOf(p.symbol);
      const lots = lotsOf(volume, spec);
      const min = minLots(spec);
      if (lots === null || lots < min) throw tradeError(RETCODE.INVALID_VOLUME, 'Invalid volume in the request');
      if (lots > p.lots)
        throw tradeError(RETCODE.INVALID_CLOSE_VOLUME, 'Close volume exceeds the current position volume');
      const rest = p.lots - lots;
      if (rest > 0 && rest < min)
        throw tradeError(
          RETCODE.INVALID_VOLUME,
          'Invalid volume in the request (the remainder would be below the minimum)',
        );
      if (this.frozen(p)) throw tradeError(RETCODE.FROZEN, 'Order or position frozen');
      const order = this.ticket();
      this.deal(p, 'DEAL_ENTRY_OUT', lots, this.exitPrice(p), options, order);
      p.lots = rest;
      if (rest === 0) this.book.delete(p.id);
      return this.done(p.id, order);
    });
  }

  async closePosition(positionId: string, options: MetaApiTradeOptions = {}): Promise<MetatraderTradeResponse> {
    return this.trade('closePosition', [positionId, options], () => {
      this.checkOptions(options);
      const p = this.book.get(positionId);
      if (!p) throw positionNotFound();
      if (this.frozen(p)) throw tradeError(RETCODE.FROZEN, 'Order or position frozen');
      const order = this.ticket();
      this.deal(p, 'DEAL_ENTRY_OUT', p.lots, this.exitPrice(p), options, order);
      this.book.delete(p.id);
      return this.done(p.id, order);
    });
  }

  async createMarketBuyOrder(
    symbol: string,
    volume: number,
    stopLoss?: number,
    takeProfit?: number,
    options: MetaApiTradeOptions = {},
  ): Promise<MetatraderTradeResponse> {
    return this.trade('createMarketBuyOrder', [symbol, volume, stopLoss, takeProfit, options], () =>
      this.doOpen(symbol, 'buy', volume, stopLoss ?? null, takeProfit ?? null, options),
    );
  }

  async createMarketSellOrder(
    symbol: string,
    volume: number,
    stopLoss?: number,
    takeProfit?: number,
    options: MetaApiTradeOptions = {},
  ): Promise<MetatraderTradeResponse> {
    return this.trade('createMarketSellOrder', [symbol, volume, stopLoss, takeProfit, options], () =>
      this.doOpen(symbol, 'sell', volume, stopLoss ?? null, takeProfit ?? null, options),
    );
  }

  // ------------------------------------------------------------ internals

  private enter(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
    // The SDK's _checkIsConnectionActive: a plain Error (thrown synchronously there, a rejection here).
    if (this.closed) throw new Error('This connection has been closed, please create a new connection');
  }

  private unexpectedCall(what: string): never {
    this.unexpected.push(what);
    throw new Error(`fake metaapi: unexpected call ${what}`);
  }

  private trade(method: string, args: unknown[], run: () => MetatraderTradeResponse): MetatraderTradeResponse {
    try {
      return this.tradeOnce(method, args, run);
    } finally {
      this.record('warden', `${method} ${JSON.stringify(args.slice(0, 3))}`);
    }
  }

  private tradeOnce(method: string, args: unknown[], run: () => MetatraderTradeResponse): MetatraderTradeResponse {
    this.enter(method, args);
    const fault = this.faults.shift() ?? null;
    if (fault instanceof Error) throw fault;
    if (fault === 'rate_limit') {
      // Trades are not retried by the SDK: the error reaches the caller. The metadata came as JSON.
      throw new FakeSdkError(
        'TooManyRequestsError',
        'The API allows 1000 requests per 60 minutes to avoid overloading our servers.',
        {
          status: 429,
          metadata: {
            periodInMinutes: 60,
            requestsPerPeriodAllowed: 1000,
            recommendedRetryTime: new Date(this.now + 1500).toISOString(),
            type: 'LIMIT_REQUEST_RATE_PER_ACCOUNT',
          },
        },
      );
    }
    if (!this.marketOpen) throw tradeError(RETCODE.MARKET_CLOSED, 'Market is closed');
    if (fault === 'reject') throw tradeError(RETCODE.REJECT, 'Request rejected');
    if (fault === 'requote') throw tradeError(RETCODE.REQUOTE, 'Requote');
    if (fault === 'timeout_applied' || fault === 'timeout_lost') {
      if (fault === 'timeout_applied') {
        try {
          run();
        } catch {
          // Refused: it did not take effect, and the caller hears only the timeout anyway.
        }
      }
      throw new FakeSdkError(
        'TimeoutError',
        `MetaApi websocket client request ${requestId()} of type trade timed out. Please make sure your account is connected to broker before retrying your request.`,
      );
    }
    return run();
  }

  private checkOptions(options: MetaApiTradeOptions): void {
    const length = (options.comment ?? '').length + (options.clientId ?? '').length;
    if (length > 26)
      throw new FakeSdkError('ValidationError', 'Validation failed', {
        status: 400,
        details: [
          { parameter: 'comment', message: 'The sum of the lengths of comment and clientId must be at most 26.' },
        ],
      });
  }

  private doOpen(
    symbol: string,
    side: Side,
    volume: number,
    sl: number | null,
    tp: number | null,
    options: MetaApiTradeOptions,
  ): MetatraderTradeResponse {
    this.checkOptions(options);
    const spec = this.specs.get(symbol);
    if (!spec) throw tradeError(RETCODE.INVALID, 'Invalid request: unknown symbol');
    const lots = lotsOf(volume, spec);
    if (lots === null || lots < minLots(spec) || lots > Math.floor(spec.maxVolume / spec.volumeStep + 1e-7))
      throw tradeError(RETCODE.INVALID_VOLUME, 'Invalid volume in the request');
    const bad = this.checkStop(symbol, side, 'sl', sl) ?? this.checkStop(symbol, side, 'tp', tp);
    if (bad) throw tradeError(RETCODE.INVALID_STOPS, `Invalid stops: ${bad}`);
    const q = this.quotes.get(symbol)!;
    const fill = side === 'buy' ? q.ask : q.bid;
    const held = this.mode === 'netting' ? [...this.book.values()].find((p) => p.symbol === symbol) : undefined;
    const order = this.ticket();
    if (!held) return this.done(this.openNew(order, symbol, side, lots, fill, sl, tp, options), order);
    if (held.side === side) {
      const total = held.lots + lots;
      held.openPrice = round((held.openPrice * held.lots + fill * lots) / total, spec.digits + 2);
      held.lots = total;
      if (sl !== null) held.sl = sl;
      if (tp !== null) held.tp = tp;
      this.deal(held, 'DEAL_ENTRY_IN', lots, fill, options, order);
      return this.done(held.id, order);
    }
    const left = Math.abs(held.lots - lots);
    if (left > 0 && left < minLots(spec))
      throw tradeError(RETCODE.INVALID_VOLUME, 'Invalid volume in the request (the rest would be below the minimum)');
    if (this.frozen(held)) throw tradeError(RETCODE.FROZEN, 'Order or position frozen');
    const closing = Math.min(lots, held.lots);
    this.deal(held, lots > held.lots ? 'DEAL_ENTRY_INOUT' : 'DEAL_ENTRY_OUT', closing, fill, options, order);
    held.lots -= closing;
    if (held.lots > 0) return this.done(held.id, order);
    this.book.delete(held.id);
    if (lots === closing) return this.done(held.id, order);
    // A reversal: the rest opens a new position under the order's ticket (recorded as an INOUT deal for the
    // closed part and an IN deal for the rest, where MT5 books one INOUT deal: not modelled closer).
    return this.done(this.openNew(order, symbol, side, lots - closing, fill, sl, tp, options), order);
  }

  /** A new position: its id is the ticket of the order that opened it (MT5). */
  private openNew(
    order: string,
    symbol: string,
    side: Side,
    lots: number,
    fill: number,
    sl: number | null,
    tp: number | null,
    options: MetaApiTradeOptions,
  ): string {
    const p: Book = {
      id: order,
      side,
      symbol,
      lots,
      openPrice: fill,
      sl,
      tp,
      time: this.now,
      updateTime: this.now,
      comment: options.comment ?? '',
      clientId: options.clientId ?? '',
    };
    this.book.set(p.id, p);
    this.deal(p, 'DEAL_ENTRY_IN', lots, fill, options, order);
    return p.id;
  }

  private ticket(): string {
    return String(this.nextTicket++);
  }

  /** A success as the SDK resolves it, in the shape `tradeResponse` chooses. */
  private response(
    numericCode: number,
    stringCode: string,
    message: string,
    positionId: string,
    orderId?: string,
  ): MetatraderTradeResponse {
    const ids: Record<string, unknown> =
      this.tradeResponse === 'numericIds'
        ? { ...(orderId !== undefined ? { orderId: Number(orderId) } : {}), positionId: Number(positionId) }
        : {
            ...(orderId !== undefined ? { orderId } : {}),
            ...(this.tradeResponse === 'typed' || orderId === undefined ? { positionId } : {}),
          };
    return { numericCode, stringCode, message, ...ids } as MetatraderTradeResponse;
  }

  private done(positionId: string, orderId: string): MetatraderTradeResponse {
    return this.response(RETCODE.DONE, 'TRADE_RETCODE_DONE', 'Request completed', positionId, orderId);
  }

  private deal(
    p: Book,
    entryType: string,
    lots: number,
    price: number,
    options: MetaApiTradeOptions,
    orderId: string,
    reason = 'DEAL_REASON_EXPERT',
  ): void {
    const spec = this.specOf(p.symbol);
    const buying = entryType === 'DEAL_ENTRY_IN' ? p.side === 'buy' : p.side === 'sell';
    const volume = volumeOf(lots, spec);
    const profit =
      entryType === 'DEAL_ENTRY_IN'
        ? 0
        : (p.side === 'buy' ? 1 : -1) * (price - p.openPrice) * volume * spec.contractSize;
    const deal: MetatraderDeal & Record<string, unknown> = {
      id: String(this.nextDeal++),
      type: buying ? 'DEAL_TYPE_BUY' : 'DEAL_TYPE_SELL',
      entryType,
      symbol: p.symbol,
      time: new Date(this.now),
      brokerTime: brokerTime(this.now),
      volume,
      price,
      positionId: p.id,
      orderId,
      magic: 0,
      profit: round(profit, 2),
      commission: 0,
      swap: 0,
      platform: 'mt5',
      reason,
      ...(options.comment ? { comment: options.comment } : {}),
      ...(options.clientId ? { clientId: options.clientId } : {}),
    };
    this.deals.push(deal);
  }

  private checkStop(symbol: string, side: Side, kind: 'sl' | 'tp', value: number | null): string | null {
    if (value === null) return null;
    const spec = this.specOf(symbol);
    const q = this.quotes.get(symbol)!;
    if (!Number.isFinite(value) || !isStepMultiple(value, spec.tickSize))
      return `${kind} ${value} is not a multiple of the tick ${spec.tickSize}`;
    const buy = side === 'buy';
    const distance = kind === 'sl' ? (buy ? q.bid - value : value - q.ask) : buy ? value - q.bid : q.ask - value;
    const eps = spec.point * 1e-3;
    if (!(distance > eps) || distance < spec.stopsLevel * spec.point - eps)
      return `${kind} ${value} is within the stops level (${spec.stopsLevel} points) of the ${buy ? 'bid' : 'ask'}`;
    return null;
  }

  private frozen(p: Book): boolean {
    const spec = this.specOf(p.symbol);
    const freeze = spec.freezeLevel * spec.point;
    if (!(freeze > 0)) return false;
    const price = this.exitPrice(p);
    const eps = spec.point * 1e-3;
    return (
      (p.sl !== null && Math.abs(price - p.sl) <= freeze + eps) ||
      (p.tp !== null && Math.abs(price - p.tp) <= freeze + eps)
    );
  }

  private exitPrice(p: Book): number {
    const q = this.quotes.get(p.symbol)!;
    return p.side === 'buy' ? q.bid : q.ask;
  }

  private price(symbol: string): MetatraderSymbolPrice {
    const q = this.quotes.get(symbol)!;
    const out: MetatraderSymbolPrice & Record<string, unknown> = {
      symbol,
      bid: q.bid,
      ask: q.ask,
      profitTickValue: 0.1,
      lossTickValue: 0.1,
      time: new Date(q.time),
      brokerTime: brokerTime(q.time),
    };
    return out;
  }

  private toSdk(p: Book): MetatraderPosition {
    const spec = this.specOf(p.symbol);
    const volume = volumeOf(p.lots, spec);
    const current = this.exitPrice(p);
    const out: MetatraderPosition & Record<string, unknown> = {
      id: p.id,
      type: p.side === 'buy' ? 'POSITION_TYPE_BUY' : 'POSITION_TYPE_SELL',
      symbol: p.symbol,
      magic: 0,
      time: new Date(p.time),
      brokerTime: brokerTime(p.time),
      updateTime: new Date(p.updateTime),
      openPrice: p.openPrice,
      currentPrice: current,
      currentTickValue: 0.1,
      volume,
      swap: 0,
      realizedSwap: 0,
      unrealizedSwap: 0,
      profit: round((p.side === 'buy' ? 1 : -1) * (current - p.openPrice) * volume * spec.contractSize, 2),
      unrealizedProfit: 0,
      realizedProfit: 0,
      commission: 0,
      realizedCommission: 0,
      unrealizedCommission: 0,
      reason: 'POSITION_REASON_EXPERT',
      ...(p.sl !== null ? { stopLoss: p.sl } : {}),
      ...(p.tp !== null ? { takeProfit: p.tp } : {}),
      ...(p.comment ? { comment: p.comment, brokerComment: p.comment } : {}),
      ...(p.clientId ? { clientId: p.clientId } : {}),
    };
    return out;
  }

  private specOf(symbol: string): FakeSpec {
    const s = this.specs.get(symbol);
    if (!s) throw new Error(`fake metaapi: no spec for ${symbol}`);
    return s;
  }

  /** The spec of a symbol the account has, else the SDK's NotFoundError. */
  private known(symbol: string): FakeSpec {
    const s = this.specs.get(symbol);
    if (!s) throw new FakeSdkError('NotFoundError', `Specification for ${symbol} symbol not found`);
    return s;
  }
}

let requests = 0;
/** The SDK's request ids are 32 random characters; these are deterministic. */
function requestId(): string {
  return `fakeRequest${String(++requests).padStart(21, '0')}`;
}

function lotsOf(volume: number, spec: MetatraderSymbolSpecification): number | null {
  if (!Number.isFinite(volume) || volume <= 0 || !isStepMultiple(volume, spec.volumeStep)) return null;
  return Math.round(volume / spec.volumeStep);
}

function minLots(spec: MetatraderSymbolSpecification): number {
  return Math.max(1, Math.ceil(spec.minVolume / spec.volumeStep - 1e-7));
}

function volumeOf(lots: number, spec: MetatraderSymbolSpecification): number {
  return round(lots * spec.volumeStep, 8);
}

function samePrice(a: number | null, b: number | null, spec: MetatraderSymbolSpecification): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= spec.point * 1e-3;
}

function round(v: number, digits: number): number {
  return Number(v.toFixed(digits));
}

/** The broker's clock as MetaApi writes it (the fake's broker runs on UTC). */
/** The timeframes getHistoricalCandles serves (M1 as fed, the others rolled up from it). */
const HISTORY_TIMEFRAME_MS: Readonly<Record<string, number>> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
};

/** M1 candles rolled up into `timeframe` buckets (UTC aligned; spread and tick volume as the terminal sums them: last spread, summed volume). */
function rollUpCandles(m1: readonly MetatraderCandle[], timeframe: string, tfMs: number): MetatraderCandle[] {
  const out: (MetatraderCandle & { brokerTime: string })[] = [];
  for (const c of m1) {
    const open = Math.floor(+c.time / tfMs) * tfMs;
    const last = out.at(-1);
    if (last && +last.time === open) {
      last.high = Math.max(last.high, c.high);
      last.low = Math.min(last.low, c.low);
      last.close = c.close;
      last.tickVolume = (last.tickVolume ?? 0) + (c.tickVolume ?? 0);
      if (c.spread !== undefined) last.spread = c.spread;
    } else out.push({ ...c, timeframe, time: new Date(open), brokerTime: brokerTime(open) });
  }
  return out;
}

function brokerTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
