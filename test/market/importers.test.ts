import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BarSeries } from '../../src/market/barSeries.ts';
import {
  detectFormat,
  detectTimeframeMs,
  importBarsFile,
  importBarsText,
  ImportError,
  type ImportResult,
} from '../../src/market/importers.ts';

const utc = (iso: string) => Date.parse(iso);
const lines = (...rows: string[]) => rows.join('\n') + '\n';
const tsv = (...cells: (string | number)[]) => cells.join('\t');
const reasons = (r: ImportResult) => r.errors.map((e) => [e.line, e.reason]);

const UNIFORM = lines(
  'time,open,high,low,close,volume,spread',
  '2024-01-02T00:00:00Z,1.1,1.2,1.0,1.15,10,0.0001',
  '2024-01-02T00:01:00Z,1.15,1.16,1.14,1.15,,',
  '2024-01-02T00:02:00Z,1.15,1.17,1.15,1.16,3,-0.00002',
);

const MT5_EXPORT_HEADER = tsv(
  '<DATE>',
  '<TIME>',
  '<OPEN>',
  '<HIGH>',
  '<LOW>',
  '<CLOSE>',
  '<TICKVOL>',
  '<VOL>',
  '<SPREAD>',
);
const MT5_EXPORT = lines(
  MT5_EXPORT_HEADER,
  tsv('2024.01.02', '10:00:00', '1.10427', '1.10450', '1.10400', '1.10440', 120, 0, 12),
  tsv('2024.01.02', '10:01:00', '1.10440', '1.10460', '1.10430', '1.10455', 0, 5, 7),
  tsv('2024.01.02', '10:02', '1.10455', '1.10470', '1.10450', '1.10460', 98, 0, 0),
);

const MT5_RATES = lines(
  ',time,open,high,low,close,tick_volume,spread,real_volume',
  '0,1704189600,1.10427,1.1045,1.104,1.1044,120,12,0',
  '1,1704189660,1.1044,1.1046,1.1043,1.10455,0,7,5',
);

const BINANCE = lines(
  '1704153600000,42283.58,42554.57,42261.02,42475.23,1271.68108,1704153659999,53957304.7,41000,670.3,28440000.1,0',
  '1704153660000,42475.23,42500.00,42470.10,42490.00,80.5,1704153719999,3420000.5,2100,40.1,1700000.2,0',
);

describe('detectFormat', () => {
  it('recognises each layout from its first line', () => {
    expect(detectFormat(UNIFORM)).toBe('uniform');
    expect(detectFormat(`\uFEFF${UNIFORM.replace(/\n/g, '\r\n')}`)).toBe('uniform');
    expect(detectFormat(MT5_EXPORT)).toBe('mt5_export');
    expect(detectFormat(tsv('<DATE>', '<OPEN>', '<HIGH>', '<LOW>', '<CLOSE>', '<TICKVOL>', '<VOL>', '<SPREAD>'))).toBe(
      'mt5_export',
    );
    expect(detectFormat(MT5_RATES)).toBe('mt5_rates');
    expect(detectFormat('index,time,open,high,low,close,tick_volume,spread,real_volume\n')).toBe('mt5_rates');
    expect(detectFormat('time,open,high,low,close,tick_volume\n')).toBe('mt5_rates');
    expect(detectFormat(BINANCE)).toBe('binance');
    expect(
      detectFormat(
        'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n',
      ),
    ).toBe('binance');
    expect(detectFormat('1735689600000000,1,1,1,1,1,1735689659999999,1,1,1,1,0')).toBe('binance');
  });

  it('returns null for anything else', () => {
    expect(detectFormat('')).toBeNull();
    expect(detectFormat('Date,Open,High,Low,Close\n')).toBeNull();
    expect(detectFormat('1704153600000,1,2,0.5,1.5,10\n')).toBeNull();
  });
});

