// The MetaApi adapter: BrokerPort for an MT4/MT5 account run by
// metaapi.cloud, through the MetaApiGateway (metaApiGateway.ts). The SDK is an optional peer
// dependency, loaded on first use; tests inject a fake gateway.
//
// Choices:
// - Faithful, not clever: the venue checks its own rules (stops and freeze levels, tick grid, lot
//   step, market hours) and its refusal is answered. The adapter refuses locally only what is
//   nonsense whatever the venue (a stop or volume that is not a number, a position that is not open,
//   a position of another symbol) and, on a netting account, an 'open' against the symbol's
//   position: it would net instead of hedging, and Warden's DTMS hedges need both sides open at once
//   (HEDGE_PROHIBITED, not retryable). The option
//   `nettingOpposite: 'send'` sends it anyway and answers what the venue did.
// - Stop moves send ABSOLUTE prices and keep the target: modifyPosition(id, newSl, current TP), the TP
//   read from the positions just before (MT5's SLTP request sets both levels).
// - Request ids: every close, partial close and open carries a clientId derived from the intent id
//   (clientIdFor: 'WD_' + base62 of its SHA-256, deterministic). MetaApi allows 26 characters for the
//   comment and the clientId together (the SDK's TradeOptions; its position model says 30, the
//   smaller is kept), letters, digits and '_' as in its examples; the comment (which names a DTMS hedge, and the engine finds
//   its hedge by it) keeps its full length and the clientId takes what is left, from 8 to 16
//   characters, or is left out when less than 8 remain.
// - Retries after an unknown answer: an intent id this process sent before is looked up before it is
//   sent again (metaApiRetries.ts).
// - Prices in answers: the trade response carries no fill price. Closes answer the position's
//   current (exit-side) price read just before; opens the quote read just before (ask for a buy,
//   bid for a sell); stop moves the position's current price.
// - Quotes and candles: the `symbols` are subscribed to quotes and M1 candles on first use (a
//   streaming connection); their streamed price is used while the stream is connected, else
//   getSymbolPrice; watchQuotes hands on every streamed price (onSymbolPriceUpdated). Closed bars come from the streamed candles when they hold enough, else from
//   account.getHistoricalCandles (pages of 1,000, backwards). The stream does not see a gap while it
//   was down: only the history does.
// - A closed position's history (closedPosition): its deals by position id, what made each from MT5's
//   deal reason and Warden's client ids (metaApiHistory.ts).
// - Instruments: the symbol specification, the margin mode (hedging), the canonical symbol by the
//   project's symbol rules, crypto from the instrument table (as instrumentFromConfig decides).
//
import { DEFAULT_INSTRUMENTS, symbolsSchema } from '../config/schema.ts';
import { bySymbol, canonicalSymbol, type SymbolRules } from '../domain/symbols.ts';
import {
  TIMEFRAME_MS,
  type Bar,
  type Instrument,
  type Intent,
  type Position,
  type Side,
  type Timeframe,
} from '../domain/types.ts';
import { RETCODE, type BrokerAnswer } from './brokerAnswer.ts';
import { barReader, historicalCandles, METAAPI_TIMEFRAME } from './metaApiCandles.ts';
import { clientIdFor } from './metaApiClientIds.ts';
import { answerForMetaApiError, describeError } from './metaApiErrors.ts';
import type {
  AccountFunds,
  AccountMode,
  BookedProfit,
  BrokerPort,
  BrokerQuote,
  ClosedPositionFacts,
  ClosedPositionQuery,
} from './brokerPort.ts';
import {
  accountSchema,
  fundsSchema,
  parsed,
  positionSchema,
  priceSchema,
  specSchema,
  tradeResponseSchema,
  type ParsedPosition,
  type ParsedSpec,
} from './metaApiRecords.ts';
import { bookedDeals, closedPositionDeals } from './metaApiHistory.ts';
import { earlierAttempt, SentRequests } from './metaApiRetries.ts';
import {
  connectMetaApi,
  METAAPI_INSTALL_HINT,
  type ConnectMetaApiOptions,
  type MetaApiGateway,
  type MetaApiTradeOptions,
} from './metaApiGateway.ts';

