// The part of MetaApi's SDK (`metaapi.cloud-sdk`) the MetaApi adapter uses, behind one
// interface: tests drive the adapter through a fake of it (test/brokers/fakeMetaApi.ts), and the SDK
// stays an optional peer dependency (the project compiles and runs without it).
//
// The types below are our own, written after the shapes in the SDK's 29.3.3 type definitions
// (lib/clients/metaApi/metaApiWebsocket.client.schemas.ts, metaApiConnectionInstance.d.ts,
// rpcMetaApiConnectionInstance.d.ts, streamingMetaApiConnectionInstance.d.ts, metatraderAccount.d.ts),
// keeping only the fields the adapter reads. No SDK code is copied: its licence is not an open-source
// one and allows the code only in applications that use the metaapi.cloud service.
//
// connectMetaApi() loads the SDK's Node ESM build (`metaapi.cloud-sdk/esm-node`: the package's "."
// export maps `import` to a browser bundle), looks the account up, deploys it when it is not, waits
// until it is connected to the broker, and opens an RPC connection (positions, account, symbol
// rules, prices, deals by time and by position, trades). A streaming connection is opened only when
// the adapter subscribes to market data (quotes and M1 candles of the managed symbols).
//
// connectTimeoutMs bounds the waits for the deployment, the broker connection and the
// synchronization; the account lookup before them is a REST call the SDK retries on its own
// (an unreachable host fails after about 30 s, checked against 29.3.3).

/** MetatraderAccountInformation: only the margin mode is read. */
export interface MetatraderAccountInformation {
  platform?: string;
  /** ACCOUNT_MARGIN_MODE_RETAIL_HEDGING | ACCOUNT_MARGIN_MODE_RETAIL_NETTING | ACCOUNT_MARGIN_MODE_EXCHANGE */
  marginMode: string;
}

/** MetatraderPosition. `id` is a string on the wire (the SDK's .d.ts says number). */
export interface MetatraderPosition {
  id: string | number;
  /** POSITION_TYPE_BUY | POSITION_TYPE_SELL */
  type: string;
  symbol: string;
  time: Date | string;
  openPrice: number;
  /** The exit-side price now (bid for a buy, ask for a sell). */
  currentPrice?: number;
  stopLoss?: number;
  takeProfit?: number;
  volume: number;
  comment?: string;
  brokerComment?: string;
  clientId?: string;
  magic?: number;
}

/** MetatraderSymbolSpecification: the trading rules. Levels in points. */
export interface MetatraderSymbolSpecification {
  symbol: string;
  tickSize: number;
  minVolume: number;
  maxVolume: number;
  volumeStep: number;
  contractSize: number;
  digits: number;
  point: number;
  stopsLevel: number;
  freezeLevel: number;
  path?: string;
  description?: string;
}

export interface MetatraderSymbolPrice {
  symbol: string;
  bid: number;
  ask: number;
  time: Date | string;
}

/** MetatraderCandle. `time` is the open time; `spread` in points. */
export interface MetatraderCandle {
  symbol: string;
  timeframe: string;
  time: Date | string;
  open: number;
  high: number;
  low: number;
  close: number;
  tickVolume?: number;
  volume?: number;
  spread?: number;
}

/** What a trade call resolves with (the SDK throws a TradeError for any code but the success ones). */
export interface MetatraderTradeResponse {
  numericCode: number;
  stringCode: string;
  message: string;
  orderId?: string;
  positionId?: string;
}

/** MetatraderDeal: what reconciliation reads. */
export interface MetatraderDeal {
  id: string;
  /** DEAL_TYPE_BUY | DEAL_TYPE_SELL | DEAL_TYPE_BALANCE | ... */
  type: string;
  /** DEAL_ENTRY_IN | DEAL_ENTRY_OUT | DEAL_ENTRY_INOUT | DEAL_ENTRY_OUT_BY */
  entryType?: string;
  symbol?: string;
  time: Date | string;
  volume?: number;
  price?: number;
  positionId?: string;
  orderId?: string;
  comment?: string;
  clientId?: string;
  /** The profit booked on the deal, its commission and swap (account currency; charges negative). */
  profit?: number;
  commission?: number;
  swap?: number;
  /** DEAL_REASON_CLIENT | _MOBILE | _WEB | _EXPERT | _SL | _TP | _SO | _ROLLOVER | _VMARGIN | _SPLIT */
  reason?: string;
}