describe('uniform CSV', () => {
  it('reads bars: empty volume = 0, empty spread = unknown (NaN), negative spreads kept', () => {
    const r = importBarsText(UNIFORM, 'u.csv');
    expect(r.format).toBe('uniform');
    expect(r.errors).toEqual([]);
    expect(r.timeframeMs).toBe(60_000);
    expect(r.series.bar(0)).toEqual({
      time: utc('2024-01-02T00:00:00Z'),
      open: 1.1,
      high: 1.2,
      low: 1.0,
      close: 1.15,
      volume: 10,
      spread: 0.0001,
    });
    expect(r.series.volume[1]).toBe(0);
    expect(r.series.spread[1]).toBeNaN();
    expect(r.series.spread[2]).toBe(-0.00002);
  });

  it('CRLF, a UTF-8 BOM and a missing final newline change nothing', () => {
    const crlf = importBarsText(`\uFEFF${UNIFORM.replace(/\n/g, '\r\n').trimEnd()}`, 'u.csv');
    expect(crlf.errors).toEqual([]);
    expect(crlf.series.toBars()).toEqual(importBarsText(UNIFORM, 'u.csv').series.toBars());
  });

  it('reports each bad row with its line and reason and keeps the good ones', () => {
    const r = importBarsText(
      lines(
        'time,open,high,low,close,volume,spread',
        '2024-01-02T00:00:00Z,1,2,0.5,1.5,10,0.1', // 2 ok
        '2024-01-02T00:01:00Z,1,2,0.5,1.5,10', // 3 six columns
        '2024-01-02 00:02,1,2,0.5,1.5,10,0.1', // 4 not ISO
        '2024-02-30T00:03:00Z,1,2,0.5,1.5,10,0.1', // 5 no such day
        '2024-01-02T00:04:00Z,1,abc,0.5,1.5,10,0.1', // 6 not a number
        '2024-01-02T00:05:00Z,0,2,0.5,1.5,10,0.1', // 7 zero price
        '2024-01-02T00:06:00Z,1,1.2,0.5,1.5,10,0.1', // 8 high below close
        '2024-01-02T00:07:00Z,1,2,1.2,1.5,10,0.1', // 9 low above open
        '2024-01-02T00:00:00Z,1,2,0.5,1.5,10,0.1', // 10 duplicate time
        '2024-01-01T23:59:00Z,1,2,0.5,1.5,10,0.1', // 11 out of order
        '2024-01-02T00:10:00Z,1,2,0.5,1.5,-3,0.1', // 12 negative volume
        '2024-01-02T00:11:00Z,1,2,0.5,1.5,10,wide', // 13 spread not a number
        '',
        '2024-01-02T00:12:00Z,1,2,0.5,1.5,10,0.1', // 15 ok
      ),
      'bad.csv',
    );
    expect(r.series.length).toBe(2);
    expect(r.errors.every((e) => e.file === 'bad.csv')).toBe(true);
    expect(reasons(r)).toEqual([
      [3, 'expected 7 columns, found 6'],
      [4, 'time "2024-01-02 00:02" is not ISO-8601 UTC (e.g. 2024-01-02T03:04:00Z)'],
      [5, 'time "2024-02-30T00:03:00Z" is not ISO-8601 UTC (e.g. 2024-01-02T03:04:00Z)'],
      [6, 'open, high, low and close must be positive numbers'],
      [7, 'open, high, low and close must be positive numbers'],
      [8, 'high/low do not contain open/close (o 1 h 1.2 l 0.5 c 1.5)'],
      [9, 'high/low do not contain open/close (o 1 h 2 l 1.2 c 1.5)'],
      [10, 'time 2024-01-02T00:00:00Z is not after the previous row'],
      [11, 'time 2024-01-01T23:59:00Z is not after the previous row'],
      [12, 'volume "-3" is not a number >= 0'],
      [13, 'spread "wide" is not a number'],
    ]);
  });

  it('parses numbers exactly as Number() does, fractions of seconds included', () => {
    const r = importBarsText(
      lines(
        'time,open,high,low,close,volume,spread',
        '2024-01-02T00:00:00.250Z,1.31927,1.31955,1.3187,1.31935,1e3,0.00100',
      ),
      'u.csv',
    );
    expect(r.errors).toEqual([]);
    expect(r.series.bar(0)).toEqual({
      time: utc('2024-01-02T00:00:00.250Z'),
      open: 1.31927,
      high: 1.31955,
      low: 1.3187,
      close: 1.31935,
      volume: 1000,
      spread: 0.001,
    });
  });

  it("parses a large file (its speed is the benchmark's to measure: npm run bench)", () => {
    const n = 200_000;
    const rows = ['time,open,high,low,close,volume,spread'];
    for (let i = 0; i < n; i++)
      rows.push(
        `${new Date(utc('2020-01-01T00:00:00Z') + i * 60_000).toISOString().slice(0, 19)}Z,1.1042${i % 10},1.10450,1.10400,1.10440,${i % 500},0.00012`,
      );
    const text = rows.join('\n');
    const r = importBarsText(text, 'big.csv');
    expect(r.series.length).toBe(n);
    expect(r.errors).toEqual([]);
  });
});