export interface MetaApiBrokerOptions {
  /** The MetaApi token (app.metaapi.cloud); needed unless a gateway is given. */
  token?: string;
  accountId: string;
  /** The SDK connection (tests pass a fake); else connectMetaApi on first use. */
  gateway?: MetaApiGateway;
  /** Broker symbols to stream quotes and M1 candles for. */
  symbols?: string[];
  /** Wall clock (epoch ms): tells a closed bar from the one forming (default Date.now). */
  clock?: () => number;
  /** Deploy, connect and synchronize, each bounded by this (default 60 s). */
  connectTimeoutMs?: number;
  /** Canonical symbols (default: the config's default decorations). */
  symbolRules?: SymbolRules;
  /** Which canonical symbols are crypto (default: the config's default instrument table). */
  instruments?: Readonly<Record<string, { crypto: boolean }>>;
  /** An 'open' against the symbol's position on a netting account: refused (default) or sent. */
  nettingOpposite?: 'refuse' | 'send';
  /** How the gateway is made (default connectMetaApi): tests replace the SDK loader. */
  connect?: (options: ConnectMetaApiOptions) => Promise<MetaApiGateway>;
}

export { METAAPI_TIMEFRAME } from './metaApiCandles.ts';

/** Wait before subscribing again to a symbol whose subscription failed. */
const RESUBSCRIBE_MS = 60_000;

const refuse = (code: number, reason: string): BrokerAnswer => ({
  outcome: 'rejected',
  retryable: false,
  code,
  reason,
});

export class MetaApiBroker implements BrokerPort {
  readonly name = 'metaapi';
  private gw: MetaApiGateway | null;
  private loading: Promise<MetaApiGateway> | null = null;
  private marginMode: Promise<string> | null = null;
  private readonly points = new Map<string, number>();
  private readonly streamSymbols: ReadonlySet<string>;
  private readonly subscribed = new Map<string, Promise<boolean>>();
  private readonly subscribeFailedAt = new Map<string, number>();
  private readonly sent = new SentRequests();
  private readonly rules: SymbolRules;
  private readonly table: Readonly<Record<string, { crypto: boolean }>>;

  constructor(private readonly options: MetaApiBrokerOptions) {
    this.gw = options.gateway ?? null;
    this.streamSymbols = new Set(options.symbols ?? []);
    this.rules = options.symbolRules ?? symbolsSchema.parse({});
    this.table = options.instruments ?? DEFAULT_INSTRUMENTS;
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  private secrets(): string[] {
    return [this.options.token ?? ''];
  }

  /** The gateway: the injected one, or the SDK connected on first use (again after a failure). */
  private async gateway(): Promise<MetaApiGateway> {
    if (this.gw) return this.gw;
    const token = this.options.token;
    if (token === undefined || token.trim() === '')
      throw new Error('metaapi: no token (set WARDEN_METAAPI_TOKEN) and no gateway given');
    this.loading ??= (this.options.connect ?? connectMetaApi)({
      token,
      accountId: this.options.accountId,
      ...(this.options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.options.connectTimeoutMs } : {}),
    }).then((g) => (this.gw = g));
    try {
      return await this.loading;
    } catch (err) {
      this.loading = null;
      if (err instanceof Error && err.message === METAAPI_INSTALL_HINT) throw err;
      throw new Error(
        `metaapi: cannot connect to account ${this.options.accountId}: ${describeError(err, this.secrets())}`,
      );
    }
  }

  /** Streams a managed symbol on first use; false (RPC reads instead) when it is not one or subscribing failed. */
  private async streaming(gw: MetaApiGateway, symbol: string): Promise<boolean> {
    if (!this.streamSymbols.has(symbol)) return false;
    let done = this.subscribed.get(symbol);
    if (!done) {
      if (this.now() - (this.subscribeFailedAt.get(symbol) ?? Number.NEGATIVE_INFINITY) < RESUBSCRIBE_MS) return false;
      done = gw.subscribeToMarketData(symbol, [{ type: 'quotes' }, { type: 'candles', timeframe: '1m' }]).then(
        () => true,
        () => {
          // Tried again a minute later; meanwhile the RPC calls answer.
          this.subscribed.delete(symbol);
          this.subscribeFailedAt.set(symbol, this.now());
          return false;
        },
      );
      this.subscribed.set(symbol, done);
    }
    return done;
  }

  async accountMode(): Promise<AccountMode> {
    const gw = await this.gateway();
    this.marginMode ??= gw
      .getAccountInformation()
      .then((info) => parsed(accountSchema, info, 'account information').marginMode);
    try {
      return (await this.marginMode) === 'ACCOUNT_MARGIN_MODE_RETAIL_HEDGING' ? 'hedging' : 'netting';
    } catch (err) {
      this.marginMode = null;
      throw new Error(`metaapi: cannot read the account information: ${describeError(err, this.secrets())}`);
    }
  }

