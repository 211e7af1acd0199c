import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = path.resolve('bin/warden.js');
const dir = mkdtempSync(path.join(tmpdir(), 'warden-cli-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const warden = (...args: string[]) => spawnSync(process.execPath, [bin, 'replay', ...args], { encoding: 'utf8' });

describe('warden replay', () => {
  it('replays the sample market (npm run sample-replay) and says where the report is', () => {
    const out = path.join(dir, 'sample');
    const r = warden('--sample', '--sample-bars', '8000', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/XAUUSDc M1, 8,000 bars: \d+ trades, win [\d.]+%/);
    expect(r.stdout).toContain(`report: ${path.join(out, 'report.html')}`);
    for (const f of ['decisions.jsonl', 'report.json', 'trades.csv', 'report.html'])
      expect(existsSync(path.join(out, f)), f).toBe(true);
  });

  it('replays a bar file with an entries file', () => {
    const bars = ['time,open,high,low,close,volume,spread'];
    let p = 1900;
    for (let i = 0; i < 3000; i++) {
      const t = Date.UTC(2024, 0, 2) + i * 60_000;
      const o = p;
      p = Number((p + Math.sin(i / 50) * 0.4 + (i % 7) * 0.01).toFixed(2));
      bars.push(
        `${new Date(t).toISOString().replace('.000Z', 'Z')},${o},${Math.max(o, p) + 0.2},${Math.min(o, p) - 0.2},${p},10,0.3`,
      );
    }
    const barsFile = path.join(dir, 'bars.csv');
    writeFileSync(barsFile, bars.join('\n') + '\n');
    const entries = path.join(dir, 'entries.csv');
    writeFileSync(
      entries,
      'time,symbol,side,volume,sl,tp,comment\n2024-01-02T20:00:00Z,XAUUSDc,buy,0.2,1880,1990,swing\n2024-01-03T01:00:00Z,XAUUSDc,sell,0.1,,,\n',
    );
    const out = path.join(dir, 'file');
    const r = warden('--bars', barsFile, '--symbol', 'XAUUSDc', '--entries', entries, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/3,000 bars: 2 trades/);
    const csv = readFileSync(path.join(out, 'trades.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[1]).toContain('swing');
  });

  it('reads an MT5 "Export bars" file in server time with --tz, and refuses it without', () => {
    const rows = ['<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>'];
    let p = 1.1;
    for (let i = 0; i < 2500; i++) {
      const d = new Date(Date.UTC(2024, 0, 2, 2) + i * 60_000); // server time UTC+2
      const ymd = `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
      const hms = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:00`;
      const o = p;
      p = Number((p + Math.sin(i / 40) * 0.0002).toFixed(5));
      rows.push(
        [
          ymd,
          hms,
          o.toFixed(5),
          (Math.max(o, p) + 0.0001).toFixed(5),
          (Math.min(o, p) - 0.0001).toFixed(5),
          p.toFixed(5),
          '50',
          '0',
          '12',
        ].join('\t'),
      );
    }
    const file = path.join(dir, 'EURUSD_M1.csv');
    writeFileSync(file, rows.join('\r\n') + '\r\n');
    const out = path.join(dir, 'mt5');
    const args = [
      '--bars',
      file,
      '--symbol',
      'EURUSD',
      '--entry-every',
      '200',
      '--seed',
      '3',
      '--warmup',
      '300',
      '--out',
      out,
    ];
    const bad = warden(...args);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--tz/);
    const ok = warden(...args, '--tz', 'Etc/GMT-2');
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as {
      data: { format: string; first: string };
    };
    expect(report.data.format).toBe('mt5_export');
    expect(report.data.first).toBe('2024-01-02T00:00:00Z');
  });

  it('compares configs side by side on the same entries', () => {
    const r = warden('--sample', '--sample-bars', '8000', '--compare', 'examples/seed-before.yaml', 'defaults');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/metric\s+seed-before\s+defaults/);
    expect(r.stdout).toMatch(/RMAG trigger rate \(< 50%\)\s+[\d.]+%\s+[\d.]+%/);
  });

  /** M1 gold-like bars from 2024-01-02 with the given spread column text ('' = missing). */
  function goldBars(name: string, spread: string, n = 4000): string {
    const rows = ['time,open,high,low,close,volume,spread'];
    let p = 1900;
    for (let i = 0; i < n; i++) {
      const t = Date.UTC(2024, 0, 2) + i * 60_000;
      const o = p;
      p = Number((p + Math.sin(i / 50) * 0.4 + (i % 7) * 0.01 - 0.03).toFixed(2));
      rows.push(
        `${new Date(t).toISOString().replace('.000Z', 'Z')},${o},${(Math.max(o, p) + 0.2).toFixed(2)},${(Math.min(o, p) - 0.2).toFixed(2)},${p},10,${spread}`,
      );
    }
    const file = path.join(dir, name);
    writeFileSync(file, rows.join('\n') + '\n');
    return file;
  }
  const reportOf = (out: string) =>
    JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as {
      broker: { spread: string };
      metrics: { trades: number; netProfit: number };
    };

  it('a file whose spreads are all 0 replays with the instrument default spread (or --spread-points), loudly', () => {
    const file = goldBars('zero.csv', '0');
    const gen = ['--entry-every', '150', '--warmup', '300'];
    const out = path.join(dir, 'zero-default');
    const r = warden('--bars', file, '--symbol', 'XAUUSDc', ...gen, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^warden: WARNING: zero\.csv \(every spread is 0\): replayed as it is, every trade would be free of costs\. Using 250 points \(0\.25\) for its bars \(the XAUUSD default, instruments\.XAUUSD\.defaultSpreadPoints\); pass --spread-points N/,
    );
    expect(reportOf(out).broker.spread).toContain(
      'zero.csv: no spreads in the data, 250 points (0.25) from the XAUUSD default',
    );
    const given = path.join(dir, 'zero-given');
    const g = warden('--bars', file, '--symbol', 'XAUUSDc', ...gen, '--spread-points', '0', '--out', given);
    expect(g.status, g.stderr).toBe(0);
    expect(g.stderr).toMatch(/Using 0 points \(0\) for its bars \(--spread-points\)\./);
    // The same trades; the default spread costs money that a zero spread does not.
    expect(reportOf(out).metrics.trades).toBe(reportOf(given).metrics.trades);
    expect(reportOf(out).metrics.netProfit).toBeLessThan(reportOf(given).metrics.netProfit);
    // --fixed-spread still means --spread-points on every bar, and needs it.
    const fixed = warden(
      '--bars',
      file,
      '--symbol',
      'XAUUSDc',
      ...gen,
      '--fixed-spread',
      '--out',
      path.join(dir, 'zero-fixed'),
    );
    expect(fixed.status).toBe(2);
    expect(fixed.stderr).toMatch(
      /--fixed-spread uses --spread-points N for every bar: pass it \(e\.g\. --spread-points 250, the XAUUSD default\)/,
    );
  });

  it('an unknown symbol is refused; --instrument defines it; a spread-less file then needs --spread-points', () => {
    const file = goldBars('gold-missing.csv', '', 3000);
    const gen = ['--entry-every', '150', '--warmup', '300'];
    const unknown = warden('--bars', file, '--symbol', 'GOLD', ...gen, '--out', path.join(dir, 'gold'));
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(
      /GOLD has no instrument rules.*instruments\.GOLD in a config \(tickSize, digits, lotStep, contractSize;.*--instrument tickSize=/s,
    );
    const contract = ['--instrument', 'tickSize=0.01,digits=2,contractSize=100,lotStep=0.01'];
    const noSpread = warden('--bars', file, '--symbol', 'GOLD', ...contract, ...gen, '--out', path.join(dir, 'gold'));
    expect(noSpread.status).toBe(2);
    expect(noSpread.stderr).toMatch(
      /gold-missing\.csv \(no row has a spread\): no spread to replay with.*Pass --spread-points N .*instruments\.GOLD\.defaultSpreadPoints/s,
    );
    const out = path.join(dir, 'gold');
    const ok = warden('--bars', file, '--symbol', 'GOLD', ...contract, '--spread-points', '30', ...gen, '--out', out);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(
      /WARNING: gold-missing\.csv .*Using 30 points \(0\.3\) for its bars \(--spread-points\)\./,
    );
    expect(reportOf(out).metrics.trades).toBeGreaterThan(5);
    const badField = warden(
      '--bars',
      file,
      '--symbol',
      'GOLD',
      '--instrument',
      'tickSize=0.01,digits=two',
      ...gen,
      '--out',
      out,
    );
    expect(badField.status).toBe(2);
    expect(badField.stderr).toMatch(/--instrument digits: .*\(got "two"\)/);
  });

  // Eight runs of the CLI, each starting node and the TypeScript loader: seconds each on a busy machine.
  it('refuses bad input with one clear message and exit 2', { timeout: 120_000 }, () => {
    const cases: [string[], RegExp][] = [
      [['--sample'], /--out DIR is required/],
      [
        ['--bars', 'nope.csv', '--symbol', 'XAUUSD', '--entry-every', '10', '--seed', '1', '--out', dir],
        /nope\.csv: no such file/,
      ],
      // --seed defaults to 1: --entry-every alone is enough (here the file is what is missing).
      [['--bars', 'x.csv', '--symbol', 'XAUUSD', '--entry-every', '10', '--out', dir], /x\.csv: no such file/],
      [['--bars', 'x.csv', '--symbol', 'XAUUSD', '--out', dir], /entries are required/],
      [
        ['--sample', '--out', dir, '--intrabar', 'coin'],
        /--intrabar must be one of stop_first, target_first, ohlc_path/,
      ],
      [['--sample', '--out', dir, '--faults', '2'], /--faults must be a number between 0 and 1/],
      [['--sample', '--compare', 'defaults'], /at least two configs/],
      [['--sample', '--out', dir, '--config', 'examples/nope.yaml'], /nope\.yaml/],
    ];
    for (const [args, msg] of cases) {
      const r = warden(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a bar priced 1e308 is a bad row with file:line; --skip-bad-rows replays without it, every number finite', () => {
    const file = goldBars('huge.csv', '0.3', 3000);
    const rows = readFileSync(file, 'utf8').split('\n');
    // Line 1501 (bar 1500): its high 1e308, which would make the ATR infinite and refuse every later entry.
    const cells = rows[1500]!.split(',');
    cells[2] = '1e308';
    rows[1500] = cells.join(',');
    writeFileSync(file, rows.join('\n'));
    const args = ['--bars', file, '--symbol', 'XAUUSDc', '--entry-every', '150', '--warmup', '300'];
    const bad = warden(...args, '--out', path.join(dir, 'huge-refused'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`${file}:1501: prices must be from 1e-12 up to below 100000000000`);
    const out = path.join(dir, 'huge-skipped');
    const ok = warden(...args, '--skip-bad-rows', '--out', out);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/skipped 1 bad row\(s\):\n.*huge\.csv:1501: prices must be/);
    const trades = readFileSync(path.join(out, 'trades.csv'), 'utf8');
    expect(trades).not.toMatch(/Infinity|NaN/);
    expect(reportOf(out).metrics.netProfit).not.toBeNull();
    expect(reportOf(out).metrics.trades).toBeGreaterThan(10);
  });
});