describe('MT5 "Export bars"', () => {
  it('converts server time with a fixed zone, spread points to price, TICKVOL (VOL when TICKVOL is 0)', () => {
    const r = importBarsText(MT5_EXPORT, 'eurusd.csv', { tz: 'Etc/GMT-2', point: 0.00001 });
    expect(r.format).toBe('mt5_export');
    expect(r.errors).toEqual([]);
    expect(r.timeframeMs).toBe(60_000);
    expect(r.series.bar(0)).toEqual({
      time: utc('2024-01-02T08:00:00Z'),
      open: 1.10427,
      high: 1.1045,
      low: 1.104,
      close: 1.1044,
      volume: 120,
      spread: 0.00012,
    });
    expect(r.series.volume[1]).toBe(5);
    expect(r.series.spread[1]).toBe(0.00007);
    expect(r.series.time[2]).toBe(utc('2024-01-02T08:02:00Z'));
    expect(r.series.spread[2]).toBe(0);
  });

  it('reads daily bars without a <TIME> column (server midnight)', () => {
    const r = importBarsText(
      lines(
        tsv('<DATE>', '<OPEN>', '<HIGH>', '<LOW>', '<CLOSE>', '<TICKVOL>', '<VOL>', '<SPREAD>'),
        tsv('2024.01.02', 2062.1, 2070.5, 2055.3, 2065.2, 50000, 0, 20),
        tsv('2024.01.03', 2065.2, 2066.0, 2030.1, 2041.5, 60000, 0, 25),
      ),
      'xau_d1.csv',
      { tz: 'Etc/GMT-2', point: 0.01 },
    );
    expect(r.errors).toEqual([]);
    expect(r.timeframeMs).toBe(86_400_000);
    expect(r.series.time[0]).toBe(utc('2024-01-01T22:00:00Z'));
    expect(r.series.spread[1]).toBe(0.25);
  });

  it('Europe/Athens across both DST changes of 2024: the skipped hour is refused, the repeated one kept in order', () => {
    const bar = (date: string, time: string) => tsv(date, time, '1.1', '1.2', '1.0', '1.1', 10, 0, 5);
    const r = importBarsText(
      lines(
        MT5_EXPORT_HEADER,
        bar('2024.03.31', '02:30'), // 2: UTC+2 -> 00:30Z
        bar('2024.03.31', '03:30'), // 3: does not exist
        bar('2024.03.31', '04:00'), // 4: UTC+3 -> 01:00Z
        bar('2024.10.27', '03:30'), // 5: first 03:30 (UTC+3) -> 00:30Z
        bar('2024.10.27', '03:00'), // 6: repeated hour (UTC+2) -> 01:00Z
        bar('2024.10.27', '03:30'), // 7: -> 01:30Z
        bar('2024.10.27', '04:00'), // 8: -> 02:00Z
      ),
      'athens.csv',
      { tz: 'Europe/Athens', point: 0.00001 },
    );
    expect(reasons(r)).toEqual([
      [
        3,
        'server time 2024-03-31 03:30:00 does not exist in Europe/Athens: the clocks sprang forward over it (DST); is --tz right?',
      ],
    ]);
    expect(Array.from(r.series.time.subarray(0, r.series.length), (t) => new Date(t).toISOString())).toEqual([
      '2024-03-31T00:30:00.000Z',
      '2024-03-31T01:00:00.000Z',
      '2024-10-27T00:30:00.000Z',
      '2024-10-27T01:00:00.000Z',
      '2024-10-27T01:30:00.000Z',
      '2024-10-27T02:00:00.000Z',
    ]);
  });

  it('--tz mt5-ny: a week of server-time bars either side of the US clock change converts at +2 then +3', () => {
    const bar = (date: string, time: string) => tsv(date, time, '1.1', '1.2', '1.0', '1.1', 10, 0, 5);
    const r = importBarsText(
      lines(
        MT5_EXPORT_HEADER,
        bar('2024.03.08', '23:59'), // Friday's last bar, UTC+2 -> 21:59Z
        bar('2024.03.11', '00:00'), // Monday's first bar, UTC+3 -> Sunday 21:00Z (17:00 New York)
        bar('2024.03.11', '00:01'),
      ),
      'mt5ny.csv',
      { tz: 'mt5-ny', point: 0.00001 },
    );
    expect(r.errors).toEqual([]);
    expect(Array.from(r.series.time.subarray(0, r.series.length), (t) => new Date(t).toISOString())).toEqual([
      '2024-03-08T21:59:00.000Z',
      '2024-03-10T21:00:00.000Z',
      '2024-03-10T21:01:00.000Z',
    ]);
  });

  it('reports bad rows with their line and reason', () => {
    const ok = (time: string) => tsv('2024.01.02', time, '1.1', '1.2', '1.0', '1.1', 10, 0, 5);
    const r = importBarsText(
      lines(
        MT5_EXPORT_HEADER,
        ok('10:00'), // 2
        tsv('2024.01.02', '10:01', '1.1', '1.2', '1.0', '1.1', 10, 0), // 3 eight columns
        ok('10:61'), // 4 bad time
        tsv('2024/01/02', '10:03', '1.1', '1.2', '1.0', '1.1', 10, 0, 5), // 5 bad date
        tsv('2024.01.02', '10:04', '-1.1', '1.2', '1.0', '1.1', 10, 0, 5), // 6 negative price
        tsv('2024.01.02', '10:05', '1.1', '1.05', '1.0', '1.1', 10, 0, 5), // 7 high below open
        ok('10:00'), // 8 duplicate
        tsv('2024.01.02', '10:07', '1.1', '1.2', '1.0', '1.1', -1, 0, 5), // 9 negative volume
        tsv('2024.01.02', '10:08', '1.1', '1.2', '1.0', '1.1', 10, 0, 'x'), // 10 spread
      ),
      'bad_mt5.csv',
      { tz: 'UTC', point: 0.00001 },
    );
    expect(r.series.length).toBe(1);
    expect(reasons(r)).toEqual([
      [3, 'expected 9 tab-separated columns, found 8'],
      [4, 'date/time "2024.01.02 10:61" is not YYYY.MM.DD HH:MM[:SS]'],
      [5, 'date/time "2024/01/02 10:03" is not YYYY.MM.DD HH:MM[:SS]'],
      [6, 'open, high, low and close must be positive numbers'],
      [7, 'high/low do not contain open/close (o 1.1 h 1.05 l 1 c 1.1)'],
      [8, 'time 2024.01.02 10:00 is not after the previous row'],
      [9, 'volume "-1" is not a number >= 0'],
      [10, 'spread "x" is not a number'],
    ]);
  });
});