  private async spec(gw: MetaApiGateway, symbol: string): Promise<ParsedSpec> {
    let raw: unknown;
    try {
      raw = await gw.getSymbolSpecification(symbol);
    } catch (err) {
      throw new Error(
        `metaapi: no symbol ${symbol} on account ${this.options.accountId}: ${describeError(err, this.secrets())}`,
      );
    }
    if (raw === undefined || raw === null)
      throw new Error(`metaapi: no symbol ${symbol} on account ${this.options.accountId}`);
    const spec = parsed(specSchema, raw, `specification of ${symbol}`);
    this.points.set(symbol, spec.point);
    return spec;
  }

  async instrument(symbol: string): Promise<Instrument> {
    const gw = await this.gateway();
    const spec = await this.spec(gw, symbol);
    const canonical = canonicalSymbol(symbol, this.rules);
    return {
      symbol,
      canonical,
      // Some servers report no tick size: the point is the grid then.
      tickSize: spec.tickSize > 0 ? spec.tickSize : spec.point,
      digits: spec.digits,
      point: spec.point,
      lotStep: spec.volumeStep,
      minLot: spec.minVolume,
      maxLot: spec.maxVolume,
      contractSize: spec.contractSize,
      stopsLevelPoints: spec.stopsLevel,
      freezeLevelPoints: spec.freezeLevel,
      hedging: (await this.accountMode()) === 'hedging',
      crypto: bySymbol(this.table, canonical).crypto,
    };
  }

  async quote(symbol: string): Promise<BrokerQuote> {
    const gw = await this.gateway();
    const streamed = (await this.streaming(gw, symbol)) ? gw.terminalPrice(symbol) : undefined;
    let raw: unknown = streamed;
    if (raw === undefined) {
      try {
        raw = await gw.getSymbolPrice(symbol, false);
      } catch (err) {
        throw new Error(`metaapi: no price for ${symbol}: ${describeError(err, this.secrets())}`);
      }
    }
    const p = parsed(priceSchema, raw, `price of ${symbol}`);
    return { time: p.time, bid: p.bid, ask: p.ask };
  }

  /**
   * Streams the quotes of `symbols` (managed symbols, subscribed as `quote` subscribes them): every
   * price the streaming connection receives for them goes to `onQuote`. Rejects when one cannot be
   * subscribed: the caller polls `quote` then. Stopping removes the listener only: the subscription
   * also streams the M1 candles, and close() closes the streaming connection.
   */
  async watchQuotes(
    symbols: readonly string[],
    onQuote: (symbol: string, quote: BrokerQuote) => void,
  ): Promise<() => Promise<void>> {
    const gw = await this.gateway();
    const wanted = new Set(symbols);
    // Listening before subscribing: the first prices are not missed.
    const remove = gw.addPriceListener((raw) => {
      if (!wanted.has(raw.symbol)) return;
      // A malformed price is dropped: the quote feed's health tells when none usable come.
      const p = priceSchema.safeParse(raw);
      if (p.success) onQuote(raw.symbol, { time: p.data.time, bid: p.data.bid, ask: p.data.ask });
    });
    try {
      for (const s of symbols) {
        if (!this.streamSymbols.has(s)) throw new Error(`metaapi: ${s} is not one of the symbols to stream`);
        if (!(await this.streaming(gw, s))) throw new Error(`metaapi: cannot subscribe to the quotes of ${s}`);
      }
    } catch (err) {
      remove();
      throw err;
    }
    return async () => remove();
  }

  async candles(symbol: string, timeframe: Timeframe, limit: number): Promise<Bar[]> {
    const gw = await this.gateway();
    const tf = METAAPI_TIMEFRAME[timeframe];
    if (tf === undefined) throw new Error(`metaapi: no timeframe ${String(timeframe)}`);
    const point = this.points.get(symbol) ?? (await this.spec(gw, symbol)).point;
    const n = Math.max(0, Math.floor(limit));
    if (n === 0) return [];
    const closedBy = this.now() - TIMEFRAME_MS[timeframe];
    const toBar = barReader(symbol, point);
    if (tf === '1m' && (await this.streaming(gw, symbol))) {
      const streamed = gw
        .streamedCandles(symbol, tf)
        .map(toBar)
        .filter((b) => b.time <= closedBy);
      if (streamed.length >= n) return streamed.slice(streamed.length - n);
    }
    return historicalCandles(gw, symbol, tf, n, closedBy, toBar, this.secrets());
  }

  async positions(): Promise<Position[]> {
    const gw = await this.gateway();
    return (await this.readPositions(gw)).map((p) => this.toPosition(p));
  }