export interface MetatraderDeals {
  deals: MetatraderDeal[];
  /** The history is still being synchronized: a search may miss deals. */
  synchronizing: boolean;
}

/** MarketDataSubscription. */
export interface MarketDataSubscription {
  /** quotes | candles | ticks | marketDepth */
  type: string;
  /** For candles: 1m, 5m, ... */
  timeframe?: string;
  intervalInMilliseconds?: number;
}

/**
 * TradeOptions / MarketTradeOptions. MetaApi: the comment and the clientId together are at most 26
 * characters (see clientIdFor in metaApiBroker.ts).
 */
export interface MetaApiTradeOptions {
  comment?: string;
  clientId?: string;
  magic?: number;
  slippage?: number;
}

/** The SDK calls the adapter makes, on one account. Every price is absolute (ABSOLUTE_PRICE units). */
export interface MetaApiGateway {
  getAccountInformation(): Promise<MetatraderAccountInformation>;
  getPositions(): Promise<MetatraderPosition[]>;
  /** Throws (NotFoundError) for a symbol the account does not have. */
  getSymbolSpecification(symbol: string): Promise<MetatraderSymbolSpecification>;
  getSymbolPrice(symbol: string, keepSubscription?: boolean): Promise<MetatraderSymbolPrice>;
  /** Starts streaming a symbol's market data (the streaming connection's subscribeToMarketData). */
  subscribeToMarketData(symbol: string, subscriptions: MarketDataSubscription[]): Promise<void>;
  /** The streaming connection's terminalState.price(symbol): undefined when not streamed or not connected. */
  terminalPrice(symbol: string): MetatraderSymbolPrice | undefined;
  /**
   * Calls `listener` with every price the streaming connection receives (`onSymbolPriceUpdated`) for
   * the symbols subscribed to quotes. Returns the function that removes it.
   */
  addPriceListener(listener: (price: MetatraderSymbolPrice) => void): () => void;
  /** The candles received from `onCandlesUpdated` since the subscription, oldest first (the last may still be forming). */
  streamedCandles(symbol: string, timeframe: string): readonly MetatraderCandle[];
  /** account.getHistoricalCandles: up to `limit` (<= 1000) candles up to `startTime` (latest when absent), backwards. */
  getHistoricalCandles(
    symbol: string,
    timeframe: string,
    startTime?: Date,
    limit?: number,
  ): Promise<MetatraderCandle[]>;
  modifyPosition(positionId: string, stopLoss?: number, takeProfit?: number): Promise<MetatraderTradeResponse>;
  closePositionPartially(
    positionId: string,
    volume: number,
    options?: MetaApiTradeOptions,
  ): Promise<MetatraderTradeResponse>;
  closePosition(positionId: string, options?: MetaApiTradeOptions): Promise<MetatraderTradeResponse>;
  createMarketBuyOrder(
    symbol: string,
    volume: number,
    stopLoss?: number,
    takeProfit?: number,
    options?: MetaApiTradeOptions,
  ): Promise<MetatraderTradeResponse>;
  createMarketSellOrder(
    symbol: string,
    volume: number,
    stopLoss?: number,
    takeProfit?: number,
    options?: MetaApiTradeOptions,
  ): Promise<MetatraderTradeResponse>;
  /** Deals in [startTime, endTime), at most `limit` (default 1000) from `offset`. */
  getDealsByTimeRange(startTime: Date, endTime: Date, offset?: number, limit?: number): Promise<MetatraderDeals>;
  /** The history deals of one position (MetaApi's getDealsByPosition). */
  getDealsByPosition(positionId: string): Promise<MetatraderDeals>;
  close(): Promise<void>;
}