describe('MT5 rates (copy_rates_* CSV)', () => {
  it('unix-second server times with a pandas index column', () => {
    const r = importBarsText(MT5_RATES, 'rates.csv', { tz: 'Etc/GMT-2', point: 0.00001 });
    expect(r.format).toBe('mt5_rates');
    expect(r.errors).toEqual([]);
    expect(r.series.bar(0)).toEqual({
      time: utc('2024-01-02T08:00:00Z'),
      open: 1.10427,
      high: 1.1045,
      low: 1.104,
      close: 1.1044,
      volume: 120,
      spread: 0.00012,
    });
    expect(r.series.bar(1)).toMatchObject({ time: utc('2024-01-02T08:01:00Z'), volume: 5, spread: 0.00007 });
  });

  it('datetime strings, no index, no spread column (no point needed)', () => {
    const r = importBarsText(
      lines(
        'time,open,high,low,close,tick_volume',
        '2024-07-01 10:00:00,2330.5,2331.0,2329.8,2330.9,300',
        '2024-07-01 11:00:00,2330.9,2335.0,2330.1,2334.2,280',
      ),
      'xau_h1.csv',
      { tz: 'Europe/Athens' },
    );
    expect(r.errors).toEqual([]);
    expect(r.timeframeMs).toBe(3_600_000);
    expect(r.series.time[0]).toBe(utc('2024-07-01T07:00:00Z'));
    expect(r.series.spread[0]).toBeNaN();
  });

  it('reports bad rows with their line and reason', () => {
    const r = importBarsText(
      lines(
        'index,time,open,high,low,close,tick_volume,spread,real_volume',
        '0,1704189600,1.1,1.2,1.0,1.1,10,5,0', // 2 ok
        '1,1704189660,1.1,1.2,1.0,1.1,10,5', // 3 columns
        '2,2024-01-02T10:02,1.1,1.2,1.0,1.1,10,5,0', // 4 ok (T and HH:MM accepted)
        '3,yesterday,1.1,1.2,1.0,1.1,10,5,0', // 5 time
        '4,1704189780,1.1,1.2,1.15,1.1,10,5,0', // 6 low above close
        '5,1704189600,1.1,1.2,1.0,1.1,10,5,0', // 7 out of order
        '6,1704189900,1.1,1.2,1.0,1.1,-10,5,0', // 8 volume
      ),
      'rates_bad.csv',
      { tz: 'UTC', point: 0.00001 },
    );
    expect(r.series.length).toBe(2);
    expect(reasons(r)).toEqual([
      [3, 'expected 9 columns, found 8'],
      [5, 'time "yesterday" is neither unix seconds nor YYYY-MM-DD HH:MM:SS'],
      [6, 'high/low do not contain open/close (o 1.1 h 1.2 l 1.15 c 1.1)'],
      [7, 'time 1704189600 is not after the previous row'],
      [8, 'volume "-10" is not a number >= 0'],
    ]);
  });
});

