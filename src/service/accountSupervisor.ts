// Many accounts in one process: `warden serve` with an `accounts:` list on a shared (PostgreSQL) store.
// Each account runs in a service of its own (its session, broker, market loop, dashboard and API on
// a port of its own), exactly as `warden serve` runs one account; this supervisor only decides which
// accounts run here. Several processes share one list: every few seconds each takes, a few at a time,
// the listed accounts whose leases are free (never held, released, or lapsed because their holder
// died), up to its own limit. Taking a few per scan spreads the accounts over processes started
// together, and the survivors of a process that died take its accounts over once their leases lapse.
// It is a simple supervisor, not a scheduler: no process moves an account another holds.
import type { Logger } from 'pino';
import { accountEnv, type AccountEntry } from '../config/accountsSchema.ts';
import type { WardenConfig } from '../config/schema.ts';
import { LEASE_TTL_MS, leaseHolder, type StoreClaimant, thisProcess } from '../execution/storeClaim.ts';
import type { InstalledAccount, WardenStore } from '../store/store.ts';
import { startService, type RunningService } from './service.ts';

/** Where an account of the list is, as this process sees it. */
export type AccountState = 'here' | 'elsewhere' | 'free' | 'failed';

export interface AccountStatus {
  account: string;
  state: AccountState;
  /** Its dashboard and API: this process's (here) or the holder's as it advertised it (elsewhere). */
  url: string | null;
  /** The lease holder (host:pid), and until when it holds the account unless it renews (epoch ms). */
  holder: string | null;
  leaseUntil: number | null;
  /** Managed positions (this process's session, or as the holder last stored them). */
  positions: number;
  /** The latest health status (healthy, degraded, idle), null before any report. */
  health: string | null;
  /** The account's venue: paper, ccxt or metaapi. */
  venue: string;
  /** Why it could not start here (state failed), else null. */
  problem: string | null;
}

export interface AccountSupervisorOptions {
  /** The file's config: its `accounts:` list, and every other section each account's service uses. */
  config: WardenConfig;
  /** Opens one account's rows in the shared store (each account's service has a store of its own). */
  openStore: (account: string) => WardenStore;
  /** Every account of the installation, as stored (leases, positions, health). */
  directory: () => InstalledAccount[];
  log: Logger;
  version: string;
  /** The API token of every account's service (config or environment; undefined: made and kept in tokenFile). */
  token: string | undefined;
  tokenFile: string;
  /** The environment: each account's credentials come from its own variables (accountEnv). */
  env: Readonly<Record<string, string | undefined>>;
  /** This process, as it holds leases (default: its pid and host); tests run two supervisors in one process. */
  owner?: StoreClaimant;
  /** At most this many accounts run here. */
  maxAccounts: number;
  /** At most this many accounts are taken per scan. */
  perScan: number;
  /** How often free accounts are looked for, ms. */
  scanMs: number;
  /** The wall clock (tests pin it). */
  clock?: () => number;
}

interface RunningAccount {
  entry: AccountEntry;
  store: WardenStore;
  service: RunningService;
}

/** What a listed account's service runs with: the file's config, its own broker and played market, a port of its own. */
export function accountConfig(config: WardenConfig, entry: AccountEntry): WardenConfig {
  const market = { ...config.service.market };
  if (entry.market?.seed !== undefined) market.seed = entry.market.seed;
  if (entry.market?.symbols !== undefined) market.symbols = entry.market.symbols;
  if (entry.market?.demoPositions !== undefined) market.demoPositions = entry.market.demoPositions;
  return {
    ...config,
    broker: entry.broker ?? config.broker,
    accounts: [],
    // Each account's dashboard and API listen on a port the system gives (the process's list links to it).
    service: { ...config.service, port: 0, market },
  };
}

export class AccountSupervisor {
  private readonly running = new Map<string, RunningAccount>();
  private readonly failed = new Map<string, string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private scanning: Promise<void> | null = null;
  private stopped = false;

  private readonly owner: StoreClaimant;

  constructor(private readonly o: AccountSupervisorOptions) {
    this.owner = o.owner ?? thisProcess();
  }

  /** Takes the first free accounts, then keeps looking every scanMs. */
  async start(): Promise<void> {
    await this.scan();
    this.timer = setInterval(() => void this.scan(), this.o.scanMs);
  }