  private async readPositions(gw: MetaApiGateway): Promise<ParsedPosition[]> {
    const raw = await gw.getPositions();
    if (!Array.isArray(raw)) throw new Error('metaapi: malformed positions from MetaApi: not a list');
    return raw.map((p, i) => parsed(positionSchema, p, `position #${i}`));
  }

  private toPosition(p: ParsedPosition): Position {
    return {
      id: p.id,
      account: this.options.accountId,
      symbol: p.symbol,
      side: p.type === 'POSITION_TYPE_BUY' ? 'buy' : 'sell',
      volume: p.volume,
      entryPrice: p.openPrice,
      sl: p.stopLoss,
      tp: p.takeProfit,
      openTime: p.time,
      comment: p.comment ?? p.brokerComment ?? '',
    };
  }

  async send(intent: Intent): Promise<BrokerAnswer> {
    let gw: MetaApiGateway;
    try {
      gw = await this.gateway();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      // Nothing was sent. The SDK missing or no token: sending again will not help.
      const permanent = reason === METAAPI_INSTALL_HINT || /no token|Unauthorized|Forbidden/.test(reason);
      return {
        outcome: 'rejected',
        retryable: !permanent,
        code: permanent ? RETCODE.REJECT : RETCODE.CONNECTION,
        reason,
      };
    }
    const invalid = this.nonsense(intent);
    if (invalid) return invalid;
    let held: ParsedPosition[];
    try {
      held = await this.readPositions(gw);
    } catch (err) {
      return this.notSent(intent, err);
    }
    if (intent.kind === 'open') return this.open(gw, intent, held);
    const targetId = intent.targetId || intent.positionId;
    if (intent.kind !== 'move_stop' && this.sent.has(intent.id)) {
      const earlier = await this.reconcile(gw, intent, held, targetId);
      if (earlier) return earlier;
    }
    const target = held.find((p) => p.id === targetId);
    if (!target) return refuse(RETCODE.POSITION_CLOSED, `metaapi: position ${targetId} is not open`);
    if (target.symbol !== intent.symbol)
      return refuse(RETCODE.INVALID, `metaapi: position ${targetId} is on ${target.symbol}, not ${intent.symbol}`);
    const exitPrice = target.currentPrice ?? Number.NaN;
    switch (intent.kind) {
      case 'move_stop':
        return this.trade(intent, exitPrice, target.id, () =>
          gw.modifyPosition(target.id, intent.newSl, target.takeProfit ?? undefined),
        );
      case 'close_partial': {
        const clientId = clientIdFor(intent.id);
        return this.trade(intent, exitPrice, target.id, () =>
          gw.closePositionPartially(target.id, intent.volume, clientId ? { clientId } : {}),
        );
      }
      case 'close': {
        const clientId = clientIdFor(intent.id);
        return this.trade(intent, exitPrice, target.id, () =>
          gw.closePosition(target.id, clientId ? { clientId } : {}),
        );
      }
    }
  }

  /** Refusals whatever the venue: not a price, not a volume, no symbol. */
  private nonsense(intent: Intent): BrokerAnswer | null {
    if (!intent.symbol) return refuse(RETCODE.INVALID, 'metaapi: the request names no symbol');
    if (intent.kind === 'move_stop' && !(Number.isFinite(intent.newSl) && intent.newSl > 0))
      return refuse(RETCODE.INVALID_STOPS, `metaapi: stop ${intent.newSl} is not a price`);
    if (
      (intent.kind === 'close_partial' || intent.kind === 'open') &&
      !(Number.isFinite(intent.volume) && intent.volume > 0)
    )
      return refuse(RETCODE.INVALID_VOLUME, `metaapi: volume ${intent.volume} is not a volume`);
    if (intent.kind === 'open' && Number.isFinite(intent.newSl) && !(intent.newSl > 0))
      return refuse(RETCODE.INVALID_STOPS, `metaapi: stop ${intent.newSl} is not a price`);
    if (intent.kind === 'open' && intent.side !== 'buy' && intent.side !== 'sell')
      return refuse(RETCODE.INVALID, `metaapi: side ${String(intent.side)} is neither buy nor sell`);
    return null;
  }

  /** A read before sending failed: nothing was sent now (a retry of an unknown request stays unknown). */
  private notSent(intent: Intent, err: unknown): BrokerAnswer {
    const reason = `metaapi: not sent, the account could not be read: ${describeError(err, this.secrets())}`;
    if (this.sent.get(intent.id)?.outcome === 'unknown')
      return { outcome: 'unknown', code: RETCODE.CONNECTION, reason };
    return { outcome: 'rejected', retryable: true, code: RETCODE.CONNECTION, reason };
  }