describe('Binance klines', () => {
  it('reads ms open times (UTC), volume = column 6, spread unknown', () => {
    const r = importBarsText(BINANCE, 'BTCUSDT-1m-2024-01.csv');
    expect(r.format).toBe('binance');
    expect(r.errors).toEqual([]);
    expect(r.timeframeMs).toBe(60_000);
    expect(r.series.bar(0)).toMatchObject({
      time: utc('2024-01-02T00:00:00Z'),
      open: 42283.58,
      high: 42554.57,
      low: 42261.02,
      close: 42475.23,
      volume: 1271.68108,
    });
    expect(r.series.spread[0]).toBeNaN();
  });

  it('reads µs open times and skips an optional header row', () => {
    const r = importBarsText(
      lines(
        'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore',
        '1735689600000000,93576.00,93610.93,93537.50,93610.93,8.21827,1735689659999999,768978.2,1313,3.6,337000.1,0',
        '1735689660000000,93610.93,93650.00,93580.00,93600.00,5.1,1735689719999999,477000.0,900,2.0,187000.0,0',
      ),
      'spot.csv',
    );
    expect(r.errors).toEqual([]);
    expect(r.series.time[0]).toBe(utc('2025-01-01T00:00:00Z'));
    expect(r.series.time[1]).toBe(utc('2025-01-01T00:01:00Z'));
  });

  it('reports bad rows with their line and reason', () => {
    const r = importBarsText(
      lines(
        '1704153600000,1,2,0.5,1.5,10,1704153659999,1,1,1,1,0', // 1 ok
        '1704153660000,1,2,0.5,1.5,10,1704153719999,1,1,1,1', // 2 columns
        '170415372000,1,2,0.5,1.5,10,1704153779999,1,1,1,1,0', // 3 12-digit time
        '1704153780000,1,2,0.5,NaN,10,1704153839999,1,1,1,1,0', // 4 close not a number
        '1704153600000,1,2,0.5,1.5,10,1704153659999,1,1,1,1,0', // 5 duplicate
        '1704153900000,1,2,0.5,1.5,-1,1704153959999,1,1,1,1,0', // 6 volume
      ),
      'bn.csv',
    );
    expect(r.series.length).toBe(1);
    expect(reasons(r)).toEqual([
      [2, 'expected 12 columns, found 11'],
      [3, 'open time "170415372000" is not epoch ms (13 digits) or µs (16 digits)'],
      [4, 'open, high, low and close must be positive numbers'],
      [5, 'time 1704153600000 is not after the previous row'],
      [6, 'volume "-1" is not a number >= 0'],
    ]);
  });
});

