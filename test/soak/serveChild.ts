// `warden serve` on a real account, in a child process the soak kills with SIGKILL and starts again on
// the same store file. What `warden serve --config FILE --store FILE` does, with one difference: the
// account. The adapter is the real one (CcxtBroker, or MetaApiBroker), but its transport reaches the
// venue held by the parent process over the IPC channel: ccxt's fetchImplementation sends each HTTP
// request there, and the MetaApi gateway each SDK call. The process's clock is the venue's (the parent
// sends it with every answer, and whenever a bar closes), as a real account's is the wall clock.
//
// Run as `node --import tsx test/soak/serveChild.ts '<ChildStart JSON>'` with an IPC channel
// (child_process.fork, serialization 'advanced'). It sends 'ready' with the API's address once serving.
import type { ConfiguredBroker } from '../../src/brokers/brokerFromConfig.ts';
import { CcxtBroker } from '../../src/brokers/ccxtBroker.ts';
import { MetaApiBroker } from '../../src/brokers/metaApiBroker.ts';
import type {
  MarketDataSubscription,
  MetaApiGateway,
  MetaApiTradeOptions,
  MetatraderAccountInformation,
  MetatraderCandle,
  MetatraderDeals,
  MetatraderPosition,
  MetatraderSymbolPrice,
  MetatraderSymbolSpecification,
  MetatraderTradeResponse,
} from '../../src/brokers/metaApiGateway.ts';
import { loadConfigOption } from '../../src/cli/configArg.ts';
import { readVersion } from '../../src/cli/version.ts';
import { createLogger } from '../../src/log.ts';
import { startService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { fromWireError, type ChildMessage, type ChildStart, type ParentMessage, type WireResponse } from './ipc.ts';

const start = JSON.parse(process.argv[2] ?? '{}') as ChildStart;
let venueNow = start.now;
const clock = (): number => venueNow;

const send = (m: ChildMessage): void => {
  process.send?.(m);
};

let nextId = 1;
const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

/** Asks the parent (the venue) and waits for its answer. */
function ask(
  m:
    | { t: 'fetch'; url: string; method: string; body: string | null }
    | { t: 'gateway'; method: string; args: unknown[] },
): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    send({ ...m, id });
  });
}

/** The MetaApi connection of this process (made below, once its class is defined). */
let gateway: IpcGateway | null = null;

// The venue is the parent's: without it nothing can be read or sent, so the process goes with it (a
// driver that died, or ended its run, leaves no `warden serve` behind).
process.on('disconnect', () => process.exit(process.exitCode ?? 0));

process.on('message', (raw: unknown) => {
  const m = raw as ParentMessage;
  venueNow = Math.max(venueNow, m.now);
  if (m.t === 'reply') {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.value);
    else w.reject(fromWireError(m.error));
  } else if (m.t === 'stream')
    gateway?.receive(m.symbol, m.candles as MetatraderCandle[], m.price as MetatraderSymbolPrice | null);
});

/** ccxt's transport: the request goes to the parent's fake Binance API, its Response comes back. */
const ipcFetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const body = typeof init?.body === 'string' ? init.body : null;
  const r = (await ask({ t: 'fetch', url, method: (init?.method ?? 'GET').toUpperCase(), body })) as WireResponse;
  return new Response(r.body, { status: r.status, headers: r.headers });
}) as typeof fetch;

/**
 * The MetaApi SDK connection of this process: the RPC calls go to the parent's fake account; the
 * streaming part is pushed (quotes and M1 candles), as the SDK's synchronization listener receives it.
 */
class IpcGateway implements MetaApiGateway {
  private closed = false;
  private readonly prices = new Map<string, MetatraderSymbolPrice>();
  private readonly candles = new Map<string, Map<number, MetatraderCandle>>();
  private readonly subscribed = new Set<string>();
  private readonly priceListeners = new Set<(price: MetatraderSymbolPrice) => void>();

  receive(symbol: string, candles: readonly MetatraderCandle[], price: MetatraderSymbolPrice | null): void {
    if (!this.subscribed.has(symbol)) return;
    if (price) {
      this.prices.set(symbol, price);
      if (!this.closed) for (const l of this.priceListeners) l(price);
    }
    let kept = this.candles.get(symbol);
    if (!kept) this.candles.set(symbol, (kept = new Map()));
    for (const c of candles) kept.set(new Date(c.time).getTime(), c);
    // As the SDK gateway keeps them: the latest 2,000.
    while (kept.size > 2000) kept.delete(kept.keys().next().value!);
  }

  private call<T>(method: string, args: unknown[]): Promise<T> {
    // The SDK's _checkIsConnectionActive.
    if (this.closed)
      return Promise.reject(new Error('This connection has been closed, please create a new connection'));
    return ask({ t: 'gateway', method, args }) as Promise<T>;
  }

