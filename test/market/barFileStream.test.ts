// Streaming a bar file in steps reads exactly what reading it whole does: the same bars, the same bad
// rows on the same lines, whatever the step size, the encoding, the line endings or where a step cuts
// a line or a character in two.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BarSeries } from '../../src/market/barSeries.ts';
import {
  decodeBarBytes,
  importBarsText,
  ImportError,
  MAX_LINE_CHARS,
  streamBarFile,
  type ImportOptions,
} from '../../src/market/importers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'warden-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (...rows: string[]) => rows.join('\n') + '\n';
/** Minute `m` of day `day` after 1 Jan 2023, ISO without milliseconds. */
const iso = (day: number, m: number) =>
  new Date(Date.UTC(2023, 0, 1) + day * 86_400_000 + m * 60_000).toISOString().replace('.000Z', 'Z');

const UNIFORM = lines(
  'time,open,high,low,close,volume,spread',
  '2024-01-02T00:00:00Z,1.1,1.2,1.0,1.15,10,0.0001',
  '2024-01-02T00:01:00Z,1.15,1.16,1.14,1.15,,',
  'not a row',
  '',
  '2024-01-02T00:02:00Z,1.15,1.17,1.15,1.16,3,-0.00002',
  '2024-01-02T00:03:00Z,1.16,1.17,1.15,1.16,é,0.0001',
  '2024-01-02T00:04:00Z,1.16,1.18,1.15,1.17,4,0.0001',
);
const TAB = '\t';
const MT5_EXPORT = lines(
  ['<DATE>', '<TIME>', '<OPEN>', '<HIGH>', '<LOW>', '<CLOSE>', '<TICKVOL>', '<VOL>', '<SPREAD>'].join(TAB),
  ['2024.01.02', '10:00:00', '1.10427', '1.10450', '1.10400', '1.10440', 120, 0, 12].join(TAB),
  ['2024.01.02', '10:01:00', '1.10440', '1.10460', '1.10430', '1.10455', 0, 5, 7].join(TAB),
  ['2024.01.02', '10:02', '1.10455', '1.10470', '1.10450', '1.10460', 98, 0, 0].join(TAB),
);
const BINANCE = lines(
  '1704153600000,42283.58,42554.57,42261.02,42475.23,1271.68108,1704153659999,53957304.7,41000,670.3,28440000.1,0',
  '1704153660000,42475.23,42500.00,42470.10,42490.00,80.5,1704153719999,3420000.5,2100,40.1,1700000.2,0',
);

type Encoding = 'utf8' | 'utf8-bom' | 'utf16le-bom' | 'utf16le' | 'utf16be-bom';

function encode(text: string, enc: Encoding): Buffer {
  switch (enc) {
    case 'utf8':
      return Buffer.from(text, 'utf8');
    case 'utf8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf16le-bom':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf16le':
      return Buffer.from(text, 'utf16le');
    case 'utf16be-bom':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
  }
}

function streamed(file: string, o: ImportOptions, chunkBytes: number) {
  const series = new BarSeries(16);
  const r = streamBarFile(file, o, (chunk) => series.append(chunk), chunkBytes);
  return { format: r.format, bars: series.toBars(), count: r.bars, errors: r.errors };
}

let fileNo = 0;
function writeTemp(bytes: Buffer): string {
  const file = path.join(dir, `f${fileNo++}.csv`);
  writeFileSync(file, bytes);
  return file;
}

