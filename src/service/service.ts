// `warden serve` put together: the store, the account (the paper account over the played market, or a
// real one fed by its own bars), the account session, the loop and the HTTP server. `startService` returns once the server listens and
// the loop plays; `stop()` finishes the bar under way, closes the server, releases and closes the store.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { brokerFromConfig, BrokerSetupError, type ConfiguredBroker } from '../brokers/brokerFromConfig.ts';
import type { BrokerPort } from '../brokers/brokerPort.ts';
import type { PaperAccount } from '../brokers/paperAccount.ts';
import { keysByAccount, resolveAccountDefaults } from '../config/accountDefaults.ts';
import type { WardenConfig } from '../config/schema.ts';
import { describeDtmsScope } from '../dtms/dtmsParams.ts';
import { featureRequirements } from '../engine/engineRequirements.ts';
import { barsPerTimeframe, type TimeframeHistory } from '../features/warmUp.ts';
import type { Bar, Instrument } from '../domain/types.ts';
import { instrumentFromConfig } from '../domain/instruments.ts';
import { ticketOfKey } from '../domain/lifetime.ts';
import { AccountSession, type StepReport } from '../execution/accountSession.ts';
import { ClosedTradeRecorder } from '../execution/closedTrades.ts';
import { ShadowBook } from '../execution/shadowBook.ts';
import type { StoreClaimant } from '../execution/storeClaim.ts';
import type { StoredPaperAccount, WardenStore } from '../store/store.ts';
import { eventFromDecision, eventFromExecution } from '../notify/notificationEvent.ts';
import { createNotifier, notifyFromEnv } from '../notify/notifyConfig.ts';
import type { Notifier } from '../notify/notifier.ts';
import { createTelegramCommands } from '../notify/telegramCommands.ts';
import type { TelegramCommandPoller } from '../notify/telegramPoller.ts';
import { BrokerFeed } from './brokerFeed.ts';
import { QuoteFeed } from './quoteFeed.ts';
import { EngineLoop, type MarketLoop } from './engineLoop.ts';
import { EventHub } from './eventHub.ts';
import { RecentBars } from './recentBars.ts';
import { PaperMarket } from './paperMarket.ts';
import { buildServer } from './server.ts';
import { AccountFigures } from './accountFigures.ts';
import { AccountRiskFeed } from './accountRiskFeed.ts';
import { ProposalBook } from './proposals.ts';
import { apiTime } from './views.ts';
import { exposureRefusal, isLoopback } from './access.ts';

/** How often the account strip's figures are read from a real venue at most. */
const ACCOUNT_REFRESH_MS = 10_000;

export interface ServiceOptions {
  config: WardenConfig;
  store: WardenStore;
  log: Logger;
  version: string;
  /** The API token: config, then environment; undefined: made and written to `tokenFile`. */
  token: string | undefined;
  tokenFile: string;
  /** Epoch ms the played market's history ends (default: the clock's now). */
  now?: number;
  /**
   * The wall clock (epoch ms, default Date.now): a real account's session time, the health report's
   * stamp, the bar feed's catch-up and the notifier. Tests pin it, so nothing they check depends on the
   * day or hour they run.
   */
  clock?: () => number;
  /** Where notification and broker credentials may come from (default process.env). */
  env?: Record<string, string | undefined>;
  /** The account to drive (default: the config's `broker:`); tests pass a fake venue. */
  broker?: ConfiguredBroker;
  /** Requests one keep-alive connection may carry (default MAX_REQUESTS_PER_SOCKET); tests set a small one. */
  maxRequestsPerSocket?: number;
  /** A shared store's account lease was taken over by another session (the caller stops the service). */
  onLeaseLost?: (message: string) => void;
  /** The process the session claims the store (or the account's lease) as (default: this one's pid and host). */
  owner?: StoreClaimant;
}

export interface RunningService {
  url: string;
  token: string;
  /** Where a made-up token was written ('' when it came from config or the environment). */
  tokenFile: string;
  session: AccountSession;
  /** The account driven. */
  broker: BrokerPort;
  /** The embedded paper account, when that is the account (null on a real one). */
  paper: PaperAccount | null;
  /** Which account, for a person (no secret in it). */
  describe: string;
  /** What DTMS may do on this account, for a person (the start line). */
  dtms: string;
  loop: MarketLoop;
  /** A real account's quote feed (null on the paper account, or with broker.quoteSec 0). */
  quotes: QuoteFeed | null;
  hub: EventHub;
  notifier: Notifier;
  /** Telegram commands, polled while the service runs (null: notify.telegram.commands is off). */
  commands: TelegramCommandPoller | null;
  stop(): Promise<void>;
}

