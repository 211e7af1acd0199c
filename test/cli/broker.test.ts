// `warden broker check` through the CLI: the embedded paper account (exit 0, its rules listed), and
// the refusals a trader meets when pointing Warden at a real account: a credential written in the
// config (refused, never echoed), a missing credential (the variable named), an incomplete section.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { wardenCli } from '../support/cliRun.ts';

const sdkInstalled = existsSync(
  fileURLToPath(new URL('../../node_modules/metaapi.cloud-sdk/package.json', import.meta.url)),
);
const dir = mkdtempSync(join(tmpdir(), 'warden-broker-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const warden = wardenCli;

function configFile(yaml: string): string {
  const f = join(dir, `c${++n}.yaml`);
  writeFileSync(f, yaml);
  return f;
}

beforeEach(() => {
  for (const v of ['WARDEN_CCXT_API_KEY', 'WARDEN_CCXT_SECRET', 'WARDEN_METAAPI_TOKEN', 'WARDEN_METAAPI_ACCOUNT_ID'])
    vi.stubEnv(v, undefined);
});
afterEach(() => vi.unstubAllEnvs());

describe('warden broker check', () => {
  it('on the embedded default: the paper account, its mode and each symbol rules; exit 0, nothing changed', async () => {
    const r = await warden('broker', 'check');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^account: paper account/);
    expect(r.stdout).toMatch(/mode: hedging/);
    expect(r.stdout).toMatch(/XAUUSDc \(XAUUSD\): tick 0\.001, 3 digits, lots 0\.01\.\.100 step 0\.01/);
    expect(r.stdout).toMatch(/EURUSD \(EURUSD\): tick 0\.00001/);
    expect(r.stdout).toMatch(/open positions \(0\)/);
    expect(r.stdout).toMatch(/Nothing was changed at the broker\./);
    const json = await warden('broker', 'check', '--json');
    const report = JSON.parse(json.stdout) as {
      mode: string;
      symbols: { symbol: string; instrument: { lotStep: number } }[];
      problems: string[];
    };
    expect(report.mode).toBe('hedging');
    expect(report.symbols.map((s) => s.symbol)).toEqual(['XAUUSDc', 'EURUSD', 'BTCUSDc']);
    expect(report.problems).toEqual([]);
  });

  it('refuses a credential written in the config, naming the variable and never printing the value', async () => {
    const f = configFile('broker:\n  kind: ccxt\n  symbols: [BTC/USDT:USDT]\n  ccxt:\n    secret: s3cr3t-value\n');
    const r = await warden('broker', 'check', '--config', f);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /broker\.ccxt\.secret: credentials are read from the environment only: remove it here and set WARDEN_CCXT_SECRET/,
    );
    expect(r.stderr + r.stdout).not.toContain('s3cr3t-value');
    const check = await warden('config', 'check', f);
    expect(check.code).toBe(2);
    expect(check.stderr + check.stdout).not.toContain('s3cr3t-value');
  });

  it('names the missing environment variable (ccxt key, then secret; MetaApi token, then account id)', async () => {
    const ccxt = configFile('broker:\n  kind: ccxt\n  symbols: [BTC/USDT:USDT]\n');
    let r = await warden('broker', 'check', '--config', ccxt);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/binanceusdm account needs its API key: set the environment variable WARDEN_CCXT_API_KEY/);
    vi.stubEnv('WARDEN_CCXT_API_KEY', 'k');
    r = await warden('broker', 'check', '--config', ccxt);
    expect(r.stderr).toMatch(/set the environment variable WARDEN_CCXT_SECRET/);
    const meta = configFile('broker:\n  kind: metaapi\n  symbols: [XAUUSDc]\n');
    r = await warden('broker', 'check', '--config', meta);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/set the environment variable WARDEN_METAAPI_TOKEN/);
    vi.stubEnv('WARDEN_METAAPI_TOKEN', 'token-value-123');
    r = await warden('broker', 'check', '--config', meta);
    expect(r.stderr).toMatch(
      /broker\.metaapi\.accountId in the config, or the environment\): set the environment variable WARDEN_METAAPI_ACCOUNT_ID/,
    );
    expect(r.stderr).not.toContain('token-value-123');
  });

  it.skipIf(sdkInstalled)(
    `MetaApi without its optional SDK: the install command, exit 2${sdkInstalled ? ' [skipped: metaapi.cloud-sdk is installed here]' : ''}`,
    async () => {
      vi.stubEnv('WARDEN_METAAPI_TOKEN', 'token-value-123');
      vi.stubEnv('WARDEN_METAAPI_ACCOUNT_ID', 'acc-1');
      const r = await warden(
        'broker',
        'check',
        '--config',
        configFile('broker:\n  kind: metaapi\n  symbols: [XAUUSDc]\n'),
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /cannot read MetaApi account acc-1 \(MT4\/MT5\): .*npm install metaapi\.cloud-sdk@29\.3\.3/,
      );
      expect(r.stderr).not.toContain('token-value-123');
    },
  );

  it('warden serve refuses to start on a real account without its credentials, naming the variable (no store is made)', async () => {
    const store = join(dir, 'never.db');
    const r = await warden(
      'serve',
      '--config',
      configFile('broker:\n  kind: ccxt\n  symbols: [BTC/USDT:USDT]\n'),
      '--store',
      store,
      '--port',
      '0',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /the broker cannot start: the binanceusdm account needs its API key: set the environment variable WARDEN_CCXT_API_KEY/,
    );
    expect(existsSync(store)).toBe(false);
  });

  it('a real account needs its symbols listed', async () => {
    const r = await warden('broker', 'check', '--config', configFile('broker:\n  kind: metaapi\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broker\.symbols: list the symbols to manage on the metaapi account/);
  });
});