// ------------------------------------------------------------------ loading the SDK

/** The exact version the adapter was written and checked against. */
export const METAAPI_SDK_VERSION = '29.3.3';
/** The package's Node ESM entry (its "." export resolves `import` to the browser build). */
export const METAAPI_SDK_ENTRY = 'metaapi.cloud-sdk/esm-node';
export const METAAPI_INSTALL_HINT = `MetaApi adapter needs the optional package metaapi.cloud-sdk: npm install metaapi.cloud-sdk@${METAAPI_SDK_VERSION}`;

export interface ConnectMetaApiOptions {
  token: string;
  accountId: string;
  /** Deploy + connect + synchronize, each bounded by this (default 60 s). */
  connectTimeoutMs?: number;
  /** The SDK's per-request timeout (its default is 60 s). */
  requestTimeoutMs?: number;
  /** MetaApi's domain and region, when not the defaults. */
  domain?: string;
  region?: string;
  /** Module specifier of the SDK's entry (tests point it at a name that does not resolve). */
  sdkEntry?: string;
  /** Loads a module (default: dynamic import). */
  importer?: (specifier: string) => Promise<unknown>;
}

// The SDK objects connectMetaApi touches, typed by us (see the header).
interface SdkTerminalState {
  readonly connected: boolean;
  readonly connectedToBroker: boolean;
  price(symbol: string): MetatraderSymbolPrice | undefined;
}
interface SdkConnection {
  connect(): Promise<unknown>;
  close(): Promise<void>;
}
interface SdkRpcConnection extends SdkConnection {
  waitSynchronized(timeoutInSeconds?: number): Promise<unknown>;
  getAccountInformation(): Promise<MetatraderAccountInformation>;
  getPositions(): Promise<MetatraderPosition[]>;
  getSymbolSpecification(symbol: string): Promise<MetatraderSymbolSpecification>;
  getSymbolPrice(symbol: string, keepSubscription: boolean): Promise<MetatraderSymbolPrice>;
  getDealsByTimeRange(startTime: Date, endTime: Date, offset?: number, limit?: number): Promise<MetatraderDeals>;
  getDealsByPosition(positionId: string): Promise<MetatraderDeals>;
  modifyPosition(positionId: string, stopLoss?: number, takeProfit?: number): Promise<MetatraderTradeResponse>;
  closePositionPartially(
    positionId: string,
    volume: number,
    options: MetaApiTradeOptions,
  ): Promise<MetatraderTradeResponse>;
  closePosition(positionId: string, options: MetaApiTradeOptions): Promise<MetatraderTradeResponse>;
  createMarketBuyOrder(
    symbol: string,
    volume: number,
    stopLoss?: number,
    takeProfit?: number,
    options?: MetaApiTradeOptions,
  ): Promise<MetatraderTradeResponse>;
  createMarketSellOrder(
    symbol: string,
    volume: number,
    stopLoss?: number,
    takeProfit?: number,
    options?: MetaApiTradeOptions,
  ): Promise<MetatraderTradeResponse>;
}
interface SdkStreamingConnection extends SdkConnection {
  waitSynchronized(options?: { timeoutInSeconds?: number }): Promise<unknown>;
  subscribeToMarketData(
    symbol: string,
    subscriptions: MarketDataSubscription[],
    timeoutInSeconds?: number,
  ): Promise<unknown>;
  addSynchronizationListener(listener: object): void;
  readonly terminalState: SdkTerminalState;
}
interface SdkAccount {
  readonly state: string;
  deploy(): Promise<void>;
  waitConnected(timeoutInSeconds?: number, intervalInMilliseconds?: number): Promise<void>;
  getRPCConnection(): SdkRpcConnection;
  getStreamingConnection(): SdkStreamingConnection;
  getHistoricalCandles(
    symbol: string,
    timeframe: string,
    startTime?: Date,
    limit?: number,
  ): Promise<MetatraderCandle[]>;
}
interface SdkMetaApi {
  readonly metatraderAccountApi: { getAccount(accountId: string): Promise<SdkAccount> };
  close(): void;
}
interface SdkModule {
  default: new (token: string, options?: Record<string, unknown>) => SdkMetaApi;
  SynchronizationListener: new () => object;
}