describe('streamBarFile', () => {
  const cases: [string, string, ImportOptions][] = [
    ['uniform', UNIFORM, {}],
    ['mt5_export', MT5_EXPORT, { tz: 'Etc/GMT-2', point: 0.00001 }],
    ['binance', BINANCE, {}],
  ];

  it('reads what reading the file whole reads, for every step size, encoding and line ending', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.constantFrom<Encoding>('utf8', 'utf8-bom', 'utf16le-bom', 'utf16le', 'utf16be-bom'),
        fc.boolean(),
        fc.integer({ min: 4, max: 200 }),
        ([, text, o], enc, crlf, chunkBytes) => {
          const body = crlf ? text.replace(/\n/g, '\r\n') : text;
          const bytes = encode(body, enc);
          const file = writeTemp(bytes);
          const whole = importBarsText(decodeBarBytes(bytes), file, o);
          const s = streamed(file, o, chunkBytes);
          expect(s.format).toBe(whole.format);
          expect(s.bars).toEqual(whole.series.toBars());
          expect(s.count).toBe(whole.series.length);
          expect(s.errors).toEqual(whole.errors);
        },
      ),
      { numRuns: 150, seed: 17 },
    );
  });

  it('names the bad rows with their lines across steps', () => {
    const file = writeTemp(Buffer.from(UNIFORM));
    const s = streamed(file, {}, 16);
    expect(s.errors.map((e) => [e.line, e.reason.slice(0, 24)])).toEqual([
      [4, 'expected 7 columns, foun'],
      [7, 'volume "é" is not a numb'],
    ]);
    expect(s.bars).toHaveLength(4);
  });

  it('stops reading when told to', () => {
    const rows = ['time,open,high,low,close,volume,spread'];
    for (let i = 0; i < 5000; i++)
      rows.push(
        `2024-01-02T${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z,1,2,0.5,1.5,1,0.1`.replace(
          '2024-01-02',
          `2024-01-${String(2 + Math.floor(i / 1440)).padStart(2, '0')}`,
        ),
      );
    const file = writeTemp(Buffer.from(lines(...rows)));
    let calls = 0;
    const r = streamBarFile(
      file,
      {},
      () => {
        calls++;
        return false;
      },
      1024,
    );
    expect(calls).toBe(1);
    expect(r.bars).toBeLessThan(100);
  });

  it('refuses an empty file and a file without line breaks, naming it', () => {
    expect(() => streamBarFile(writeTemp(Buffer.alloc(0)), {}, () => {})).toThrow(/the file is empty/);
    const huge = writeTemp(Buffer.alloc(MAX_LINE_CHARS + 10, 'x'));
    expect(() => streamBarFile(huge, {}, () => {}, 64 * 1024)).toThrow(ImportError);
    expect(() => streamBarFile(huge, {}, () => {}, 64 * 1024)).toThrow(
      new RegExp(`${path.basename(huge)}:1: a line longer than`),
    );
  });

  it('refuses the times Date.parse would roll over, from bytes as from text', () => {
    for (const t of [
      '2024-02-30T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T00:60:00Z',
      '2024-01-01T00:00:60Z',
      '2024-13-01T00:00:00Z',
      '2024-00-10T00:00:00Z',
      '2024-01-00T00:00:00Z',
    ]) {
      const text = lines(
        'time,open,high,low,close,volume,spread',
        `${t},1.1,1.2,1.0,1.15,1,0.1`,
        '2030-01-01T00:00:00Z,1.1,1.2,1.0,1.15,1,0.1',
      );
      const s = streamed(writeTemp(Buffer.from(text)), {}, 4096);
      expect(
        s.errors.map((e) => e.line),
        t,
      ).toEqual([2]);
      expect(s.bars, t).toHaveLength(1);
    }
    const repeated = lines(
      'time,open,high,low,close,volume,spread',
      '2024-01-01T00:00:00Z,1.1,1.2,1.0,1.15,1,0.1',
      '2024-01-01T00:00:00Z,1.1,1.2,1.0,1.15,1,0.1',
    );
    expect(streamed(writeTemp(Buffer.from(repeated)), {}, 4096).errors.map((e) => [e.line, e.reason])).toEqual([
      [3, 'time 2024-01-01T00:00:00Z is not after the previous row'],
    ]);
  });

  it('parses uniform rows from bytes exactly as the text parser does: values, skips and refusals', () => {
    // Cells the byte path takes and cells it hands to the text parser (exponents, spaces, 16+ digits,
    // signs, blanks, non-numbers), times in and out of its shape (Feb 30, 24:00, fractions, no seconds).
    const num = fc.oneof(
      fc.double({ min: 0.00001, max: 90000, noNaN: true }).map((x) => String(x)),
      fc.integer({ min: 0, max: 1e9 }).map((x) => String(x)),
      fc.constantFrom(
        '',
        ' ',
        '1e3',
        '1.5E-2',
        '-0.5',
        '+2',
        '.5',
        '5.',
        '12345678901234567',
        '0.1234567890123456',
        'x',
        '1.2.3',
        '-',
        '0',
        '1e400',
      ),
    );
    // Minutes into the row's own day: rows stay in time order unless a time is malformed.
    const time = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 1439 }).map((m) => (day: number) => iso(day, m)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          (day: number) => iso(day, 0).replace(':00Z', 'Z'),
          (day: number) => iso(day, 5).replace('Z', '.5Z'),
          (day: number) => iso(day, 0).replace('T', ' '),
        ),
      },
    );
    const row = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.tuple(time, num, num, num, num, num, num).map(
          ([t, ...c]) =>
            (day: number) =>
              [t(day), ...c].join(','),
        ),
      },
      // Prices that pass, so the volume, spread and time cells decide.
      {
        weight: 4,
        arbitrary: fc.tuple(time, num, num).map(
          ([t, v, sp]) =>
            (day: number) =>
              [t(day), '1.1', '1.2', '1.0', '1.15', v, sp].join(','),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(time, num, num, num).map(
          ([t, ...c]) =>
            (day: number) =>
              [t(day), ...c].join(','),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(time, num, num, num, num, num, num, num).map(
          ([t, ...c]) =>
            (day: number) =>
              [t(day), ...c].join(','),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom('', '   ', 'not a row', '2024-01-01T00:00:00Z,é,1,1,1,1,1').map((r) => () => r),
      },
    );
    // Well-formed ascending rows around the random ones, so the bars stored are many, not only the refusals.
    const good = (day: number, p: number) =>
      `${iso(day, 1440 + 1)},${p},${p + 0.5},${p - 0.25},${p + 0.125},${day % 7},0.01`;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(row, fc.integer({ min: 1, max: 500 })), { maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 40, max: 4096 }),
        (rows, crlf, chunkBytes) => {
          const body = ['time,open,high,low,close,volume,spread'];
          rows.forEach(([r, p], i) => body.push(r(2 * i), good(2 * i, p)));
          let text = body.join('\n') + '\n';
          if (crlf) text = text.replace(/\n/g, '\r\n');
          const file = writeTemp(Buffer.from(text, 'utf8'));
          const whole = importBarsText(text, file, {});
          const s = streamed(file, {}, chunkBytes);
          expect(s.bars).toEqual(whole.series.toBars());
          expect(s.errors).toEqual(whole.errors);
        },
      ),
      { numRuns: 300, seed: 23 },
    );
  });
});
