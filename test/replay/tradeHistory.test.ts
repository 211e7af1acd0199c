// `replay --entries` on a trader's history as the venues save it: the MT5 History report (HTML, UTF-16LE
// with a BOM as the terminal writes it, and XLSX), MT5 deals written by a Python script, and Binance's
// trade-history CSVs. Every fixture is made here; no test reads the clock.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { barsTz, entriesLayoutOf, parseEntriesFile, readEntriesFile } from '../../src/replay/entries/readEntries.ts';
import { htmlTableRows } from '../../src/replay/entries/html.ts';
import { splitCsvLine } from '../../src/replay/entries/csv.ts';
import { parseAmount } from '../../src/replay/entries/binance.ts';
import { ReplayInputError } from '../../src/replay/replayInputs.ts';
import { mt5ReportHtml, utf16, type Pos } from './historyFixtures.ts';
import { xlsx, zip, type SheetCell } from './xlsxFixture.ts';

const config = defaultConfig();
const gold = instrumentFromConfig(config, 'XAUUSDc');
const btc = instrumentFromConfig(config, 'BTCUSD');
const iso = (t: number) => new Date(t).toISOString();

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'warden-history-'));
  dirs.push(d);
  return d;
};

/** 1-based line of the first line containing `needle`. */
const lineOf = (text: string, needle: string): number => text.slice(0, text.indexOf(needle)).split('\n').length;

const winter: Pos[] = [
  {
    time: '2024.01.02 10:15:23',
    id: '1001',
    symbol: 'XAUUSDc',
    type: 'buy',
    volume: '0.10',
    price: '2 063.50',
    sl: '2 050.00',
    tp: '2 080.00',
  },
  {
    time: '2024.01.03 03:00',
    id: '1002',
    symbol: 'XAUUSD',
    type: 'sell',
    volume: '0.05 / 0.20',
    price: '2 070.10',
    sl: '',
    tp: '0.00',
  },
  {
    time: '2024.01.02 23:59:59',
    id: '1003',
    symbol: 'XAUUSDc',
    type: 'sell',
    volume: '1',
    price: '2070',
    sl: '2 090.00',
    tp: '',
  },
];

