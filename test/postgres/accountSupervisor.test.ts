// Many accounts in one process, and one list shared by two (AccountSupervisor on a real PostgreSQL
// installation, each account a real service on the paper broker): free accounts are taken a few per
// scan up to a limit, held ones are left to their holder and listed with where it serves them, and a
// supervisor's clean stop frees its accounts for the other to take. Two supervisors in this process
// stand for two processes (owners with their own pid and host).
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { AccountSupervisor } from '../../src/service/accountSupervisor.ts';
import { openPostgresStore } from '../../src/store/postgresStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { dropSchema, freshSchema, NO_POSTGRES, urlOf } from './postgresSupport.ts';

const schema = freshSchema('supervisor');
const url = urlOf(schema);
const ids = ['acct-1', 'acct-2', 'acct-3', 'acct-4', 'acct-5', 'acct-6'];
const config = configSchema.parse({
  service: { port: 0, market: { speed: 50, warmupMinutes: 1500, demoPositions: 1, symbols: ['XAUUSDc'] } },
  accounts: ids.map((id, i) => ({ id, market: { seed: i + 1 } })),
});
const log = createLogger({ level: 'silent' });
const stores: WardenStore[] = [];
const directoryStore = NO_POSTGRES ? null : openPostgresStore(url, { now: PINNED_NOW, account: 'acct-1' });

function supervisor(host: string, maxAccounts: number, perScan: number): AccountSupervisor {
  return new AccountSupervisor({
    config,
    openStore: (account) => openPostgresStore(url, { now: PINNED_NOW, account }),
    directory: () => directoryStore!.directory.accounts(),
    log,
    version: 'test',
    token: 'supervisor-token-0123456789',
    tokenFile: '/nonexistent/unused.token',
    env: {},
    owner: { pid: 4242, host, alive: () => true },
    maxAccounts,
    perScan,
    // Scans are called by the test, not on a timer.
    scanMs: 3_600_000,
    clock: () => PINNED_NOW,
  });
}

describe.skipIf(NO_POSTGRES)('AccountSupervisor on a shared installation', () => {
  const a = supervisor('host-a', 4, 2);
  const b = supervisor('host-b', 6, 6);

  afterAll(async () => {
    await Promise.allSettled([a.stop(), b.stop()]);
    for (const s of stores) s.close();
    directoryStore?.close();
    dropSchema(schema);
  });

  it('each process takes free accounts a few per scan up to its limit, and lists the others where they run', async () => {
    await a.start();
    expect([...a.here.keys()]).toEqual(['acct-1', 'acct-2']);
    await b.start();
    expect([...b.here.keys()]).toEqual(['acct-3', 'acct-4', 'acct-5', 'acct-6']);
    await a.scan();
    expect(a.here.size).toBe(2);

    const seen = a.status();
    expect(seen.map((s) => [s.account, s.state])).toEqual([
      ['acct-1', 'here'],
      ['acct-2', 'here'],
      ['acct-3', 'elsewhere'],
      ['acct-4', 'elsewhere'],
      ['acct-5', 'elsewhere'],
      ['acct-6', 'elsewhere'],
    ]);
    const third = seen[2]!;
    expect(third.holder).toBe('host-b:4242');
    expect(third.url).toBe(b.here.get('acct-3')!.url);
    expect(third.venue).toBe('paper');
    expect(seen[0]!.positions).toBeGreaterThan(0);
    // Each account's service answers on its own port, for its own account.
    const r = await fetch(new URL('api/positions', b.here.get('acct-4')!.url));
    expect(r.status).toBe(200);
  });

  it("a clean stop frees a process's accounts at once: the other takes them at its next scan", async () => {
    await a.stop();
    expect(a.here.size).toBe(0);
    const free = b
      .status()
      .filter((s) => s.state === 'free')
      .map((s) => s.account);
    expect(free).toEqual(['acct-1', 'acct-2']);
    await b.scan();
    expect([...b.here.keys()].sort()).toEqual(ids);
    // The account resumed from what the stopped service stored: the same paper positions.
    const held = b.status().find((s) => s.account === 'acct-1')!;
    expect(held.state).toBe('here');
    expect(held.positions).toBeGreaterThan(0);
  });
});
