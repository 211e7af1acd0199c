// `warden import-legacy`: the Python bot's intelligent_exits.json into a store, one line per record.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.ts';
import type { CliIO } from '../../src/cli/io.ts';
import { defaultConfig } from '../../src/config/load.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { BREAKEVEN_DONE } from '../../src/exits/exitPlan.ts';
import { planFromLegacy } from '../../src/exits/legacyRule.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-import-legacy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BIN = fileURLToPath(new URL('../../bin/warden.js', import.meta.url));

function capture(): CliIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), stdout: () => out, stderr: () => err };
}

async function warden(...args: string[]) {
  const io = capture();
  const code = await run(['node', 'warden', ...args], io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

// The Python bot's file: keyed by ticket string, every key of a live rule, mixed actions_taken.
const LEGACY = {
  '5001': {
    ticket: 5001,
    symbol: 'XAUUSDc',
    entry_price: 2400.5,
    direction: 'buy',
    initial_sl: 2390.5,
    initial_tp: 2420.5,
    breakeven_profit_pct: 20,
    partial_profit_pct: 50,
    partial_close_pct: 50,
    potential_profit: 20,
    risk: 10,
    risk_reward_ratio: 2,
    vix_threshold: 18,
    vix_multiplier: 1.5,
    use_hybrid_stops: true,
    trailing_enabled: true,
    created_at: '2025-03-10T08:15:00.123456',
    original_trade_type: 'INTRADAY',
    breakeven_triggered: true,
    partial_triggered: false,
    vix_adjustment_active: false,
    hybrid_adjustment_active: false,
    trailing_active: true,
    last_trailing_sl: 2401.2,
    last_check: '2025-03-10T09:00:00',
    actions_taken: [
      { action: 'breakeven', timestamp: '2025-03-10T08:40:00', profit_pct: 21, r_achieved: 0.21 },
      'void_partial_2410.00',
    ],
    advanced_gate: {
      ema50_slope: 0.1,
      ema200_slope: 0.05,
      vol_state: 'squeeze_with_trend',
      ema200_atr: -2.05,
      vwap_zone: 'outer',
      mtf_total: 2,
      mtf_max: 3,
      hvn_dist_atr: 2.15,
    },
    metadata: {},
  },
  // The older app/data file: percentages as fractions.
  '5002': {
    ticket: 5002,
    symbol: 'BTCUSDc',
    entry_price: 61000,
    direction: 'SELL',
    initial_sl: 62000,
    initial_tp: 58000,
    breakeven_profit_pct: 0.3,
    partial_profit_pct: 0.6,
    partial_close_pct: 0.5,
  },
  // Missing percentages take the original loader's defaults; no stop.
  '5003': { ticket: 5003, symbol: 'EURUSD', entry_price: 1.085, direction: 'sell', initial_sl: 0, initial_tp: 1.075 },
  // A BUY with its stop above entry (the legacy hazard: risk -500).
  '5004': { ticket: 5004, symbol: 'XAUUSDc', entry_price: 2000, direction: 'buy', initial_sl: 2500, initial_tp: 2100 },
  // Malformed: keys missing; a bad direction; not an object.
  '5005': { ticket: 5005, symbol: 'GBPUSD' },
  '5006': { ticket: 5006, symbol: 'GBPUSD', entry_price: 1.27, direction: 'long', initial_sl: 1.26, initial_tp: 1.29 },
  '5007': 'corrupted',
};

const legacyFile = join(dir, 'intelligent_exits.json');
writeFileSync(legacyFile, JSON.stringify(LEGACY, null, 2));

const EXPECTED_LINES = [
  'imported 5001 XAUUSDc buy entry 2400.5 sl 2390.5 tp 2420.5: breakeven 20%, partial 50% closing 50%, INTRADAY, breakeven done',
  'imported 5002 BTCUSDc sell entry 61000 sl 62000 tp 58000: breakeven 30%, partial 60% closing 50%; percentages stored as fractions (older format): multiplied by 100',
  'imported 5003 EURUSD sell entry 1.085 no sl tp 1.075: breakeven 30% (default), partial 60% (default) closing 50% (default)',
  'skipped 5004: buy with initial_sl 2500 on the wrong side of entry 2000 (risk would be negative)',
  'skipped 5005: missing entry_price, direction, initial_sl, initial_tp (required: ticket, symbol, entry_price, direction, initial_sl, initial_tp)',
  expect.stringMatching(/^skipped 5006: direction: .* \(got "long"\)$/),
  'skipped 5007: entry is not an object',
];

describe('warden import-legacy', () => {
  it('imports the valid rules, skips the others with their reason, and stores what it imported', async () => {
    const store = join(dir, 'a.db');
    const r = await warden('import-legacy', legacyFile, '--store', store);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, -1)).toEqual(EXPECTED_LINES);
    expect(lines.at(-1)).toBe(`7 records: 3 imported, 4 skipped, into ${store}`);

    const s = openSqliteStore(store, { now: 0, readonly: true });
    const rules = s.legacyRules();
    expect(rules.map((x) => x.positionId)).toEqual(['5001', '5002', '5003']);
    expect(rules.every((x) => x.source === legacyFile)).toBe(true);
    const gold = s.legacyRule('5001')!;
    expect(gold.rule).toMatchObject({
      ticket: '5001',
      symbol: 'XAUUSDc',
      direction: 'buy',
      initial_sl: 2390.5,
      breakeven_triggered: true,
      trailing_active: true,
    });
    expect(s.legacyRule('5002')!.rule).toMatchObject({
      direction: 'sell',
      breakeven_profit_pct: 30,
      partial_profit_pct: 60,
      partial_close_pct: 50,
    });
    expect(s.legacyRule('5002')!.notes).toEqual(['percentages stored as fractions (older format): multiplied by 100']);
    expect(s.legacyRule('5004')).toBeNull();
    expect(s.plans()).toEqual([]); // plans are built when the position is seen (volume, instrument)
    s.close();

    // What the engine will do with it when position 5001 shows up with 0.2 lots.
    const plan = planFromLegacy(
      gold.rule,
      instrumentFromConfig(defaultConfig(), 'XAUUSDc'),
      0.2,
      Date.UTC(2025, 2, 10, 9),
    );
    expect(plan).toMatchObject({
      positionId: '5001',
      side: 'buy',
      initialVolume: 0.2,
      risk: 10,
      breakevenPct: 20,
      trailingActive: true,
      breakevenState: BREAKEVEN_DONE,
    });
  });

  it('a second import skips what the store already has', async () => {
    const store = join(dir, 'b.db');
    expect((await warden('import-legacy', legacyFile, '--store', store)).code).toBe(0);
    const r = await warden('import-legacy', legacyFile, '--store', store);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^skipped 5001: already imported \(from .*intelligent_exits\.json at \d{4}-\d\d-\d\dT/m);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(`7 records: 0 imported, 7 skipped, into ${store}`);
  });

  it('--dry-run reports and writes nothing (no store file is created)', async () => {
    const store = join(dir, 'dry.db');
    const r = await warden('import-legacy', legacyFile, '--store', store, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('would import 5001 XAUUSDc buy');
    expect(r.stdout).toContain('skipped 5004: buy with initial_sl 2500');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(
      'dry run, nothing written: 7 records: 3 would be imported, 4 skipped',
    );
    expect(existsSync(store)).toBe(false);
  });

  it('a file that is not a legacy rules file: exit 2, one message, no stack trace', async () => {
    const store = join(dir, 'c.db');
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{"5001": {"ticket": 5001,');
    const a = await warden('import-legacy', notJson, '--store', store);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^warden: .*broken\.json is not valid JSON: /);
    expect(a.stderr).not.toMatch(/^\s{4}at /m);

    const list = join(dir, 'list.json');
    writeFileSync(list, '[{"ticket": 1}]');
    const b = await warden('import-legacy', list, '--store', store);
    expect(b.code).toBe(2);
    expect(b.stderr).toBe(
      `warden: ${list} is not an intelligent_exits.json: the top level is an array, expected an object keyed by ticket\n`,
    );

    const c = await warden('import-legacy', join(dir, 'missing.json'), '--store', store);
    expect(c.code).toBe(2);
    expect(c.stderr).toBe(`warden: ${join(dir, 'missing.json')}: file not found\n`);
    expect(existsSync(store)).toBe(false);
  });

  it('a store that is refused: exit 2 with the reason, the file untouched', async () => {
    const notAStore = join(dir, 'exits-copy.json');
    writeFileSync(notAStore, JSON.stringify(LEGACY));
    const before = readFileSync(notAStore);
    const r = await warden('import-legacy', legacyFile, '--store', notAStore);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `warden: ${notAStore} is not a Warden store: it is not a SQLite database (it looks like a JSON file); refusing to open it; the file was left untouched\n`,
    );
    expect(readFileSync(notAStore).equals(before)).toBe(true);
  });

  it('runs as a user runs it (node bin/warden.js)', () => {
    const store = join(dir, 'bin.db');
    const r = spawnSync(process.execPath, [BIN, 'import-legacy', legacyFile, '--store', store], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, WARDEN_DEBUG: '' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('imported 5003 EURUSD sell');
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(8);
    const bad = spawnSync(process.execPath, [BIN, 'import-legacy', legacyFile, '--store', legacyFile], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, WARDEN_DEBUG: '' },
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not a Warden store/);
  });
});