describe('MT5 History report (HTML)', () => {
  it('reads the Positions table of a UTF-16LE report with a BOM: openings in server time -> UTC, sorted, file:line', () => {
    const html = mt5ReportHtml(winter);
    const file = 'ReportHistory-12345678.html';
    const r = parseEntriesFile(utf16(html), file, gold, config.symbols, { tz: 'Etc/GMT-2' });
    expect(r.layout).toBe('mt5_report_html');
    expect(r.errors).toEqual([]);
    expect(r.about).toBe('MT5 History report (HTML), server time Etc/GMT-2');
    expect(r.entries.map((e) => [iso(e.time), e.side, e.volume, e.sl, e.tp, e.venuePrice, e.comment])).toEqual([
      ['2024-01-02T08:15:23.000Z', 'buy', 0.1, 2050, 2080, 2063.5, 'MT5 position 1001'],
      // 23:59:59 server on Jan 2 is 21:59:59 UTC: before Jan 3 03:00 server, listed after it in the file.
      ['2024-01-02T21:59:59.000Z', 'sell', 1, 2090, null, 2070, 'MT5 position 1003'],
      // Closed in parts: "0.05 / 0.20" opened 0.20; T / P 0.00 and an empty S / L are none.
      ['2024-01-03T01:00:00.000Z', 'sell', 0.2, null, null, 2070.1, 'MT5 position 1002'],
    ]);
    expect(r.entries.map((e) => e.source)).toEqual([
      `${file}:${lineOf(html, '<td>1001</td><td>XAUUSDc')}`,
      `${file}:${lineOf(html, '<td>1003</td>')}`,
      `${file}:${lineOf(html, '<td>1002</td>')}`,
    ]);
    // Stops and targets are absolute prices (not distances from the fill).
    expect(r.entries.every((e) => Number.isNaN(e.slDistance))).toBe(true);
  });

  it('uses --tz as the bar importers do: mt5-ny is UTC+2 in winter and UTC+3 in New York summer; none is an error', () => {
    const summer: Pos = { ...winter[0]!, time: '2024.07.02 10:00:00', id: '2001' };
    const buf = Buffer.from(mt5ReportHtml([winter[0]!, summer]), 'utf8');
    const r = parseEntriesFile(buf, 'r.htm', gold, config.symbols, { tz: 'mt5-ny' });
    expect(r.entries.map((e) => iso(e.time))).toEqual(['2024-01-02T08:15:23.000Z', '2024-07-02T07:00:00.000Z']);
    expect(() => parseEntriesFile(buf, 'r.htm', gold, config.symbols)).toThrow(ReplayInputError);
    expect(() => parseEntriesFile(buf, 'r.htm', gold, config.symbols)).toThrow(
      /r\.htm: MT5 History report \(HTML\) times are in broker server time: pass --tz, e\.g\. mt5-ny/,
    );
    expect(() => parseEntriesFile(buf, 'r.htm', gold, config.symbols, { tz: 'Mars/Olympus' })).toThrow(
      /unknown time zone "Mars\/Olympus"/,
    );
    // A wall time the clocks skip (Athens, last Sunday of March, 03:00-03:59) is a bad row, never shifted.
    const skipped = parseEntriesFile(
      Buffer.from(mt5ReportHtml([{ ...winter[0]!, time: '2024.03.31 03:30:00' }])),
      'r.htm',
      gold,
      config.symbols,
      { tz: 'Europe/Athens' },
    );
    expect(skipped.errors[0]!.reason).toMatch(/2024-03-31 03:30:00 does not exist in Europe\/Athens/);
  });

  it('names each bad row by file:line and says why; no bad row is skipped', () => {
    const rows: Pos[] = [
      winter[0]!,
      { ...winter[0]!, id: '3001', symbol: 'EURUSD' },
      { ...winter[0]!, id: '3002', time: '2024.02.30 10:00:00' },
      { ...winter[0]!, id: '3003', volume: '0.015' },
      { ...winter[0]!, id: '3004', type: 'balance' },
      { ...winter[0]!, id: '3005', sl: '2 090.00' },
      { ...winter[0]!, id: '3006', tp: 'n/a' },
    ];
    const html = mt5ReportHtml(rows);
    const r = parseEntriesFile(utf16(html), 'h.html', gold, config.symbols, { tz: 'Etc/GMT-2' });
    expect(r.entries).toHaveLength(1);
    // Another symbol's row is no bad row: a history holds every symbol traded; it is left out and counted.
    expect(r.about).toContain('not entries: 1 row(s) of other symbols (EURUSD 1)');
    expect(r.errors.map((e) => `${e.file}:${e.line}: ${e.reason}`)).toEqual([
      `h.html:${lineOf(html, '<td>3002</td>')}: position 3002: time "2024.02.30 10:00:00" must be YYYY.MM.DD HH:MM[:SS] (server time)`,
      `h.html:${lineOf(html, '<td>3003</td>')}: position 3003: volume "0.015" must be a multiple of the lot step 0.01 between 0.01 and 100`,
      `h.html:${lineOf(html, '<td>3004</td>')}: position 3004: type "balance" must be buy or sell`,
      `h.html:${lineOf(html, '<td>3005</td>')}: position 3005: a buy's sl 2090 must be below its tp 2080`,
      `h.html:${lineOf(html, '<td>3006</td>')}: position 3006: T / P "n/a" must be a price, 0 or empty`,
    ]);
  });

  it('refuses a report without a Positions table, saying what it looks for', () => {
    const html =
      '<html><body><table><tr><th>Orders</th></tr><tr><td>Open Time</td><td>Order</td></tr></table></body></html>';
    expect(() => parseEntriesFile(Buffer.from(html), 'x.html', gold, config.symbols, { tz: 'UTC' })).toThrow(
      /x\.html: no Positions table with the columns Time, Position, Symbol, Type, Volume, Price, S \/ L, T \/ P/,
    );
  });

  it('reads table rows as shown: hidden cells out, spans counted, entities decoded, lines kept', () => {
    const rows = htmlTableRows(
      '<table>\n<!-- <tr><td>no</td></tr> -->\n<tr><td colspan="2">A &amp; B</td><td class="hidden">x</td><td>S&nbsp;/&nbsp;L</td>\n<tr><th>t</th></table>',
    );
    expect(rows).toEqual([
      { line: 3, cells: ['A & B', '', 'S / L'], heading: false },
      { line: 4, cells: ['t'], heading: true },
    ]);
  });
});