describe('ImportError: whole-file problems name the file and say what to do', () => {
  const fails = (f: () => unknown, message: RegExp) => {
    expect(f).toThrow(ImportError);
    expect(f).toThrow(message);
  };

  it('unknown layout and empty file', () => {
    fails(() => importBarsText('Date,Open,High,Low,Close\n', 'x.csv'), /^x\.csv: unknown bar file layout .*convert/);
    fails(() => importBarsText('', 'empty.csv'), /^empty\.csv: the file is empty/);
  });

  it('MT5 files need --tz; UTC files refuse it; an unknown zone is named', () => {
    fails(
      () => importBarsText(MT5_EXPORT, 'm.csv', { point: 0.00001 }),
      /^m\.csv: MT5 files are in broker server time: pass --tz, e.g. mt5-ny \(UTC\+2\/\+3 with New York's DST, the usual MT5 server clock\), Etc\/GMT-2, Europe\/Athens, or UTC$/,
    );
    fails(
      () => importBarsText(MT5_RATES, 'r.csv', { point: 0.00001 }),
      /MT5 files are in broker server time: pass --tz/,
    );
    fails(
      () => importBarsText(UNIFORM, 'u.csv', { tz: 'UTC' }),
      /^u\.csv: uniform CSV files are in UTC already: remove --tz/,
    );
    fails(
      () => importBarsText(BINANCE, 'b.csv', { tz: 'Etc/GMT-2' }),
      /^b\.csv: Binance kline files are in UTC already/,
    );
    fails(
      () => importBarsText(MT5_EXPORT, 'm.csv', { tz: 'Europe/Atlantis', point: 0.00001 }),
      /^m\.csv: unknown time zone "Europe\/Atlantis"/,
    );
  });

  it('MT5 spreads need the instrument point', () => {
    fails(
      () => importBarsText(MT5_EXPORT, 'm.csv', { tz: 'UTC' }),
      /^m\.csv: MT5 spreads are in points: configure the instrument/,
    );
    fails(() => importBarsText(MT5_RATES, 'r.csv', { tz: 'UTC', point: 0 }), /point must be a positive number/);
  });

  it('a forced format whose header does not fit', () => {
    fails(() => importBarsText(MT5_RATES, 'r.csv', { format: 'uniform' }), /^r\.csv: expected the uniform header/);
    fails(
      () => importBarsText(UNIFORM, 'u.csv', { format: 'mt5_export', tz: 'UTC', point: 0.01 }),
      /^u\.csv: not an MT5 "Export bars" file: the header lacks <DATE>/,
    );
  });
});

describe('importBarsFile: encodings', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-import-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a UTF-16LE MT5 export with BOM and CRLF (as the terminal writes it)', () => {
    const file = path.join(dir, 'EURUSD_M1.csv');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(MT5_EXPORT.replace(/\n/g, '\r\n'), 'utf16le')]),
    );
    const r = importBarsFile(file, { tz: 'Etc/GMT-2', point: 0.00001 });
    expect(r.file).toBe(file);
    expect(r.format).toBe('mt5_export');
    expect(r.errors).toEqual([]);
    expect(r.series.toBars()).toEqual(
      importBarsText(MT5_EXPORT, 'x', { tz: 'Etc/GMT-2', point: 0.00001 }).series.toBars(),
    );
  });

  it('reads UTF-8 with a BOM and UTF-16BE', () => {
    const u8 = path.join(dir, 'u8.csv');
    writeFileSync(u8, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(UNIFORM, 'utf8')]));
    expect(importBarsFile(u8)).toMatchObject({ format: 'uniform', errors: [] });
    const be = path.join(dir, 'be.csv');
    writeFileSync(be, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(UNIFORM, 'utf16le').swap16()]));
    const r = importBarsFile(be);
    expect(r.errors).toEqual([]);
    expect(r.series.length).toBe(3);
  });

  it('reports a bad row with the file path', () => {
    const file = path.join(dir, 'bad.csv');
    writeFileSync(file, lines('time,open,high,low,close,volume,spread', '2024-01-02T00:00:00Z,1,2,0.5,1.5,10'));
    expect(importBarsFile(file).errors).toEqual([{ file, line: 2, reason: 'expected 7 columns, found 6' }]);
  });
});

