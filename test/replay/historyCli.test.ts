// `warden replay --entries <history>` end to end, through the binary: UTC bars (uniform CSV) with an
// MT5 History report in server time, --tz converting the report's times only.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mt5ReportHtml, utf16 } from './historyFixtures.ts';
import { xlsx } from './xlsxFixture.ts';

const bin = path.resolve('bin/warden.js');
const dir = mkdtempSync(path.join(tmpdir(), 'warden-history-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const warden = (...args: string[]) => spawnSync(process.execPath, [bin, 'replay', ...args], { encoding: 'utf8' });

/** 3000 M1 gold bars from 2024-01-02 00:00 UTC, in Warden's uniform CSV. */
function goldBars(): string {
  const rows = ['time,open,high,low,close,volume,spread'];
  let p = 1900;
  for (let i = 0; i < 3000; i++) {
    const t = Date.UTC(2024, 0, 2) + i * 60_000;
    const o = p;
    p = Number((p + Math.sin(i / 50) * 0.4 + (i % 7) * 0.01).toFixed(2));
    rows.push(
      `${new Date(t).toISOString().replace('.000Z', 'Z')},${o},${(Math.max(o, p) + 0.2).toFixed(2)},${(Math.min(o, p) - 0.2).toFixed(2)},${p},10,0.3`,
    );
  }
  const file = path.join(dir, 'XAUUSD_M1.csv');
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

describe('warden replay --entries <MT5 history>', () => {
  const bars = goldBars();
  // Server time UTC+2: 10:15:23 is 08:15:23 UTC (the bar of 08:16 opens it); 2024.01.03 03:00 is 01:00 UTC.
  const report = path.join(dir, 'ReportHistory-12345678.html');
  const html = mt5ReportHtml([
    {
      time: '2024.01.02 10:15:23',
      id: '1001',
      symbol: 'XAUUSD',
      type: 'buy',
      volume: '0.20',
      price: '1 912.40',
      sl: '1 880.00',
      tp: '1 990.00',
    },
    {
      time: '2024.01.03 03:00:00',
      id: '1002',
      symbol: 'XAUUSD',
      type: 'sell',
      volume: '0.10',
      price: '1 950.00',
      sl: '',
      tp: '',
    },
  ]);
  writeFileSync(report, utf16(html));
  const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;

  it("opens the report's positions at the next bar after their UTC time, and manages their exits", {
    timeout: 120_000,
  }, () => {
    const out = path.join(dir, 'html');
    const r = warden(
      '--bars',
      bars,
      '--symbol',
      'XAUUSD',
      '--entries',
      report,
      '--tz',
      'Etc/GMT-2',
      '--out',
      out,
      '--no-progress',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/3,000 bars: 2 trades/);
    const report_ = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as {
      entries: { source: string; count: number; rejected: number };
    };
    expect(report_.entries).toEqual({
      source: 'file ReportHistory-12345678.html: MT5 History report (HTML), server time Etc/GMT-2',
      count: 2,
      rejected: 0,
    });
    const csv = readFileSync(path.join(out, 'trades.csv'), 'utf8').trim().split('\n');
    const head = csv[0]!.split(',');
    const rows = csv.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, k) => [head[k]!, v])));
    expect(rows.map((t) => [t['side'], t['volume'], t['entryTime'], t['initialSl'], t['tp'], t['comment']])).toEqual([
      ['buy', '0.2', '2024-01-02T08:16:00Z', '1880', '1990', 'MT5 position 1001'],
      ['sell', '0.1', '2024-01-03T01:00:00Z', rows[1]!['initialSl'], rows[1]!['tp'], 'MT5 position 1002'],
    ]);
    const decisions = readFileSync(path.join(out, 'decisions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; reason: string });
    // Each position opened names the report's row it came from.
    const opens = decisions.filter((d) => d.kind === 'open' && d.reason.startsWith('entry '));
    expect(opens.map((d) => d.reason)).toEqual([
      `entry ${report}:${lineOf(html, '<td>1001</td>')} (MT5 position 1001)`,
      `entry ${report}:${lineOf(html, '<td>1002</td>')} (MT5 position 1002)`,
    ]);
  });

  it('the same positions from the XLSX report; without --tz the report is refused with what to pass', {
    timeout: 120_000,
  }, () => {
    const book = path.join(dir, 'ReportHistory-12345678.xlsx');
    writeFileSync(
      book,
      xlsx([
        ['Positions'],
        [
          'Time',
          'Position',
          'Symbol',
          'Type',
          'Volume',
          'Price',
          'S / L',
          'T / P',
          'Time',
          'Price',
          'Commission',
          'Swap',
          'Profit',
        ],
        [
          '2024.01.02 10:15:23',
          1001,
          'XAUUSD',
          'buy',
          0.2,
          1912.4,
          1880,
          1990,
          '2024.01.02 14:00:00',
          1930,
          0,
          0,
          351.2,
        ],
      ]),
    );
    const out = path.join(dir, 'xlsx');
    const ok = warden(
      '--bars',
      bars,
      '--symbol',
      'XAUUSD',
      '--entries',
      book,
      '--tz',
      'Etc/GMT-2',
      '--out',
      out,
      '--no-progress',
    );
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/3,000 bars: 1 trades/);
    const bad = warden(
      '--bars',
      bars,
      '--symbol',
      'XAUUSD',
      '--entries',
      report,
      '--out',
      path.join(dir, 'no-tz'),
      '--no-progress',
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      'ReportHistory-12345678.html: MT5 History report (HTML) times are in broker server time: pass --tz',
    );
  });

  it('a bad row stops the replay naming file:line; a history of other symbols only is refused, naming them', {
    timeout: 120_000,
  }, () => {
    const wrong = path.join(dir, 'wrong.html');
    const bad = mt5ReportHtml([
      {
        time: '2024.01.02 10:15:23',
        id: '1001',
        symbol: 'XAUUSD',
        type: 'buy',
        volume: '0.015',
        price: '2063.5',
        sl: '',
        tp: '',
      },
    ]);
    writeFileSync(wrong, utf16(bad));
    const r = warden(
      '--bars',
      bars,
      '--symbol',
      'XAUUSD',
      '--entries',
      wrong,
      '--tz',
      'Etc/GMT-2',
      '--out',
      path.join(dir, 'wrong'),
      '--no-progress',
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `1 bad row(s) in the entries file:\n  ${wrong}:${lineOf(bad, '<td>1001</td>')}: position 1001: volume "0.015" must be a multiple of the lot step`,
    );
    const other = path.join(dir, 'other.html');
    writeFileSync(
      other,
      utf16(
        mt5ReportHtml([
          {
            time: '2024.01.02 10:15:23',
            id: '1002',
            symbol: 'EURUSD',
            type: 'buy',
            volume: '0.20',
            price: '1.1',
            sl: '',
            tp: '',
          },
        ]),
      ),
    );
    const o = warden(
      '--bars',
      bars,
      '--symbol',
      'XAUUSD',
      '--entries',
      other,
      '--tz',
      'Etc/GMT-2',
      '--out',
      path.join(dir, 'other'),
      '--no-progress',
    );
    expect(o.status).toBe(2);
    expect(o.stderr).toContain(
      `${other}: no trade of XAUUSD (XAUUSD) in it, only of other symbols (rows: EURUSD 1): replay each symbol with its own bars and --symbol`,
    );
  });
});
