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
  it('replays the sample market (what npm start runs) and says where the report is', () => {
    const out = path.join(dir, 'sample');
    const r = warden('--sample', '--sample-bars', '8000', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/XAUUSDc M1, 8,000 bars: \d+ trades, win [\d.]+%/);
    expect(r.stdout).toContain(`report: ${path.join(out, 'report.html')}`);
    for (const f of ['decisions.jsonl', 'report.json', 'trades.csv', 'report.html']) expect(existsSync(path.join(out, f)), f).toBe(true);
  });

  it('replays a bar file with an entries file', () => {
    const bars = ['time,open,high,low,close,volume,spread'];
    let p = 1900;
    for (let i = 0; i < 3000; i++) {
      const t = Date.UTC(2024, 0, 2) + i * 60_000;
      const o = p;
      p = Number((p + Math.sin(i / 50) * 0.4 + (i % 7) * 0.01).toFixed(2));
      bars.push(`${new Date(t).toISOString().replace('.000Z', 'Z')},${o},${Math.max(o, p) + 0.2},${Math.min(o, p) - 0.2},${p},10,0.3`);
    }
    const barsFile = path.join(dir, 'bars.csv');
    writeFileSync(barsFile, bars.join('\n') + '\n');
    const entries = path.join(dir, 'entries.csv');
    writeFileSync(entries, 'time,symbol,side,volume,sl,tp,comment\n2024-01-02T20:00:00Z,XAUUSDc,buy,0.2,1880,1990,swing\n2024-01-03T01:00:00Z,XAUUSDc,sell,0.1,,,\n');
    const out = path.join(dir, 'file');
    const r = warden('--bars', barsFile, '--symbol', 'XAUUSDc', '--entries', entries, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/3,000 bars: 2 trades/);
    const csv = readFileSync(path.join(out, 'trades.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[1]).toContain('swing');
  });

  it('compares configs side by side on the same entries', () => {
    const r = warden('--sample', '--sample-bars', '8000', '--compare', 'examples/seed-before.yaml', 'defaults');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/metric\s+seed-before\s+defaults/);
    expect(r.stdout).toMatch(/RMAG trigger rate \(< 50%\)\s+[\d.]+%\s+[\d.]+%/);
  });

  it('refuses bad input with one clear message and exit 2', () => {
    const cases: [string[], RegExp][] = [
      [['--sample'], /--out DIR is required/],
      [['--bars', 'nope.csv', '--symbol', 'XAUUSD', '--entry-every', '10', '--seed', '1', '--out', dir], /nope\.csv: no such file/],
      [['--bars', 'x.csv', '--symbol', 'XAUUSD', '--entry-every', '10', '--out', dir], /needs --seed/],
      [['--bars', 'x.csv', '--symbol', 'XAUUSD', '--out', dir], /entries are required/],
      [['--sample', '--out', dir, '--intrabar', 'coin'], /--intrabar must be one of stop_first, target_first, ohlc_path/],
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
});