/** The same report as "Open XML" writes it: one sheet, the sections one under the other. */
function reportSheet(positions: readonly (readonly SheetCell[])[]): SheetCell[][] {
  return [
    ['Trade History Report'],
    ['Name:', null, null, 'Demo Trader'],
    ['Account:', null, null, '12345678 (USD, MetaQuotes-Demo, demo, Hedge)'],
    ['Company:', null, null, 'MetaQuotes Ltd.'],
    ['Date:', null, null, '2024.01.05 12:00'],
    [],
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
    ...positions.map((p) => [...p]),
    [null, null, null, null, null, null, null, null, null, null, 0, 0, 105],
    [],
    ['Orders'],
    ['Open Time', 'Order', 'Symbol', 'Type', 'Volume', 'Price', 'S / L', 'T / P', 'Time', 'State', 'Comment'],
    [
      '2024.01.02 10:15:23',
      1001,
      'XAUUSD',
      'buy',
      '0.1 / 0.1',
      'market',
      2050,
      2080,
      '2024.01.02 10:15:23',
      'filled',
      '',
    ],
  ];
}

describe('MT5 History report (XLSX)', () => {
  it('reads the Positions table of the sheet; a date number is a server time too; the source is the sheet row', () => {
    const book = xlsx(
      reportSheet([
        ['2024.01.02 10:15:23', 1001, 'XAUUSD', 'buy', 0.1, 2063.5, 2050, 2080, '2024.01.02 14:00:00', 2070, 0, 0, 65],
        // 45293.5 is 2024-01-02 12:00:00 as a spreadsheet date number.
        [45293.5, 1002, 'XAUUSDc', 'sell', 0.2, 2065, 0, 2040, '2024.01.02 15:00:00', 2060, 0, 0, 40],
      ]),
      { sheetName: 'ReportHistory-12345678' },
    );
    const r = parseEntriesFile(book, 'ReportHistory-12345678.xlsx', gold, config.symbols, { tz: 'Etc/GMT-2' });
    expect(r.layout).toBe('mt5_report_xlsx');
    expect(r.errors).toEqual([]);
    expect(r.entries.map((e) => [iso(e.time), e.side, e.volume, e.sl, e.tp, e.source])).toEqual([
      ['2024-01-02T08:15:23.000Z', 'buy', 0.1, 2050, 2080, 'ReportHistory-12345678.xlsx:9'],
      ['2024-01-02T10:00:00.000Z', 'sell', 0.2, null, 2040, 'ReportHistory-12345678.xlsx:10'],
    ]);
    // Inline strings and stored (not deflated) parts read the same.
    const plain = parseEntriesFile(
      xlsx(reportSheet([['2024.01.02 10:15:23', 1001, 'XAUUSD', 'buy', 0.1, 2063.5, 2050, 2080]]), {
        inline: true,
        deflate: false,
      }),
      'p.xlsx',
      gold,
      config.symbols,
      { tz: 'UTC' },
    );
    expect(plain.entries.map((e) => iso(e.time))).toEqual(['2024-01-02T10:15:23.000Z']);
  });

  it('a bad row names the sheet row; a damaged or foreign zip is refused with the reason', () => {
    const book = xlsx(
      reportSheet([
        ['2024.01.02 10:15:23', 1001, 'XAUUSD', 'buy', 0.1, 2063.5, 2050, 2080],
        ['2024.01.02 11:00:00', 1002, 'XAUUSD', 'buy limit', 0.1, 2063.5, 2050, 2080],
      ]),
    );
    const r = parseEntriesFile(book, 'b.xlsx', gold, config.symbols, { tz: 'UTC' });
    expect(r.errors).toEqual([
      { file: 'b.xlsx', line: 10, reason: 'position 1002: type "buy limit" must be buy or sell' },
    ]);
    const damaged = Buffer.from(book);
    const sheetAt = damaged.indexOf('xl/worksheets/sheet1.xml') + 'xl/worksheets/sheet1.xml'.length + 20;
    damaged[sheetAt] = damaged[sheetAt]! ^ 0xff; // inside the sheet's compressed bytes
    expect(() => parseEntriesFile(damaged, 'd.xlsx', gold, config.symbols, { tz: 'UTC' })).toThrow(
      /d\.xlsx: .*(checksum|inflate|damaged)/,
    );
    expect(() => parseEntriesFile(zip({ 'a.txt': 'hello' }), 'z.xlsx', gold, config.symbols, { tz: 'UTC' })).toThrow(
      /z\.xlsx: a zip archive without xl\/workbook\.xml/,
    );
    expect(() => parseEntriesFile(Buffer.from('time,symbol\n'), 'n.xlsx', gold, config.symbols)).toThrow(
      /named \.xlsx but not a zip archive/,
    );
  });
});