/** Candles kept per symbol and timeframe from the stream. */
const STREAMED_CANDLES_KEPT = 2000;

function isMissingModule(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  return (
    ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND', 'ERR_PACKAGE_PATH_NOT_EXPORTED'].includes(code) ||
    /Cannot find (package|module)|Failed to (load|resolve)|Could not resolve/i.test(message)
  );
}

/** The SDK's module, or the install hint when it is not installed. */
export async function loadMetaApiSdk(
  options: Pick<ConnectMetaApiOptions, 'sdkEntry' | 'importer'> = {},
): Promise<unknown> {
  const importer = options.importer ?? ((specifier: string) => import(specifier) as Promise<unknown>);
  try {
    return await importer(options.sdkEntry ?? METAAPI_SDK_ENTRY);
  } catch (err) {
    if (isMissingModule(err)) throw new Error(METAAPI_INSTALL_HINT, { cause: err });
    throw err;
  }
}

/** Connects to one MetaApi account (see the header). The token is never put in an error message here. */
export async function connectMetaApi(options: ConnectMetaApiOptions): Promise<MetaApiGateway> {
  const mod = (await loadMetaApiSdk(options)) as SdkModule;
  if (typeof mod.default !== 'function' || typeof mod.SynchronizationListener !== 'function') {
    throw new Error(
      `${METAAPI_SDK_ENTRY} does not export MetaApi and SynchronizationListener as expected (version ${METAAPI_SDK_VERSION} is the one supported)`,
    );
  }
  const timeoutSec = Math.max(1, Math.round((options.connectTimeoutMs ?? 60_000) / 1000));
  const api = new mod.default(options.token, {
    ...(options.requestTimeoutMs !== undefined
      ? { requestTimeout: Math.max(1, Math.round(options.requestTimeoutMs / 1000)) }
      : {}),
    ...(options.domain !== undefined ? { domain: options.domain } : {}),
    ...(options.region !== undefined ? { region: options.region } : {}),
  });
  try {
    const account = await api.metatraderAccountApi.getAccount(options.accountId);
    if (account.state !== 'DEPLOYED' && account.state !== 'DEPLOYING') await account.deploy();
    await account.waitConnected(timeoutSec);
    const rpc = account.getRPCConnection();
    await rpc.connect();
    await rpc.waitSynchronized(timeoutSec);
    return new SdkGateway(mod, api, account, rpc, timeoutSec);
  } catch (err) {
    api.close();
    throw err;
  }
}

class SdkGateway implements MetaApiGateway {
  private streaming: SdkStreamingConnection | null = null;
  private opening: Promise<SdkStreamingConnection> | null = null;
  /** `${symbol}|${timeframe}` -> candles by open time (ms). */
  private readonly candles = new Map<string, Map<number, MetatraderCandle>>();
  private readonly priceListeners = new Set<(price: MetatraderSymbolPrice) => void>();

  constructor(
    private readonly mod: SdkModule,
    private readonly api: SdkMetaApi,
    private readonly account: SdkAccount,
    private readonly rpc: SdkRpcConnection,
    private readonly timeoutSec: number,
  ) {}