  private async open(gw: MetaApiGateway, intent: Intent, held: ParsedPosition[]): Promise<BrokerAnswer> {
    if (this.sent.has(intent.id)) {
      const earlier = await this.reconcile(gw, intent, held, '');
      if (earlier) return earlier;
    }
    let mode: AccountMode;
    let q: BrokerQuote;
    try {
      mode = await this.accountMode();
      q = await this.quote(intent.symbol);
    } catch (err) {
      return this.notSent(intent, err);
    }
    const side: Side = intent.side;
    if (mode === 'netting' && (this.options.nettingOpposite ?? 'refuse') === 'refuse') {
      const against = held.find(
        (p) => p.symbol === intent.symbol && (p.type === 'POSITION_TYPE_BUY' ? 'buy' : 'sell') !== side,
      );
      if (against)
        return refuse(
          RETCODE.HEDGE_PROHIBITED,
          `metaapi: netting account: a ${side} on ${intent.symbol} would net against position ${against.id} instead of hedging it`,
        );
    }
    const clientId = clientIdFor(intent.id, intent.comment);
    const options: MetaApiTradeOptions = {
      ...(intent.comment ? { comment: intent.comment } : {}),
      ...(clientId ? { clientId } : {}),
    };
    const sl = Number.isFinite(intent.newSl) ? intent.newSl : undefined;
    const fill = side === 'buy' ? q.ask : q.bid;
    return this.trade(intent, fill, '', () =>
      side === 'buy'
        ? gw.createMarketBuyOrder(intent.symbol, intent.volume, sl, undefined, options)
        : gw.createMarketSellOrder(intent.symbol, intent.volume, sl, undefined, options),
    );
  }

  /** Sends one trade request and answers it; remembers what may have taken effect. */
  private async trade(
    intent: Intent,
    price: number,
    positionId: string,
    call: () => Promise<unknown>,
  ): Promise<BrokerAnswer> {
    const at = this.sent.get(intent.id)?.at ?? this.now();
    let answer: BrokerAnswer;
    try {
      const r = parsed(tradeResponseSchema, await call(), 'trade response');
      // MT4 answers 0 (ERR_NO_ERROR) for done.
      const code = r.numericCode >= 10000 ? r.numericCode : RETCODE.DONE;
      answer = { outcome: 'applied', code, price, positionId: r.positionId || positionId || r.orderId || '' };
    } catch (err) {
      answer = answerForMetaApiError(err, {
        secrets: this.secrets(),
        now: this.now(),
        opening: intent.kind === 'open',
      });
    }
    if (answer.outcome !== 'rejected') this.sent.remember(intent.id, { at, outcome: answer.outcome });
    return answer;
  }

  /** Whether an earlier attempt of this intent took effect (see metaApiRetries.ts); null: send it. */
  private async reconcile(
    gw: MetaApiGateway,
    intent: Intent,
    held: ParsedPosition[],
    targetId: string,
  ): Promise<BrokerAnswer | null> {
    const since = this.sent.get(intent.id)!.at;
    return earlierAttempt(gw, intent, held, targetId, since, () => this.now(), this.secrets());
  }

  /** A position's deals from MetaApi's history (see metaApiHistory.ts); null when it holds none. */
  async closedPosition(q: ClosedPositionQuery): Promise<ClosedPositionFacts | null> {
    return closedPositionDeals(await this.gateway(), q);
  }

  /** Balance, equity, margin and free margin as MT5 reports them (getAccountInformation), in the deposit currency. */
  async funds(): Promise<AccountFunds> {
    const gw = await this.gateway();
    const info = parsed(fundsSchema, await gw.getAccountInformation(), 'account information');
    return {
      currency: info.currency,
      balance: info.balance,
      equity: info.equity,
      margin: info.margin ?? null,
      freeMargin: info.freeMargin ?? null,
      notes: [],
    };
  }

  /**
   * The profits MT5 booked since `since` (see metaApiHistory.ts). Balance, credit and other non-trade
   * deals are left out: they are not trading results.
   */
  async bookedSince(since: number): Promise<BookedProfit[]> {
    const gw = await this.gateway();
    return bookedDeals(gw, since, this.now());
  }

  /** Closes the connection. One this adapter made is made again on the next call; a given one stays closed. */
  async close(): Promise<void> {
    const gw = this.gw ?? (this.loading ? await this.loading.catch(() => null) : null);
    this.gw = this.options.gateway ?? null;
    this.loading = null;
    this.subscribed.clear();
    if (gw) await gw.close();
  }
}