const DEALS_HEADER =
  ',ticket,order,time,time_msc,type,entry,magic,position_id,reason,volume,price,commission,swap,profit,fee,symbol,comment,external_id';

describe('MT5 deals CSV (history_deals_get written by pandas)', () => {
  // time: unix seconds of the server clock (1704190523 = 2024-01-02 10:15:23 server time).
  const deals = [
    DEALS_HEADER,
    '0,50001,0,1704186000,1704186000000,2,0,0,0,0,0.0,0.0,0.0,0.0,10000.0,0.0,,Deposit,',
    '1,50002,60002,1704190523,1704190523120,0,0,0,60002,0,0.1,2063.5,0.0,0.0,0.0,0.0,XAUUSDc,,',
    '2,50003,60003,1704204000,1704204000500,1,1,0,60002,4,0.1,2070.0,0.0,0.0,65.0,0.0,XAUUSDc,[tp 2070.00],',
    '3,50004,60004,1704207600,1704207600000,1,0,0,60004,0,0.2,2068.0,0.0,0.0,0.0,0.0,XAUUSDc,"my, comment",',
    '4,50005,60005,1704208500,1704208500000,1,0,0,60004,0,0.1,2067.0,0.0,0.0,0.0,0.0,XAUUSDc,,',
    '5,50006,60006,1704211200,1704211200000,0,2,0,60004,0,0.5,2060.0,0.0,0.0,24.0,0.0,XAUUSDc,,',
    '6,50007,60007,1704214800,1704214800000,1,1,0,60004,0,0.2,2066.0,0.0,0.0,12.0,0.0,XAUUSDc,,',
  ];

  it("takes each position's first in-deal (and the new side of a reversal) as an entry; sl and tp unknown", () => {
    const r = parseEntriesFile(Buffer.from(deals.join('\n') + '\n'), 'deals.csv', gold, config.symbols, {
      tz: 'Etc/GMT-2',
    });
    expect(r.layout).toBe('mt5_deals_csv');
    expect(r.errors).toEqual([]);
    expect(
      r.entries.map((e) => [iso(e.time), e.side, e.volume, e.sl, e.tp, e.venuePrice, e.comment, e.source]),
    ).toEqual([
      ['2024-01-02T08:15:23.120Z', 'buy', 0.1, null, null, 2063.5, 'MT5 position 60002', 'deals.csv:3'],
      ['2024-01-02T13:00:00.000Z', 'sell', 0.2, null, null, 2068, 'MT5 position 60004 my, comment', 'deals.csv:5'],
      // The reversal buys 0.5 against 0.3 sold: 0.2 opens long.
      ['2024-01-02T14:00:00.000Z', 'buy', 0.2, null, null, 2060, 'MT5 position 60004', 'deals.csv:7'],
    ]);
    expect(r.about).toBe(
      'MT5 deals CSV (history_deals_get), server time Etc/GMT-2; not entries: 3 closing deal(s), 1 deal(s) adding to an open position, 1 balance or other non-trade deal(s)',
    );
  });

  it('reads times converted by the script (text) and without the index column; bad rows name their line', () => {
    const header = DEALS_HEADER.slice(1).replace(',time_msc', '');
    const rows = [
      header,
      '50002,60002,2024-01-02 10:15:23,0,0,0,60002,0,0.1,2063.5,0.0,0.0,0.0,0.0,XAUUSD,,',
      '50003,60003,2024-01-02 10:20:00,0,7,0,60003,0,0.1,2063.5,0.0,0.0,0.0,0.0,XAUUSD,,',
      '50004,60004,2024-01-02 10:25:00,1,0,0,60004,0,0.1,2063.5,0.0,0.0,0.0,0.0,GBPUSD,,',
      '50005,60005,yesterday,1,0,0,60005,0,0.1,2063.5,0.0,0.0,0.0,0.0,XAUUSD,,',
      '50006,60006,2024-01-02 10:30:00,0,2,0,60006,0,0.1,2063.5,0.0,0.0,0.0,0.0,XAUUSD,,',
    ];
    const r = parseEntriesFile(Buffer.from(rows.join('\r\n')), 'd2.csv', gold, config.symbols, { tz: 'UTC' });
    expect(r.entries.map((e) => iso(e.time))).toEqual(['2024-01-02T10:15:23.000Z']);
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([
      [3, 'entry "7" must be 0 (in), 1 (out), 2 (in/out) or 3 (out by)'],
      [5, 'time "yesterday" must be unix seconds of the server\'s clock or YYYY-MM-DD HH:MM:SS'],
      [
        6,
        'a reversal (entry 2) of position 60006, whose earlier deals are not in the file: the volume it opens is not known',
      ],
    ]);
  });
});