  getAccountInformation() {
    return this.rpc.getAccountInformation();
  }
  getPositions() {
    return this.rpc.getPositions();
  }
  getSymbolSpecification(symbol: string) {
    return this.rpc.getSymbolSpecification(symbol);
  }
  getSymbolPrice(symbol: string, keepSubscription = false) {
    return this.rpc.getSymbolPrice(symbol, keepSubscription);
  }
  getHistoricalCandles(symbol: string, timeframe: string, startTime?: Date, limit?: number) {
    return this.account.getHistoricalCandles(symbol, timeframe, startTime, limit);
  }
  getDealsByTimeRange(startTime: Date, endTime: Date, offset?: number, limit?: number) {
    return this.rpc.getDealsByTimeRange(startTime, endTime, offset, limit);
  }
  getDealsByPosition(positionId: string) {
    return this.rpc.getDealsByPosition(positionId);
  }
  modifyPosition(positionId: string, stopLoss?: number, takeProfit?: number) {
    return this.rpc.modifyPosition(positionId, stopLoss, takeProfit);
  }
  closePositionPartially(positionId: string, volume: number, options: MetaApiTradeOptions = {}) {
    return this.rpc.closePositionPartially(positionId, volume, options);
  }
  closePosition(positionId: string, options: MetaApiTradeOptions = {}) {
    return this.rpc.closePosition(positionId, options);
  }
  createMarketBuyOrder(
    symbol: string,
    volume: number,
    stopLoss?: number,
    takeProfit?: number,
    options?: MetaApiTradeOptions,
  ) {
    return this.rpc.createMarketBuyOrder(symbol, volume, stopLoss, takeProfit, options);
  }
  createMarketSellOrder(
    symbol: string,
    volume: number,
    stopLoss?: number,
    takeProfit?: number,
    options?: MetaApiTradeOptions,
  ) {
    return this.rpc.createMarketSellOrder(symbol, volume, stopLoss, takeProfit, options);
  }

  async subscribeToMarketData(symbol: string, subscriptions: MarketDataSubscription[]): Promise<void> {
    const conn = await this.stream();
    await conn.subscribeToMarketData(symbol, subscriptions, this.timeoutSec);
  }

  terminalPrice(symbol: string): MetatraderSymbolPrice | undefined {
    const state = this.streaming?.terminalState;
    // A price kept from before a disconnection would look current: not used.
    if (!state?.connected || !state.connectedToBroker) return undefined;
    return state.price(symbol);
  }

  addPriceListener(listener: (price: MetatraderSymbolPrice) => void): () => void {
    this.priceListeners.add(listener);
    return () => {
      this.priceListeners.delete(listener);
    };
  }

  streamedCandles(symbol: string, timeframe: string): readonly MetatraderCandle[] {
    const kept = this.candles.get(`${symbol}|${timeframe}`);
    if (!kept) return [];
    return [...kept.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
  }

  /** The streaming connection, opened on first use, with a listener keeping the candles and handing on the prices it streams. */
  private stream(): Promise<SdkStreamingConnection> {
    if (this.streaming) return Promise.resolve(this.streaming);
    this.opening ??= (async () => {
      const conn = this.account.getStreamingConnection();
      const listener = Object.assign(new this.mod.SynchronizationListener(), {
        onCandlesUpdated: async (_instanceIndex: string, candles: MetatraderCandle[]) => this.keep(candles),
        // The SDK awaits its listeners: the price is handed on and nothing here waits.
        onSymbolPriceUpdated: async (_instanceIndex: string, price: MetatraderSymbolPrice) => {
          for (const l of this.priceListeners) l(price);
        },
      });
      conn.addSynchronizationListener(listener);
      await conn.connect();
      await conn.waitSynchronized({ timeoutInSeconds: this.timeoutSec });
      this.streaming = conn;
      return conn;
    })();
    return this.opening.catch((err: unknown) => {
      this.opening = null;
      throw err;
    });
  }

  private keep(candles: readonly MetatraderCandle[]): void {
    for (const c of candles) {
      const time = new Date(c.time).getTime();
      if (!Number.isFinite(time)) continue;
      const key = `${c.symbol}|${c.timeframe}`;
      let kept = this.candles.get(key);
      if (!kept) this.candles.set(key, (kept = new Map()));
      kept.set(time, c);
      // Candles arrive in time order, so the first key inserted is the oldest.
      if (kept.size > STREAMED_CANDLES_KEPT) kept.delete(kept.keys().next().value!);
    }
  }

  async close(): Promise<void> {
    const closing: Promise<void>[] = [this.rpc.close()];
    if (this.streaming) closing.push(this.streaming.close());
    await Promise.allSettled(closing);
    this.api.close();
  }
}