/** The service cannot start as configured (binding beyond loopback unguarded, unreadable TLS files): the message says which setting. */
export class ServiceSetupError extends Error {}

/**
 * The token from config or environment, else the one written beside the store, else a new one written
 * there (mode 600). A token file others may read is made the owner's alone (600) before it is used:
 * any local user could otherwise act on the account through the API.
 */
function apiToken(given: string | undefined, file: string, log: Logger): { token: string; file: string } {
  if (given !== undefined) return { token: given, file: '' };
  if (existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (t.length >= 16) {
      const mode = statSync(file).mode & 0o777;
      if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
        chmodSync(file, 0o600);
        log.warn(
          { file, was: mode.toString(8) },
          `the API token file was readable by others (mode ${mode.toString(8)}): now 600; anyone who read it can act on the account, so delete it to make a new token`,
        );
      }
      return { token: t, file };
    }
  }
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file };
}

// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
export async function startService(o: ServiceOptions): Promise<RunningService> {
  const { store, log } = o;
  // Refused before anything opens: no venue connected, no store touched, for a start that cannot serve.
  const svc = o.config.service;
  const exposed = exposureRefusal({
    host: svc.host,
    explicitToken: o.token !== undefined,
    tls: svc.tls !== undefined,
    behindProxy: svc.behindProxy,
  });
  if (exposed !== '') throw new ServiceSetupError(exposed);
  const https = svc.tls === undefined ? undefined : readTls(svc.tls);
  const configured = o.broker ?? brokerFromConfig(o.config, o.env ?? process.env);
  // Settings left to the account (null) take its value: a real account is one without the embedded paper account.
  const config = resolveAccountDefaults(o.config, { real: configured.paper === null });
  const live = configured.paper === null ? await openVenue(configured, config, log) : null;
  const m = config.service.market;
  const wallClock = o.clock ?? Date.now;
  const now = o.now ?? wallClock();
  let start = Math.floor(now / 60_000) * 60_000 - m.warmupMinutes * 60_000;
  let market: PaperMarket | null = null;
  let instruments: Instrument[];
  let history: Map<string, Bar[]>;
  // The played market runs on its own clock (faster than real time); a real account on the wall clock.
  // The health report is stamped on the wall clock either way.
  let marketTime = start + m.warmupMinutes * 60_000;
  /** The embedded paper account goes on from the store (below); false: a new one. */
  let resumed = false;
  if (live) {
    instruments = live.instruments;
    history = live.history;
  } else {
    instruments = configured.symbols.map((s) => instrumentFromConfig(config, s, true));
    const symbols = instruments.map((i) => ({ symbol: i.symbol, canonical: i.canonical }));
    const stored = configured.paper ? store.paperAccount() : null;
    const differs = stored === null ? '' : paperSettingsDiffer(stored, m.seed, configured.symbols, m.warmupMinutes);
    if (stored !== null && differs === '' && configured.paper) {
      // The account and its market go on where they stopped: same positions, tickets and market clock.
      start = stored.market.start;
      market = new PaperMarket({ symbols, seed: m.seed, start, warmupMinutes: m.warmupMinutes });
      history = market.resume(stored.market.position, KEPT_HISTORY);
      configured.paper.restore(stored.account);
      marketTime = stored.market.clock;
      resumed = true;
      log.info(
        {
          played: stored.market.position,
          marketTime: new Date(marketTime).toISOString(),
          positions: stored.account.symbols.reduce((n, s) => n + s.broker.book.length, 0),
        },
        'paper account: going on where it stopped',
      );
    } else {
      if (stored !== null)
        log.warn(
          { differs },
          `the stored paper account was made with other market settings (${differs}): a new paper account`,
        );
      market = new PaperMarket({ symbols, seed: m.seed, start, warmupMinutes: m.warmupMinutes });
      history = market.warmup();
    }
  }
  const clock = live ? wallClock : () => marketTime;
  // Notifications are queued and sent in the background: the engine never waits on Discord or Telegram.
  const notify = notifyFromEnv(config.notify, o.env ?? process.env);
  const notifier = createNotifier(notify, log, { now: wallClock });
  const digits = new Map(instruments.map((i) => [i.symbol, i.digits]));
  const eventOptions = { priceDigits: (symbol: string) => digits.get(symbol) };
  const hub = new EventHub();
  const recent = new RecentBars(
    instruments.map((i) => i.symbol),
    KEPT_HISTORY,
  );
  for (const [symbol, bars] of history) for (const b of bars.slice(-KEPT_HISTORY)) recent.add(symbol, b);
  const paper = configured.paper;
  const paperMarket = market;
  // Shadow mode: decided and recorded, nothing sent; the would-be positions go on from the store.
  const shadow = config.broker.mode === 'shadow' ? new ShadowBook(configured.symbols, store.shadowBook()) : undefined;
  if (shadow)
    log.warn(
      { shadowed: shadow.shadowed(), promoted: configured.symbols.filter((s) => !shadow.shadows(s)) },
      'shadow mode: decisions are recorded and nothing is sent',
    );
  // Each position the venue closes becomes a closed trade, recorded off the engine's step.
  const closedTrades = new ClosedTradeRecorder({ store, venue: configured.broker, instruments, clock, log });
  const session = new AccountSession({
    ...(shadow ? { shadow } : {}),
    onLifetimeEnded: (e) => closedTrades.ended(e),
    ...(o.onLeaseLost ? { onLeaseLost: o.onLeaseLost } : {}),
    ...(o.owner ? { owner: o.owner } : {}),
    config,
    baseTimeframe: 'M1',
    instruments,
    broker: configured.broker,
    store,
    clock,
    wallClock,
    log,
    ...(paper && paperMarket
      ? {
          alongside: (s: WardenStore) =>
            s.savePaperAccount({
              account: paper.snapshot(),
              market: {
                seed: m.seed,
                symbols: [...configured.symbols],
                start,
                warmupMinutes: m.warmupMinutes,
                position: paperMarket.position,
                clock: marketTime,
              },
            }),
        }
      : {}),
    onDecision: (r) => {
      const e = eventFromDecision(r, eventOptions);
      if (e !== null) notifier.notify(e);
      if (hub.clients > 0)
        hub.publish('decision', {
          time: apiTime(r.time),
          positionId: ticketOfKey(r.positionId),
          lifetime: r.positionId,
          symbol: r.symbol,
          rule: r.rule,
          outcome: r.outcome,
          reason: r.reason,
          dtmsState: r.dtmsState,
          note: r.note,
        });
    },
  });
  if (paper) {
    for (const inst of instruments) {
      const bars = history.get(inst.symbol) ?? [];
      paper.addHistory(inst.symbol, bars.slice(-KEPT_HISTORY));
      // A new account's quote is the last history bar's close; a resumed one has its own.
      const last = bars[bars.length - 1];
      if (last && !resumed) paper.onBar(inst.symbol, last, last.time + 60_000);
    }
  }
  let started: Awaited<ReturnType<AccountSession['start']>>;
  try {
    started = await session.start(live ? live.warm : history);
  } catch (err) {
    // e.g. the store is in use: let the venue's connections go, or they keep the process alive.
    await configured.broker.close?.();
    throw err;
  }
  closedTrades.recover();
  if (started.closedWhileAway.length > 0) {
    if (paper && !resumed)
      log.info(
        { positions: started.closedWhileAway },
        'positions in the store are not in the new paper account: let go',
      );
    else
      log.info(
        { positions: started.closedWhileAway },
        'positions in the store were closed at the broker while Warden was away',
      );
  }
  // The account strip: a real venue is asked at most every 10 s however many pages poll; the paper
  // account is read on every ask (it costs nothing, and its played market moves faster than that).
  const figures = new AccountFigures({
    broker: configured.broker,
    clock,
    wallClock,
    refreshMs: paper ? 0 : ACCOUNT_REFRESH_MS,
    log,
  });
  // DTMS's loss rails see the account's losses, refreshed after steps at most once a minute of the session's clock.
  const risk = new AccountRiskFeed({ figures, store, engine: session.engine, clock, everyMs: 60_000, log });
  await risk.refresh();
  const onStep = (symbol: string, report: StepReport) => {
    // What Warden changed at the venue shows in the strip's next read, not up to 10 s later.
    if (report.intents.some((r) => r.outcome === 'applied')) figures.invalidate();
    risk.poke();
    const at = clock();
    for (const r of report.intents) {
      const e = eventFromExecution(r, at, eventOptions);
      if (e !== null) notifier.notify(e);
    }
    if (hub.clients > 0)
      hub.publish('step', {
        symbol,
        time: apiTime(at),
        positions: session.engine.openPositions,
        intents: report.intents.map((r) => ({ id: r.intent.id, outcome: r.outcome })),
      });
  };
  const onBar = (symbol: string, bar: Bar) => recent.add(symbol, bar);
  const loop: MarketLoop =
    paper && market
      ? new EngineLoop({
          market,
          account: paper,
          session,
          instruments,
          speed: m.speed,
          demoPositions: m.demoPositions,
          reopenBars: m.reopenBars,
          log,
          beforeStep: (_symbol, closeTime) => {
            marketTime = Math.max(marketTime, closeTime);
          },
          onBar,
          onStep,
        })
      : new BrokerFeed(
          {
            broker: configured.broker,
            session,
            symbols: configured.symbols,
            pollMs: config.broker.pollSec * 1000,
            clock: wallClock,
            log,
            onBar,
            onStep,
          },
          history,
        );
  session.setLagSource(() => loop.lag());
  // Between bars a real account's stops are decided on quotes too; the played market has none.
  const quotes =
    live && config.broker.quoteSec > 0
      ? new QuoteFeed({
          broker: configured.broker,
          session,
          symbols: configured.symbols,
          everyMs: config.broker.quoteSec * 1000,
          staleMs: config.broker.quoteStaleSec * 1000,
          crypto: new Set(instruments.filter((i) => i.crypto).map((i) => i.symbol)),
          clock: wallClock,
          log,
          onStep: (symbol, r) => onStep(symbol, { intents: r.intents, featuresHeld: r.featuresHeld, barProblem: '' }),
        })
      : null;
  if (quotes) {
    session.setQuoteProblems(() => quotes.problems());
    await quotes.open();
  }
  const dtms = describeDtmsScope(config.dtms, {
    hedging: instruments.some((i) => i.hedging),
    byAccount: keysByAccount(o.config).includes('dtms.actions.openPositions'),
  });
  log.info({ dtmsEnabled: config.dtms.enabled, openPositions: config.dtms.actions.openPositions }, dtms);
  const { token, file } = apiToken(o.token, o.tokenFile, log);
  const app = await buildServer({
    session,
    store,
    token,
    log,
    version: o.version,
    rateLimitPerMinute: svc.rateLimitPerMinute,
    pagesRateLimitPerMinute: svc.pagesRateLimitPerMinute,
    tokenRateLimitPerMinute: svc.tokenRateLimitPerMinute,
    hosts: { boundHost: svc.host, allowedHosts: svc.allowedHosts, tls: https !== undefined },
    readsNeedToken: !isLoopback(svc.host),
    ...(https ? { https } : {}),
    ...(o.maxRequestsPerSocket !== undefined ? { maxRequestsPerSocket: o.maxRequestsPerSocket } : {}),
    metrics: () => {
      const n = notifier.stats();
      let sent = 0;
      let failed = 0;
      let dropped = 0;
      for (const c of Object.values(n.channels)) {
        sent += c.sent;
        failed += c.failed;
        dropped += c.dropped;
      }
      return {
        bars_played: loop.played,
        sse_clients: hub.clients,
        notifications_sent: sent,
        notifications_failed: failed,
        notifications_dropped: dropped,
      };
    },
    hub,
    recentBars: (symbol, limit) => recent.last(symbol, limit),
    account: { figures, venue: configured.kind, account: configured.describe, clock, wallClock },
    proposals: new ProposalBook({
      session,
      store,
      bars: (symbol) => recent.lastBars(symbol, KEPT_HISTORY),
      approval: config.proposals.approval,
      version: o.version,
      clock,
    }),
    mcp: svc.mcp,
  });
  try {
    await app.listen({ host: config.service.host, port: config.service.port });
  } catch (err) {
    await quotes?.stop();
    await closedTrades.close();
    await session.close();
    await configured.broker.close?.();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : config.service.port;
  // A wildcard bind is reached on an address of the machine: the printed URL names loopback's.
  const bound =
    config.service.host === '0.0.0.0' ? '127.0.0.1' : config.service.host === '::' ? '::1' : config.service.host;
  const host = bound.includes(':') ? `[${bound}]` : bound;
  void loop.run().catch((err: unknown) => log.error({ err }, 'the engine loop stopped on an error'));
  void quotes?.run().catch((err: unknown) => log.error({ err }, 'the quote feed stopped on an error'));
  const commands = createTelegramCommands(
    notify,
    log,
    { session, store, version: o.version, account: configured.describe, paper: paper !== null, clock, figures },
    wallClock,
  );
  commands?.start();
  let stopped = false;
  return {
    url: `${https ? 'https' : 'http'}://${host}:${port}/`,
    token,
    tokenFile: file,
    session,
    broker: configured.broker,
    paper,
    describe: configured.describe,
    dtms,
    loop,
    quotes,
    hub,
    notifier,
    commands,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Every part is stopped whatever the others do: a store that cannot be written, a venue that
      // does not answer or a failed step must never keep the process (and its port) alive.
      const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
        try {
          await fn();
        } catch (err) {
          log.error({ err: err instanceof Error ? err.message : String(err) }, `stopping: ${what} failed`);
        }
      };
      // A step waiting for the store gives up first (nothing it decided was sent), so the loop can end.
      session.interrupt();
      // No command is taken once stopping has begun; one being answered finishes its change first.
      await attempt('the telegram commands', async () => commands?.stop());
      await attempt('the quote feed', async () => quotes?.stop());
      await attempt('the market loop', () => loop.stop());
      await attempt('the HTTP server', () => app.close());
      await attempt('the closed trades', () => closedTrades.close());
      await attempt('the loss rails', () => risk.idle());
      // Stores the state once more (the paper account as it stopped, a demo position opened after the
      // last step included: the next start goes on from exactly here) and releases the store.
      await attempt('the session', () => session.close());
      await attempt('the notifier', () => notifier.close(5_000));
      await attempt('the broker connection', async () => configured.broker.close?.());
    },
  };
}