describe('Binance trade history CSV', () => {
  // USDⓈ-M futures, newest first as exported, every cell quoted.
  const futures = [
    ['Date(UTC)', 'Symbol', 'Side', 'Price', 'Quantity', 'Amount', 'Fee', 'Fee Coin', 'Realized Profit', 'Quote Asset'],
    ['2024-01-02 17:00:00', 'BTCUSDT', 'SELL', '42100', '0.10', '4210', '1.68', 'USDT', '4', 'USDT'], // closes 0.04 long, opens 0.06 short
    ['2024-01-02 16:00:00', 'BTCUSDT', 'BUY', '42000', '0.04', '1680', '0.67', 'USDT', '0', 'USDT'], // opens long
    ['2024-01-02 15:00:00', 'BTCUSDT', 'SELL', '42300', '0.02', '846', '0.34', 'USDT', '-3', 'USDT'], // closes a position from before the file
    ['2024-01-02 14:00:00', 'BTCUSDT', 'BUY', '42400', '0.05', '2120', '0.85', 'USDT', '0', 'USDT'], // break-even close of the short
    ['2024-01-02 13:00:00', 'BTCUSDT', 'SELL', '42400', '0.05', '2120', '0.85', 'USDT', '0', 'USDT'], // opens short
    ['2024-01-02 11:00:00', 'BTCUSDT', 'SELL', '42500', '0.03', '1275', '0.51', 'USDT', '15', 'USDT'], // closes the long
    ['2024-01-02 09:00:00', 'BTCUSDT', 'BUY', '42010', '0.02', '840.2', '0.34', 'USDT', '0', 'USDT'], // one order, two fills
    ['2024-01-02 09:00:00', 'BTCUSDT', 'BUY', '42000', '0.01', '420', '0.17', 'USDT', '0', 'USDT'],
  ];
  const csv = (rows: string[][]) => rows.map((r) => r.map((c) => `"${c}"`).join(',')).join('\n') + '\n';

  it('futures: realized-profit-0 fills open, fills against the position close (a break-even one too), a reversal opens the rest', () => {
    const r = parseEntriesFile(Buffer.from(csv(futures)), 'Export Trade History.csv', btc, config.symbols);
    expect(r.layout).toBe('binance_futures_csv');
    expect(r.errors).toEqual([]);
    expect(r.entries.map((e) => [iso(e.time), e.side, e.volume, e.venuePrice, e.source])).toEqual([
      // The order's first fill in time is the last row of the two (newest first).
      ['2024-01-02T09:00:00.000Z', 'buy', 0.03, 42006.6666667, 'Export Trade History.csv:9'],
      ['2024-01-02T13:00:00.000Z', 'sell', 0.05, 42400, 'Export Trade History.csv:6'],
      ['2024-01-02T16:00:00.000Z', 'buy', 0.04, 42000, 'Export Trade History.csv:3'],
      ['2024-01-02T17:00:00.000Z', 'sell', 0.06, 42100, 'Export Trade History.csv:2'],
    ]);
    expect(r.entries[0]!.comment).toBe('Binance BTCUSDT (2 fills)');
    expect(r.entries.every((e) => e.sl === null && e.tp === null)).toBe(true);
    expect(r.about).toBe('Binance USDⓈ-M futures trade history; not entries: 4 closing fill(s)');
  });

  it('futures: quantity -> lots by the contract size; a bad row names its line', () => {
    const rows = [
      futures[0]!,
      ['2024-01-02 09:00:00', 'BTCUSDT', 'BUY', '42000', '0.005', '210', '0.08', 'USDT', '0', 'USDT'],
      ['2024-01-02 10:00:00', 'ETHUSDT', 'BUY', '2300', '1', '2300', '0.9', 'USDT', '0', 'USDT'],
      ['2024-01-02 11:00:00', 'BTCUSDT', 'HOLD', '42000', '0.01', '420', '0.17', 'USDT', '0', 'USDT'],
      ['2024/01/02 12:00', 'BTCUSDT', 'BUY', '42000', '0.01', '420', '0.17', 'USDT', '0', 'USDT'],
      ['2024-01-02 13:00:00', 'BTCUSDT', 'BUY', '42000', '0.01', '420', '0.17', 'USDT', '0', 'USDT'],
    ];
    const r = parseEntriesFile(Buffer.from(csv(rows)), 'f.csv', btc, config.symbols);
    expect(r.entries).toHaveLength(1);
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([
      [
        2,
        'volume "0.005 lots (quantity 0.005 / contract size 1)" must be a multiple of the lot step 0.01 between 0.01 and 50; --instrument lotStep=... sets the contract\'s step (Binance\'s BTCUSDT perpetual: 0.001)',
      ],
      [4, 'side "HOLD" must be BUY or SELL'],
      [5, 'time "2024/01/02 12:00" must be YYYY-MM-DD HH:MM:SS (UTC)'],
    ]);
  });

  it('futures in hedge mode: BUY LONG and SELL SHORT open', () => {
    const rows = [
      ['Date(UTC)', 'Symbol', 'Side', 'Position Side', 'Price', 'Quantity', 'Amount', 'Fee', 'Realized Profit'],
      ['2024-01-02 09:00:00', 'BTCUSDT', 'BUY', 'LONG', '42000', '0.01', '420', '0.17', '0'],
      ['2024-01-02 09:30:00', 'BTCUSDT', 'SELL', 'SHORT', '42100', '0.02', '842', '0.34', '0'],
      ['2024-01-02 10:00:00', 'BTCUSDT', 'SELL', 'LONG', '42000', '0.01', '420', '0.17', '0'],
    ];
    const r = parseEntriesFile(Buffer.from(csv(rows)), 'h.csv', btc, config.symbols);
    expect(r.entries.map((e) => [e.side, e.volume])).toEqual([
      ['buy', 0.01],
      ['sell', 0.02],
    ]);
  });

  it('spot: BUY fills open long positions, SELL fills are sales; quantities with their asset, a header with an offset', () => {
    const spot = [
      'Date(UTC+8),Pair,Side,Price,Executed,Amount,Fee',
      '2024-01-03 17:30:00,BTCUSDT,BUY,"43,000.5",0.01000000BTC,430.005USDT,0.00001000BTC',
      '2024-01-02 20:00:00,BTCUSDT,SELL,42500,0.02000000BTC,850.00USDT,0.85USDT',
      '2024-01-02 18:00:00,BTCUSDT,BUY,42000,0.02000000BTC,840.00USDT,0.00002000BTC',
    ].join('\n');
    const r = parseEntriesFile(Buffer.from(spot), 'spot.csv', btc, config.symbols);
    expect(r.layout).toBe('binance_spot_csv');
    expect(r.errors).toEqual([]);
    expect(r.entries.map((e) => [iso(e.time), e.side, e.volume, e.venuePrice])).toEqual([
      ['2024-01-02T10:00:00.000Z', 'buy', 0.02, 42000],
      ['2024-01-03T09:30:00.000Z', 'buy', 0.01, 43000.5],
    ]);
    expect(r.about).toBe('Binance spot trade history; not entries: 1 selling fill(s)');
  });

  it('reads amounts as exported', () => {
    expect([
      parseAmount('0.010BTC'),
      parseAmount('1,215.36'),
      parseAmount('-3.2 USDT'),
      parseAmount('1,2'),
      parseAmount(''),
    ]).toEqual([0.01, 1215.36, -3.2, NaN, NaN]);
    expect(splitCsvLine('"a, b","c ""d""",e,')).toEqual(['a, b', 'c "d"', 'e', '']);
  });
});

