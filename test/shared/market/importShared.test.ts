// The importers over the real bar files of ../shared/data: every file must be detected, import without
// a bad row, and reproduce the row counts, timeframes and gap figures stated in SOURCES.md. SOURCES.md
// splits gaps into weekend (a whole UTC Saturday inside) and intra-week; Warden also tells outages apart
// (over a day without bars and not a weekend of at most 4 days), so those figures are checked on the
// Saturday rule alone, and the outages on their own.
import { readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { coversSaturday, findGaps } from '../../../src/market/gaps.ts';
import { importBarsFile } from '../../../src/market/importers.ts';
import { SHARED_DATA_DIR, describeShared, readBars, sharedFile } from '../../support/sharedData.ts';

const M1 = 60_000;
const H1 = 3_600_000;
const HOURS_3 = 3 * H1;

interface Expected {
  rows: number;
  timeframeMs: number;
  first: string;
  last: string;
  gaps: number;
  weekend: number;
  intraWeek: number;
  /** Intra-week gaps of 3 h or longer (SOURCES.md's figure: outages included). */
  intraWeek3h: number;
  /** Gaps Warden calls outages: over a day, not a weekend (not in SOURCES.md; counted from the data). */
  outage: number;
  /** The longest intra-week gap (bar open -> next bar open), when SOURCES.md names it. */
  longestIntraWeek?: [string, string];
}

// Figures from ../shared/data/SOURCES.md.
const FILES: Record<string, Expected> = {
  'xauusd_oanda_m1_2014-05.csv': {
    rows: 15222,
    timeframeMs: M1,
    first: '2014-05-01T00:00:00Z',
    last: '2014-05-15T23:59:00Z',
    gaps: 84,
    weekend: 2,
    intraWeek: 82,
    intraWeek3h: 0,
    outage: 0,
    longestIntraWeek: ['2014-05-01T21:14:00Z', '2014-05-01T22:00:00Z'],
  },
  'xauusd_oanda_h1_2006-2019.csv': {
    rows: 76499,
    timeframeMs: H1,
    first: '2006-03-20T00:00:00Z',
    last: '2019-02-25T23:00:00Z',
    gaps: 1524,
    weekend: 675,
    intraWeek: 849,
    intraWeek3h: 134,
    outage: 61,
    longestIntraWeek: ['2008-10-28T23:00:00Z', '2008-10-31T00:00:00Z'],
  },
  'eurusd_oanda_m1_2014-05.csv': {
    rows: 15366,
    timeframeMs: M1,
    first: '2014-05-01T00:00:00Z',
    last: '2014-05-15T23:59:00Z',
    gaps: 389,
    weekend: 2,
    intraWeek: 387,
    intraWeek3h: 0,
    outage: 0,
    longestIntraWeek: ['2014-05-01T03:22:00Z', '2014-05-01T03:29:00Z'],
  },
  'eurusd_oanda_h1.csv': {
    rows: 74439,
    timeframeMs: H1,
    first: '2007-01-01T21:00:00Z',
    last: '2018-12-31T21:00:00Z',
    gaps: 641,
    weekend: 626,
    intraWeek: 15,
    intraWeek3h: 14,
    outage: 8,
    longestIntraWeek: ['2018-12-24T21:00:00Z', '2018-12-27T00:00:00Z'],
  },
  'gbpusd_fxcm_m1_2012-02.csv': {
    rows: 30117,
    timeframeMs: M1,
    first: '2012-02-01T00:00:00Z',
    last: '2012-03-01T00:00:00Z',
    gaps: 111,
    weekend: 4,
    intraWeek: 107,
    intraWeek3h: 0,
    outage: 0,
    longestIntraWeek: ['2012-02-06T21:39:00Z', '2012-02-06T21:44:00Z'],
  },
  'usdjpy_fxcm_m1_2013-02.csv': {
    rows: 28761,
    timeframeMs: M1,
    first: '2013-02-01T00:00:00Z',
    last: '2013-03-01T00:00:00Z',
    gaps: 38,
    weekend: 4,
    intraWeek: 34,
    intraWeek3h: 0,
    outage: 0,
    longestIntraWeek: ['2013-02-18T21:57:00Z', '2013-02-18T22:00:00Z'],
  },
  'btcusd_ftx_m1_2022-01.csv': {
    rows: 45031,
    timeframeMs: M1,
    first: '2021-12-31T23:00:00Z',
    last: '2022-02-01T05:30:00Z',
    gaps: 0,
    weekend: 0,
    intraWeek: 0,
    intraWeek3h: 0,
    outage: 0,
  },
  // SOURCES.md: 3 jumps between separate source days plus 96 other gaps (1 of them >= 3 h). The jumps
  // span whole Saturdays, so SOURCES.md's weekend rule classes them as weekend; they last months, so
  // Warden calls them outages. The 96 are intra-week.
  'btcusd_coinbase_m1.csv': {
    rows: 12423,
    timeframeMs: M1,
    first: '2016-10-07T00:00:00Z',
    last: '2018-04-06T23:59:00Z',
    gaps: 99,
    weekend: 3,
    intraWeek: 96,
    intraWeek3h: 1,
    outage: 3,
    longestIntraWeek: ['2018-04-04T16:47:00Z', '2018-04-05T00:00:00Z'],
  },
};

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

describeShared('importers over the shared market data', () => {
  it('every bar file in ../shared/data is one SOURCES.md describes', () => {
    const csv = readdirSync(SHARED_DATA_DIR).filter((f) => f.endsWith('.csv'));
    expect(csv.sort()).toEqual(Object.keys(FILES).sort());
  });

  for (const [name, x] of Object.entries(FILES)) {
    it(`${name}: uniform, ${x.rows} rows, no bad row, timeframe and gaps as in SOURCES.md`, () => {
      const file = sharedFile(name);
      const r = importBarsFile(file);
      expect(r.format).toBe('uniform');
      expect(r.errors).toEqual([]);
      expect(r.series.length).toBe(x.rows);
      expect(r.timeframeMs).toBe(x.timeframeMs);
      expect(iso(r.series.time[0]!)).toBe(x.first);
      expect(iso(r.series.time[r.series.length - 1]!)).toBe(x.last);

      const g = findGaps(r.series, r.timeframeMs);
      const overSaturday = g.list.filter((gap) => coversSaturday(gap.from, gap.to)).length;
      expect({ gaps: g.count, weekend: overSaturday, intraWeek: g.count - overSaturday }).toEqual({
        gaps: x.gaps,
        weekend: x.weekend,
        intraWeek: x.intraWeek,
      });
      expect(g.outage).toBe(x.outage);
      expect(g.weekend + g.intraWeek + g.outage).toBe(g.count);
      const intra = g.list.filter((gap) => !coversSaturday(gap.from, gap.to));
      expect(intra.filter((gap) => gap.to - gap.from >= HOURS_3)).toHaveLength(x.intraWeek3h);
      if (x.longestIntraWeek) {
        const longest = intra.reduce((a, b) => (b.minutes > a.minutes ? b : a));
        expect([iso(longest.from), iso(longest.to)]).toEqual(x.longestIntraWeek);
      }
    });
  }

  it('the importer and readUniformCsv agree bar for bar', () => {
    const file = sharedFile('gbpusd_fxcm_m1_2012-02.csv');
    expect(importBarsFile(file).series.toBars()).toEqual(readBars(file));
  });
});