  /** The accounts running here, by id, with their services. */
  get here(): ReadonlyMap<string, RunningService> {
    return new Map([...this.running].map(([id, r]) => [id, r.service]));
  }

  /** One look for free accounts (a scan under way is waited for, not doubled). */
  scan(): Promise<void> {
    this.scanning ??= this.takeFree().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async takeFree(): Promise<void> {
    let taken = 0;
    for (const entry of this.o.config.accounts) {
      if (this.stopped || this.running.size >= this.o.maxAccounts || taken >= this.o.perScan) return;
      if (this.running.has(entry.id) || this.failed.has(entry.id)) continue;
      let store: WardenStore;
      try {
        store = this.o.openStore(entry.id);
      } catch (err) {
        this.fail(entry, messageOf(err));
        continue;
      }
      // Taken first (cheap), then the service starts and takes it again as its session's own.
      const attempt = store.leases?.acquire(leaseHolder(this.owner), LEASE_TTL_MS);
      if (attempt === undefined || !attempt.acquired) {
        store.close();
        continue;
      }
      taken++;
      await this.startAccount(entry, store);
    }
  }

  private async startAccount(entry: AccountEntry, store: WardenStore): Promise<void> {
    const log = this.o.log.child({ account: entry.id });
    try {
      const service = await startService({
        config: accountConfig(this.o.config, entry),
        store,
        log,
        version: this.o.version,
        token: this.o.token,
        tokenFile: this.o.tokenFile,
        env: accountEnv(entry.id, this.o.env),
        ...(this.o.clock ? { clock: this.o.clock } : {}),
        onLeaseLost: (message) => this.lost(entry.id, message),
        owner: this.owner,
      });
      if (this.stopped) {
        await service.stop();
        store.close();
        return;
      }
      store.leases?.advertise(service.url);
      this.running.set(entry.id, { entry, store, service });
      log.info({ url: service.url }, `account ${entry.id} runs here`);
    } catch (err) {
      store.close();
      this.fail(entry, messageOf(err));
    }
  }

  /** An account that cannot start here (its config, its venue) is not retried by this process: it says why. */
  private fail(entry: AccountEntry, message: string): void {
    this.failed.set(entry.id, message);
    this.o.log.error({ account: entry.id, reason: message }, `account ${entry.id} cannot start here: ${message}`);
  }

  /** Another process took the account over: its service here stops; it may be taken again once free. */
  private lost(id: string, message: string): void {
    const r = this.running.get(id);
    if (r === undefined) return;
    this.running.delete(id);
    this.o.log.error({ account: id, reason: message }, `account ${id} stopped here: ${message}`);
    void r.service
      .stop()
      .catch((err: unknown) => this.o.log.error({ account: id, err }, 'error while stopping a lost account'))
      .finally(() => r.store.close());
  }

  /** Every listed account (and any other the installation holds): where it runs, its lease, positions and health. */
  status(): AccountStatus[] {
    const stored = new Map(this.o.directory().map((a) => [a.account, a]));
    const listed = new Map(this.o.config.accounts.map((e) => [e.id, e]));
    const ids = [...new Set([...listed.keys(), ...stored.keys()])].sort();
    return ids.map((id) => {
      const s = stored.get(id);
      const here = this.running.get(id);
      const lease = s?.lease ?? null;
      const venue = (listed.get(id)?.broker ?? this.o.config.broker).kind;
      const problem = this.failed.get(id) ?? null;
      let state: AccountState = 'free';
      if (here !== undefined) state = 'here';
      else if (problem !== null) state = 'failed';
      else if (lease?.live === true) state = 'elsewhere';
      return {
        account: id,
        state,
        url: here?.service.url ?? (state === 'elsewhere' ? (lease?.endpoint ?? null) : null),
        holder: lease?.holder ?? null,
        leaseUntil: lease?.expiresAt ?? null,
        positions: here?.service.session.engine.openPositions ?? s?.positions ?? 0,
        health: s?.health?.status ?? null,
        venue,
        problem,
      };
    });
  }

  /** Stops every account's service here (each finishes its step and stores it), then releases their leases. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.scanning;
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(
      all.map(async (r) => {
        try {
          await r.service.stop();
        } catch (err) {
          this.o.log.error({ account: r.entry.id, err }, 'error while stopping an account');
        } finally {
          r.store.close();
        }
      }),
    );
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
