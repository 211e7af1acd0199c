// The accounts: section: which accounts one installation manages, and where each one's credentials
// come from (its own environment variables, never another account's or the shared ones).
import { describe, expect, it } from 'vitest';
import { accountEnv, accountEnvPrefix } from '../../src/config/accountsSchema.ts';
import { parseConfig } from '../../src/config/load.ts';
import { accountConfig } from '../../src/service/accountSupervisor.ts';

describe('config accounts:', () => {
  it('is empty by default: the one account of broker:', () => {
    const r = parseConfig({}, 'test.yaml');
    expect(r.ok && r.config.accounts).toEqual([]);
  });

  it("lists accounts with their own broker and played market; the rest of the file is every account's", () => {
    const r = parseConfig(
      {
        service: { port: 9000, market: { seed: 1, speed: 5 } },
        accounts: [
          { id: 'a-1' },
          { id: 'b.2', broker: { kind: 'ccxt', symbols: ['BTC/USDT:USDT'] }, market: { seed: 7, demoPositions: 3 } },
        ],
      },
      'test.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const [a, b] = r.config.accounts.map((e) => accountConfig(r.config, e));
    expect(a!.broker.kind).toBe('paper');
    expect(a!.service.market.seed).toBe(1);
    expect(b!.broker.kind).toBe('ccxt');
    expect(b!.service.market).toMatchObject({ seed: 7, demoPositions: 3, speed: 5 });
    // Each account's service listens on a port of its own; the file's port is the accounts index's.
    expect([a!.service.port, b!.service.port]).toEqual([0, 0]);
    expect(a!.accounts).toEqual([]);
  });

  it('refuses an id listed twice and an id that is not plain, naming where', () => {
    const r = parseConfig({ accounts: [{ id: 'x' }, { id: 'x' }, { id: 'bad id' }] }, 'test.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = JSON.stringify(r.errors);
    expect(text).toMatch(/accounts.*1.*id/);
    expect(text).toMatch(/listed twice/);
    expect(text).toMatch(/letters, digits/);
  });
});

describe('accountEnv', () => {
  it("gives each account its own credentials, and never the shared ones or another account's", () => {
    const env = {
      PATH: '/bin',
      WARDEN_CCXT_API_KEY: 'shared-key',
      WARDEN_CCXT_SECRET: 'shared-secret',
      WARDEN_ACCOUNT_ACCT_01_CCXT_API_KEY: 'k1',
      WARDEN_ACCOUNT_ACCT_01_CCXT_SECRET: 's1',
      WARDEN_ACCOUNT_ACCT_02_METAAPI_TOKEN: 't2',
    };
    expect(accountEnvPrefix('acct-01')).toBe('WARDEN_ACCOUNT_ACCT_01_');
    const one = accountEnv('acct-01', env);
    expect([one.WARDEN_CCXT_API_KEY, one.WARDEN_CCXT_SECRET, one.WARDEN_METAAPI_TOKEN, one.PATH]).toEqual([
      'k1',
      's1',
      undefined,
      '/bin',
    ]);
    const two = accountEnv('acct-02', env);
    expect([two.WARDEN_CCXT_API_KEY, two.WARDEN_CCXT_SECRET, two.WARDEN_METAAPI_TOKEN]).toEqual([
      undefined,
      undefined,
      't2',
    ]);
  });
});