  getAccountInformation() {
    return this.call<MetatraderAccountInformation>('getAccountInformation', []);
  }
  getPositions() {
    return this.call<MetatraderPosition[]>('getPositions', []);
  }
  getSymbolSpecification(symbol: string) {
    return this.call<MetatraderSymbolSpecification>('getSymbolSpecification', [symbol]);
  }
  getSymbolPrice(symbol: string, keepSubscription?: boolean) {
    return this.call<MetatraderSymbolPrice>('getSymbolPrice', [symbol, keepSubscription]);
  }
  async subscribeToMarketData(symbol: string, subscriptions: MarketDataSubscription[]): Promise<void> {
    await this.call<void>('subscribeToMarketData', [symbol, subscriptions]);
    this.subscribed.add(symbol);
  }
  terminalPrice(symbol: string): MetatraderSymbolPrice | undefined {
    return this.closed ? undefined : this.prices.get(symbol);
  }
  addPriceListener(listener: (price: MetatraderSymbolPrice) => void): () => void {
    this.priceListeners.add(listener);
    return () => {
      this.priceListeners.delete(listener);
    };
  }
  streamedCandles(symbol: string, timeframe: string): readonly MetatraderCandle[] {
    if (timeframe !== '1m') return [];
    return [...(this.candles.get(symbol)?.values() ?? [])].sort((a, b) => +new Date(a.time) - +new Date(b.time));
  }
  getHistoricalCandles(symbol: string, timeframe: string, startTime?: Date, limit?: number) {
    return this.call<MetatraderCandle[]>('getHistoricalCandles', [symbol, timeframe, startTime, limit]);
  }
  modifyPosition(positionId: string, stopLoss?: number, takeProfit?: number) {
    return this.call<MetatraderTradeResponse>('modifyPosition', [positionId, stopLoss, takeProfit]);
  }
  closePositionPartially(positionId: string, volume: number, options?: MetaApiTradeOptions) {
    return this.call<MetatraderTradeResponse>('closePositionPartially', [positionId, volume, options]);
  }
  closePosition(positionId: string, options?: MetaApiTradeOptions) {
    return this.call<MetatraderTradeResponse>('closePosition', [positionId, options]);
  }
  createMarketBuyOrder(
    symbol: string,
    volume: number,
    stopLoss?: number,
    takeProfit?: number,
    options?: MetaApiTradeOptions,
  ) {
    return this.call<MetatraderTradeResponse>('createMarketBuyOrder', [symbol, volume, stopLoss, takeProfit, options]);
  }
  createMarketSellOrder(
    symbol: string,
    volume: number,
    stopLoss?: number,
    takeProfit?: number,
    options?: MetaApiTradeOptions,
  ) {
    return this.call<MetatraderTradeResponse>('createMarketSellOrder', [symbol, volume, stopLoss, takeProfit, options]);
  }
  getDealsByTimeRange(startTime: Date, endTime: Date, offset?: number, limit?: number) {
    return this.call<MetatraderDeals>('getDealsByTimeRange', [startTime, endTime, offset, limit]);
  }
  getDealsByPosition(positionId: string) {
    return this.call<MetatraderDeals>('getDealsByPosition', [positionId]);
  }
  /** This process's connection goes; the account (the parent's) stays. */
  async close(): Promise<void> {
    this.closed = true;
  }
}

gateway = start.venue === 'metaapi' ? new IpcGateway() : null;

async function main(): Promise<void> {
  const config = loadConfigOption(start.config);
  const symbols = [...config.broker.symbols];
  const configured: ConfiguredBroker =
    start.venue === 'binance'
      ? {
          kind: 'ccxt',
          broker: new CcxtBroker({
            exchangeId: 'binanceusdm',
            apiKey: 'soak-key-0123456789',
            secret: 'soak-secret-0123456789',
            fetchImplementation: ipcFetch,
            enableRateLimit: false,
            timeoutMs: 30_000,
            clock,
          }),
          symbols,
          paper: null,
          describe: 'binanceusdm through ccxt (the soak: a fake Binance API in the parent process)',
        }
      : {
          kind: 'metaapi',
          broker: new MetaApiBroker({
            accountId: 'soak-account',
            gateway: gateway!,
            symbols,
            clock,
            symbolRules: config.symbols,
            instruments: config.instruments,
          }),
          symbols,
          paper: null,
          describe: 'MetaApi account soak-account (the soak: a fake SDK connection in the parent process)',
        };
  const log = createLogger({ level: 'warn', name: 'warden' });
  const version = readVersion();
  const store = openSqliteStore(start.store, { now: clock(), createdBy: `warden ${version}` });
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService({
      config,
      store,
      log,
      clock,
      version,
      token: undefined,
      tokenFile: `${start.store}.token`,
      broker: configured,
      env: {},
    });
  } catch (err) {
    store.close();
    throw err;
  }
  send({ t: 'ready', url: service.url, pid: process.pid });
  // As `warden serve`: SIGTERM finishes the bar under way, stores it and stops.
  process.once('SIGTERM', () => {
    void service
      .stop()
      .catch((err: unknown) => log.error({ err }, 'error while stopping'))
      .finally(() => {
        store.close();
        process.disconnect?.();
      });
  });
}

main().catch((err: unknown) => {
  send({ t: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
});