describe('layout detection', () => {
  it('tells the layouts apart by content; an unknown one lists what --entries reads', () => {
    const dir = tmp();
    const f = path.join(dir, 'trades.txt');
    writeFileSync(f, 'Ticket;Open;Close\n1;2;3\n');
    let message = '';
    try {
      readEntriesFile(f, gold, config.symbols);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/trades\.txt: unknown entries layout \(first line "Ticket;Open;Close"\); --entries reads:/);
    for (const what of [
      "Warden's entries CSV (time,symbol,side,volume,sl,tp,comment",
      'History report saved as HTML',
      'XLSX',
      'history_deals_get',
      'USDⓈ-M futures',
      'spot',
    ]) {
      expect(message).toContain(what);
    }
    expect(entriesLayoutOf(Buffer.from('time,symbol,side,volume,sl,tp,comment\n'), 'e.csv')).toBe('warden_csv');
    expect(entriesLayoutOf(utf16('<html><table></table></html>'), 'report')).toBe('mt5_report_html');
    expect(entriesLayoutOf(xlsx([['Positions']]), 'report.xlsx')).toBe('mt5_report_xlsx');
    expect(entriesLayoutOf(Buffer.from(DEALS_HEADER + '\n'), 'd.csv')).toBe('mt5_deals_csv');
    // A bar file is no entries file (an MT5 bar export starts with markup-like "<DATE>").
    expect(
      entriesLayoutOf(
        Buffer.from('<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n'),
        'EURUSD_M1.csv',
      ),
    ).toBeNull();
    expect(entriesLayoutOf(Buffer.from('time,open,high,low,close,volume,spread\n'), 'bars.csv')).toBeNull();
  });

  it("Warden's CSV reads as before", () => {
    const r = parseEntriesFile(
      Buffer.from('time,symbol,side,volume,sl,tp,comment\n2024-01-02T10:00:00Z,XAUUSDc,buy,0.1,,,x\n'),
      'e.csv',
      gold,
      config.symbols,
      { tz: 'Etc/GMT-2' },
    );
    expect(r.layout).toBe('warden_csv');
    expect(r.about).toBe('');
    expect(r.entries.map((e) => [iso(e.time), e.source, e.venuePrice])).toEqual([
      ['2024-01-02T10:00:00.000Z', 'e.csv:2', undefined],
    ]);
    expect(
      parseEntriesFile(Buffer.from('time,symbol,side\n'), 'e.csv', gold, config.symbols).errors[0]!.reason,
    ).toMatch(/expected header/);
  });

  it('--tz goes to the bars unless only MT5 entries use it (bars in UTC refuse a zone they do not use)', () => {
    const dir = tmp();
    const uniform = path.join(dir, 'bars.csv');
    writeFileSync(uniform, 'time,open,high,low,close,volume,spread\n2024-01-02T00:00:00Z,1,1,1,1,0,0\n');
    const mt5Bars = path.join(dir, 'mt5.csv');
    writeFileSync(mt5Bars, '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n');
    const report = path.join(dir, 'r.html');
    writeFileSync(report, utf16(mt5ReportHtml(winter)));
    const warden = path.join(dir, 'e.csv');
    writeFileSync(warden, 'time,symbol,side,volume,sl,tp,comment\n');
    expect(barsTz([uniform], report, 'Etc/GMT-2')).toBeUndefined();
    expect(barsTz([mt5Bars], report, 'Etc/GMT-2')).toBe('Etc/GMT-2');
    expect(barsTz([uniform, mt5Bars], report, 'Etc/GMT-2')).toBe('Etc/GMT-2');
    expect(barsTz([uniform], warden, 'Etc/GMT-2')).toBe('Etc/GMT-2');
    expect(barsTz([uniform], undefined, 'Etc/GMT-2')).toBe('Etc/GMT-2');
  });
});