describe('detectTimeframeMs', () => {
  const at = (...minutes: number[]) =>
    BarSeries.fromBars(
      minutes.map((m) => ({ time: m * 60_000, open: 1, high: 1, low: 1, close: 1, volume: 0, spread: NaN })),
    );
  it('is the most common step, the smaller on a tie, 0 with fewer than 2 bars', () => {
    expect(detectTimeframeMs(at())).toBe(0);
    expect(detectTimeframeMs(at(5))).toBe(0);
    expect(detectTimeframeMs(at(0, 5, 10, 15, 60, 65))).toBe(300_000);
    expect(detectTimeframeMs(at(0, 5, 20, 35, 40))).toBe(300_000);
  });
});

describe('prices and volumes outside sane bounds', () => {
  it('uniform: a 1e308 price, a price below 1e-12, a volume of 1e15 and a spread of 1e308 are bad rows with their line; real extremes pass', () => {
    const r = importBarsText(
      lines(
        'time,open,high,low,close,volume,spread',
        '2024-01-02T00:00:00Z,1.1,1.2,1.0,1.15,10,0.0001', // 2 ok
        '2024-01-02T00:01:00Z,1.1,1e308,1.0,1.15,10,0.0001', // 3 high 1e308
        '2024-01-02T00:02:00Z,1e308,1e308,1e308,1e308,10,0.0001', // 4 every price 1e308
        '2024-01-02T00:03:00Z,1e-13,1e-13,1e-13,1e-13,10,0', // 5 below the smallest price
        '2024-01-02T00:04:00Z,1.1,1.2,1.0,1.15,1e15,0.0001', // 6 volume
        '2024-01-02T00:05:00Z,1.1,1.2,1.0,1.15,10,1e308', // 7 spread
        '2024-01-02T00:06:00Z,1.1,1.2,1.0,1.15,1e309,0.0001', // 8 volume not finite
        '2024-01-02T00:07:00Z,1600000000,1650000000,1590000000,1620000000,99999999999999,1000', // 9 BTC/IDR-like: kept
        '2024-01-02T00:08:00Z,0.00000001,0.00000002,0.00000001,0.00000002,0,', // 10 a meme token in dollars: kept
        '2024-01-02T00:09:00Z,151.123,151.2,151.1,151.15,10,0.012', // 11 USDJPY: kept
      ),
      'huge.csv',
    );
    const range = (o: string) =>
      `prices must be from 1e-12 up to below 100000000000 (${o}): no real instrument trades outside, a price there is a broken row`;
    expect(reasons(r)).toEqual([
      [3, range('o 1.1 h 1e+308 l 1 c 1.15')],
      [4, range('o 1e+308 h 1e+308 l 1e+308 c 1e+308')],
      [5, range('o 1e-13 h 1e-13 l 1e-13 c 1e-13')],
      [6, 'volume "1e15" is not below 1000000000000000: a broken row'],
      [7, 'spread "1e308" is not a number between -100000000000 and 100000000000'],
      [8, 'volume "1e309" is not a number >= 0'],
    ]);
    expect(r.errors.every((e) => e.file === 'huge.csv')).toBe(true);
    expect(r.series.length).toBe(4);
    expect(r.series.bar(1).close).toBe(1_620_000_000);
  });

  it('MT5 and Binance rows are held to the same bounds', () => {
    const mt5 = importBarsText(
      lines(
        MT5_EXPORT_HEADER,
        tsv('2024.01.02', '10:00', '1.1', '1e308', '1.0', '1.1', 10, 0, 5),
        tsv('2024.01.02', '10:01', '1.1', '1.2', '1.0', '1.1', '2e15', 0, 5),
      ),
      'mt5.csv',
      { tz: 'UTC', point: 0.00001 },
    );
    expect(mt5.errors.map((e) => [e.line, e.reason.split(' ')[0]])).toEqual([
      [2, 'prices'],
      [3, 'volume'],
    ]);
    const binance = importBarsText(
      lines(
        '1704153600000,42283.58,1e308,42261.02,42475.23,1271.68108,1704153659999,53957304.7,41000,670.3,28440000.1,0',
      ),
      'b.csv',
    );
    expect(binance.errors.map((e) => [e.file, e.line, e.reason.split(' ')[0]])).toEqual([['b.csv', 1, 'prices']]);
  });
});