/**
 * A real account: its rules per symbol and the history that warms the features, read before anything
 * runs. Each timeframe a feature is built on (M5, M15, H1) is read directly, as many closed bars as
 * the features want (featureRequirements: EMA200 on H1 alone is 12,000 M1 bars, more than a venue
 * serves); M1 covers the time after them. A timeframe the venue refuses is left to the M1 bars and the
 * readiness report says what it lacks.
 */
async function openVenue(
  c: ConfiguredBroker,
  config: WardenConfig,
  log: Logger,
): Promise<{ instruments: Instrument[]; history: Map<string, Bar[]>; warm: Map<string, TimeframeHistory> }> {
  try {
    const mode = await c.broker.accountMode();
    const instruments: Instrument[] = [];
    for (const s of c.symbols) instruments.push(await c.broker.instrument(s));
    const history = new Map<string, Bar[]>();
    const warm = new Map<string, TimeframeHistory>();
    const began = Date.now();
    for (const [i, s] of c.symbols.entries()) {
      const wanted = barsPerTimeframe(featureRequirements(config, instruments[i]!.canonical, 'M1'));
      const h: TimeframeHistory = {};
      for (const [tf, n] of wanted) {
        if (tf === 'M1') continue;
        try {
          h[tf] = await c.broker.candles(s, tf, n);
        } catch (err) {
          log.warn(
            { symbol: s, timeframe: tf, err: err instanceof Error ? err.message : String(err) },
            `no ${tf} history from the broker: those features build from M1 bars`,
          );
        }
      }
      warm.set(s, h);
      try {
        history.set(s, await c.broker.candles(s, 'M1', Math.max(config.broker.historyBars, wanted.get('M1') ?? 0)));
      } catch (err) {
        // The account answers (mode and rules were read) but gives no history (MetaApi documents
        // historical candles as unavailable on some account types): the features warm up from the
        // live bars instead, and the rules that need them wait until then.
        log.warn(
          { symbol: s, err: err instanceof Error ? err.message : String(err) },
          'no bar history from the broker: the features warm up from live bars',
        );
        history.set(s, []);
      }
    }
    for (const [s, bars] of history) warm.get(s)!.M1 = bars;
    const perTimeframe = [...warm.values()].map((h) =>
      Object.fromEntries(Object.entries(h).map(([tf, b]) => [tf, b.length])),
    );
    log.info(
      { broker: c.describe, mode, symbols: c.symbols, bars: perTimeframe, historyMs: Date.now() - began },
      'connected to the broker',
    );
    return { instruments, history, warm };
  } catch (err) {
    await c.broker.close?.();
    throw new BrokerSetupError(`cannot open ${c.describe}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The certificate and key files of service.tls, read once at start. */
export function readTls(tls: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const read = (file: string, field: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ServiceSetupError(
        `cannot read ${field} (${file}): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };
  return { cert: read(tls.cert, 'service.tls.cert'), key: read(tls.key, 'service.tls.key') };
}

/** Closed bars kept per symbol at start (features, the paper account's candles, the pages' charts). */
const KEPT_HISTORY = 2000;

/** Why a stored paper account cannot go on under the current settings ('' when it can). */
function paperSettingsDiffer(
  stored: StoredPaperAccount,
  seed: number,
  symbols: readonly string[],
  warmupMinutes: number,
): string {
  const had = stored.market.symbols.join(', ');
  if (had !== symbols.join(', ')) return `symbols ${had}, now ${symbols.join(', ')}`;
  if (stored.market.seed !== seed) return `seed ${stored.market.seed}, now ${seed}`;
  if (stored.market.warmupMinutes !== warmupMinutes)
    return `warm-up ${stored.market.warmupMinutes} min, now ${warmupMinutes}`;
  return '';
}
