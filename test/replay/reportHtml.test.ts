import { describe, expect, it } from 'vitest';
import { downsampleMinMax, MAX_EQUITY_POINTS } from '../../src/replay/reportEquity.ts';
import { renderReportHtml } from '../../src/replay/reportHtml.ts';
import type { DtmsSummary, ReplayMetrics, ReplayReport, TradeChart, TradeRow } from '../../src/replay/reportModel.ts';

const T0 = Date.UTC(2024, 0, 2, 8, 0); // Tue 2024-01-02 08:00 UTC
const MIN = 60_000;

function metrics(over: Partial<ReplayMetrics> = {}): ReplayMetrics {
  return {
    trades: 3,
    wins: 2,
    losses: 1,
    winRate: 2 / 3,
    expectancyR: 0.4567,
    profitFactor: 2.345,
    maxDrawdown: 1234.5,
    maxDrawdownPct: 0.0123,
    netProfit: 2500.25,
    grossProfit: 4000,
    grossLoss: 1499.75,
    rmagTriggerRate: 0.2,
    breakevenRate: 0.6543,
    trailingActivationRate: 0.9,
    trailingGateRate: 0.95,
    breakevenHitRate: 0.1,
    dtmsActionRate: 0,
    dtmsFirstHourRate: 0,
    ...over,
  };
}

function dtms(over: Partial<DtmsSummary> = {}): DtmsSummary {
  return {
    enabled: true,
    deepChecks: 1234,
    actionRate: 0.25,
    transitions: {
      'HEALTHY->WARNING_L1': 4,
      'WARNING_L1->HEALTHY': 2,
      'WARNING_L1->WARNING_L2': 2,
      'WARNING_L2->HEDGED': 7,
    },
    actions: { tighten_stop: 3, open_hedge: 1 },
    holds: { stale_data: 2 },
    skipped: {},
    hedges: 1,
    hedgeProfit: -1234.5,
    ...over,
  };
}

function trade(over: Partial<TradeRow> & Pick<TradeRow, 'positionId'>): TradeRow {
  return {
    side: 'buy',
    volume: 0.1,
    entryTime: T0 + 10 * MIN,
    entryPrice: 2030.5,
    initialSl: 2025,
    tp: 2041.25,
    exitTime: T0 + 60 * MIN,
    exitPrice: 2041.25,
    exitReason: 'take_profit',
    r: 1.954545,
    profit: 107.5,
    tradeType: 'INTRADAY',
    flags: ['breakeven', 'trailed'],
    trailMoves: 2,
    mfeR: 2.1,
    maeR: 0.3,
    breakevenTime: T0 + 30 * MIN,
    firstTrailTime: T0 + 40 * MIN,
    trailGatePassed: true,
    dtmsWarningTime: null,
    dtmsStopTime: null,
    comment: '',
    ...over,
  };
}

function report(over: Partial<ReplayReport> = {}): ReplayReport {
  return {
    generatedBy: 'warden replay test',
    symbol: 'XAUUSDc',
    canonical: 'XAUUSD',
    currency: 'USD',
    startingBalance: 10_000,
    data: {
      files: ['data/xau <m5>.csv'],
      format: 'uniform-csv',
      timeframe: 'M5',
      bars: 12345,
      first: T0,
      last: T0 + 3 * 86_400_000,
      fillFile: null,
    },
    gaps: {
      count: 3,
      weekend: 1,
      intraWeek: 2,
      outage: 0,
      longest: [{ from: T0 + 100 * MIN, to: T0 + 190 * MIN, minutes: 90, kind: 'intra_week' }],
      list: [],
    },
    entries: { source: 'entries.csv', count: 4, rejected: 1 },
    broker: { accountMode: 'hedging', intrabar: 'worst_case', spread: 'from data', faults: 'none' },
    metrics: metrics(),
    counts: { 'skip.gate': 5, 'close.take_profit': 1, 'intent.modify_sl.ok': 7 },
    dtms: dtms(),
    equity: [
      [T0 + 60 * MIN, 10_107.5],
      [T0 + 200 * MIN, 9_900],
      [T0 + 400 * MIN, 12_500.25],
    ],
    trades: [
      trade({ positionId: 'P1' }),
      trade({
        positionId: 'P2',
        side: 'sell',
        entryPrice: 2040.1,
        initialSl: 2045,
        tp: null,
        exitReason: 'trailing_stop',
        r: -0.5,
        profit: -207.5,
        comment: 'x <script>alert(1)</script> & "q" http://evil.example',
        flags: ['trailed'],
      }),
      trade({ positionId: 'P3', initialSl: null, r: null, exitReason: 'end_of_data' }),
    ],
    ...over,
  };
}

function series(n: number, start: number, base: number): Pick<TradeChart, 'time' | 'high' | 'low' | 'close'> {
  const time: number[] = [];
  const high: number[] = [];
  const low: number[] = [];
  const close: number[] = [];
  for (let i = 0; i < n; i++) {
    const mid = base + Math.round(Math.sin(i / 7) * 300) / 100;
    time.push(start + i * 5 * MIN);
    high.push(mid + 0.75);
    low.push(mid - 0.5);
    close.push(mid + 0.25);
  }
  return { time, high, low, close };
}

const CHARTS: TradeChart[] = [
  {
    positionId: 'P1',
    side: 'buy',
    ...series(20, T0, 2030),
    entry: { time: T0 + 10 * MIN, price: 2030.5 },
    tp: 2041.25,
    stopPath: [
      [T0 + 10 * MIN, 2025],
      [T0 + 30 * MIN, 2030.5],
      [T0 + 45 * MIN, 2033],
    ],
    events: [
      { time: T0 + 30 * MIN, kind: 'breakeven', price: 2030.5, label: 'BE <moved>' },
      { time: T0 + 45 * MIN, kind: 'trail', price: 2033, label: 'trail ATR' },
      { time: T0 + 50 * MIN, kind: 'partial', price: 2036, label: 'partial 50%' },
      { time: T0 + 55 * MIN, kind: 'dtms', price: 2034, label: 'HEALTHY->WARNING_L1' },
      { time: T0 + 60 * MIN, kind: 'exit', price: 2041.25, label: 'TP hit' },
    ],
  },
  {
    positionId: 'P2',
    side: 'sell',
    ...series(20, T0, 2040),
    entry: { time: T0 + 10 * MIN, price: 2040.1 },
    tp: null,
    stopPath: [
      [T0 + 10 * MIN, 2045],
      [T0 + 20 * MIN, null],
      [T0 + 40 * MIN, 2042],
    ],
    events: [{ time: T0 + 60 * MIN, kind: 'exit', price: 2042, label: 'trailing stop' }],
  },
  {
    positionId: 'P3',
    side: 'buy',
    ...series(20, T0, 2030),
    entry: { time: T0 + 10 * MIN, price: 2030.5 },
    tp: 2041.25,
    stopPath: [],
    events: [{ time: T0 + 60 * MIN, kind: 'exit', price: 2031, label: 'end of data' }],
  },
];

const svgCount = (html: string): number => html.match(/<svg[\s>]/g)?.length ?? 0;
/** The page's own SVGs besides the trade charts when there are trades: equity curve, R histogram, MFE scatter. */
const PAGE_SVGS = 3;

/** The result mark in the success-metrics row named `name`. */
function mark(html: string, name: string): string {
  const m = new RegExp(`<tr><td>${name.replace(/[()]/g, '\\$&')}</td>.*?</tr>`).exec(html);
  if (m === null) throw new Error(`no row ${name}`);
  return m[0].includes('class="pass"') ? 'pass' : m[0].includes('class="fail"') ? 'fail' : 'none';
}

describe('renderReportHtml', () => {
  const html = renderReportHtml(report(), CHARTS);

  it('is one HTML document', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</body></html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<style>');
    for (const tag of ['head', 'body', 'style', 'table', 'section', 'details', 'summary', 'svg']) {
      expect(html.split(new RegExp(`<${tag}[\\s>]`)).length, tag).toBe(html.split(`</${tag}>`).length);
    }
  });

  it('has the header facts', () => {
    expect(html).toContain('XAUUSDc');
    expect(html).toContain('data/xau &lt;m5&gt;.csv');
    expect(html).toContain('uniform-csv');
    expect(html).toContain('12,345');
    expect(html).toContain('2024-01-02T08:00:00Z');
    expect(html).toContain('2024-01-05T08:00:00Z');
    expect(html).toContain('hedging');
    expect(html).toContain('worst_case');
    expect(html).toContain('from data');
    expect(html).toContain('entries.csv: 4 entries, 1 rejected');
  });

  it('shows every metric', () => {
    expect(html).toMatch(/Trades<\/th><td class="n">3</);
    expect(html).toContain('2 / 1');
    expect(html).toMatch(/Win rate<\/th><td class="n">66\.7%</);
    expect(html).toMatch(/Expectancy \(R\)<\/th><td class="n">0\.46</);
    expect(html).toMatch(/Profit factor<\/th><td class="n">2\.35</);
    expect(html).toContain('1,234.50 USD (1.2%)');
    expect(html).toContain('2,500.25 USD');
    expect(html).toContain('4,000.00 USD');
    expect(html).toContain('1,499.75 USD');
    expect(html).toContain('65.4%'); // breakeven rate, no target
    expect(mark(html, 'Breakeven rate')).toBe('none');
  });

  it('shows a null profit factor and expectancy as n/a with the reason', () => {
    const h = renderReportHtml(report({ metrics: metrics({ profitFactor: null, expectancyR: null }) }), CHARTS);
    expect(h).toContain('n/a (no losing trade)');
    expect(h).toContain('n/a (no trade with an initial stop)');
  });

  it('marks the success targets pass and fail on both sides', () => {
    expect(mark(html, 'RMAG trigger rate')).toBe('pass');
    expect(mark(html, 'Trailing activation rate (after breakeven)')).toBe('pass');
    expect(mark(html, 'Breakeven hit rate')).toBe('pass');
    expect(mark(html, 'DTMS action rate')).toBe('fail');
    expect(html).toContain('<tr><td>DTMS action rate</td><td><span class="n">0.0%</span></td><td>&gt; 0.0%</td>');
    expect(html).not.toContain('not built');

    const bad = renderReportHtml(
      report({
        metrics: metrics({
          rmagTriggerRate: 0.5,
          trailingActivationRate: 0.8,
          breakevenHitRate: 0.31,
          dtmsActionRate: 0.05,
        }),
      }),
      CHARTS,
    );
    expect(mark(bad, 'RMAG trigger rate')).toBe('fail'); // 50% is not < 50%
    expect(mark(bad, 'Trailing activation rate (after breakeven)')).toBe('fail'); // 80% is not > 80%
    expect(mark(bad, 'Breakeven hit rate')).toBe('fail');
    expect(mark(bad, 'DTMS action rate')).toBe('pass');
    expect(bad).toContain('&lt; 50.0%');
    expect(bad).toContain('&gt; 80.0%');
    expect(bad).toContain('31.0%');

    // DTMS off: still judged, with a note saying why it is 0.
    const off = renderReportHtml(report({ dtms: dtms({ enabled: false }) }), CHARTS);
    expect(mark(off, 'DTMS action rate')).toBe('fail');
    expect(off).toContain('<span class="note">(DTMS off)</span>');
    expect(html).not.toContain('(DTMS off)');
  });

  it('has a DTMS section after the success metrics with the counts', () => {
    const sec = /<section id="dtms">.*?<\/section>/.exec(html)?.[0] ?? '';
    expect(sec).toContain('<h2>DTMS</h2>');
    expect(html.indexOf('id="targets"')).toBeLessThan(html.indexOf('id="dtms"'));
    expect(html.indexOf('id="dtms"')).toBeLessThan(html.indexOf('id="equity"'));
    expect(sec).toContain('Enabled: yes. Deep checks: 1,234. Action rate: 25.0%.');
    expect(sec).toContain('Hedges: 1 (profit <span class="neg">-1,234.50 USD</span>)');
    // Transitions: count desc, then name.
    const rows = [...sec.matchAll(/<tr><td>([^<]*-&gt;[^<]*)<\/td><td class="n">(\d+)<\/td><\/tr>/g)].map(
      (m) => `${m[1]}=${m[2]}`,
    );
    expect(rows).toEqual([
      'WARNING_L2 -&gt; HEDGED=7',
      'HEALTHY -&gt; WARNING_L1=4',
      'WARNING_L1 -&gt; HEALTHY=2',
      'WARNING_L1 -&gt; WARNING_L2=2',
    ]);
    expect(sec).toContain(
      '<tr><td>tighten_stop</td><td class="n">3</td></tr><tr><td>open_hedge</td><td class="n">1</td></tr>',
    );
    expect(sec).toContain('<tr><td>stale_data</td><td class="n">2</td></tr>');
    expect(sec).toContain('<h3>Skipped</h3><p class="note">none</p>');
    expect(sec).not.toContain('was off');
  });

  it('says when DTMS was off', () => {
    const h = renderReportHtml(
      report({
        dtms: dtms({
          enabled: false,
          deepChecks: 0,
          actionRate: 0,
          transitions: {},
          actions: {},
          holds: {},
          hedges: 0,
          hedgeProfit: 0,
        }),
      }),
      CHARTS,
    );
    const sec = /<section id="dtms">.*?<\/section>/.exec(h)?.[0] ?? '';
    expect(sec).toContain('DTMS was off for this replay');
    expect(sec).not.toContain('<table>');
  });

  it('escapes DTMS labels, reasons and transitions', () => {
    const evil = '<img onerror=x>&"\'';
    const chart: TradeChart = {
      ...CHARTS[0]!,
      events: [{ time: T0 + 55 * MIN, kind: 'dtms', price: 2034, label: evil }],
    };
    const h = renderReportHtml(
      report({
        dtms: dtms({
          transitions: { [`${evil}->HEDGED`]: 1 },
          actions: { [evil]: 1 },
          holds: { [evil]: 1 },
          skipped: { [evil]: 1 },
        }),
      }),
      [chart],
    );
    expect(h).not.toContain('<img');
    const esc = '&lt;img onerror=x&gt;&amp;&quot;&#39;';
    expect(h).toContain(`<tr><td>${esc} -&gt; HEDGED</td><td class="n">1</td></tr>`);
    expect(h.split(`<tr><td>${esc}</td>`).length - 1).toBe(3);
    expect(h).toContain(`<title>${esc} (dtms 2034.00 at 2024-01-02T08:55:00Z)</title></polygon>`);
  });

  it('shows the DTMS exit reasons and flags', () => {
    const h = renderReportHtml(
      report({
        trades: [
          trade({ positionId: 'P1', exitReason: 'dtms_stop', flags: ['dtms', 'hedged'] }),
          trade({ positionId: 'P2', exitReason: 'dtms_close', flags: ['dtms', 're_add'] }),
        ],
      }),
      CHARTS.slice(0, 2),
    );
    expect(h).toContain('<td>dtms_stop</td>');
    expect(h).toContain('<td>dtms_close</td>');
    expect(h).toContain('<td>dtms, hedged</td>');
    expect(h).toContain('<td>dtms, re_add</td>');
    expect(h).toContain('<b>P1</b>: buy 0.1, dtms_stop,');
    expect(h).toContain('<b>P2</b>: buy 0.1, dtms_close,');
  });

  it('escapes data and references nothing outside the page', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('x &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;');
    expect(html).toContain('BE &lt;moved&gt;');
    expect(html.split('<script').length - 1).toBe(1); // the page's own few lines
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\b(src|href)="(?!#)/);
    expect(html).not.toContain('@import');
    expect(html).not.toContain('url(');
  });

  it('has the counts sorted, the gaps, and a linked row per trade', () => {
    const a = html.indexOf('close.take_profit');
    const b = html.indexOf('intent.modify_sl.ok');
    const c = html.indexOf('skip.gate');
    expect(a).toBeGreaterThan(0);
    expect(a).toBeLessThan(b);
    expect(b).toBeLessThan(c);
    expect(html).toContain(
      '3 gaps: 1 weekend, 2 intra-week, 0 outage (over a day without bars outside a weekend: a holiday closure or a feed outage).',
    );
    expect(html).toContain('<td>2024-01-02T09:40:00Z</td><td>2024-01-02T11:10:00Z</td><td class="n">90</td>');
    for (const [i, id] of ['P1', 'P2', 'P3'].entries()) {
      expect(html).toContain(`<a href="#chart-${i + 1}">${id}</a>`);
      expect(html).toContain(`<details id="chart-${i + 1}"><summary>Trade <b>${id}</b>`);
    }
    expect(html).toContain('<td class="n">1.95</td>'); // R, 2 decimals
    expect(html).toContain('<td class="n">none</td>'); // P2 has no TP
    expect(html).toContain('breakeven, trailed');
    // Prices with the data's decimals (2), exit included.
    expect(html).toContain('<td class="n">2030.50</td>');
    expect(html).toContain('<td class="n">2041.25</td>');
  });

  it('draws one SVG per chart (plus the equity curve) with the chart parts', () => {
    expect(svgCount(html)).toBe(CHARTS.length + PAGE_SVGS);
    const charts = html.split('<svg class="trade"').slice(1);
    expect(charts).toHaveLength(3);
    const [p1 = '', p2 = '', p3 = ''] = charts;
    expect(p1).toContain('class="band"');
    expect(p1).toContain('class="cl"');
    expect(p1).toContain('class="mb"'); // buy: up triangle
    expect(p2).toContain('class="ms"'); // sell: down triangle
    expect(p1).toContain('class="tp"');
    expect(p2).not.toContain('class="tp"');
    for (const cls of ['be', 'tr', 'pa', 'dt', 'ex']) expect(p1).toContain(`class="${cls}"`);
    expect(p2).not.toContain('class="dt"');
    // The DTMS marker: a hexagon with the event's tooltip, and a legend entry.
    expect(p1).toMatch(
      /<polygon class="dt" points="(?:[\d.]+,[\d.]+ ){5}[\d.]+,[\d.]+"><title>HEALTHY-&gt;WARNING_L1 \(dtms 2034\.00 at 2024-01-02T08:55:00Z\)<\/title><\/polygon>/,
    );
    expect(html).toContain('&#11042; DTMS</span>');
    expect(p1).toContain('<title>TP hit (exit 2041.25 at 2024-01-02T09:00:00Z)</title>');
    // P1's stop: one connected step line; P2's null stop: two pieces; P3 has none.
    const stop = (svg: string): string => /class="sl" d="([^"]*)"/.exec(svg)?.[1] ?? '';
    expect(stop(p1).match(/M/g)).toHaveLength(1);
    expect(stop(p1)).toContain('V');
    expect(stop(p2).match(/M/g)).toHaveLength(2);
    expect(p3).not.toContain('class="sl"');
    // SVG coordinates carry at most one decimal.
    for (const m of html.matchAll(/points="([^"]*)"/g)) expect(m[1]).not.toMatch(/\.\d\d/);
    expect(p1).toContain('>08:00<'); // time axis
  });

  it('says how many charts were omitted', () => {
    const h = renderReportHtml(report(), CHARTS, { maxTradeCharts: 2 });
    expect(svgCount(h)).toBe(2 + PAGE_SVGS);
    expect(h).toContain('2 of 3 trades drawn: the first 2</strong>');
    expect(h).toContain('<span title="chart not drawn">P3</span>');
    expect(html).not.toContain('omitted');
    const none = renderReportHtml(report(), CHARTS, { maxTradeCharts: 0 });
    expect(svgCount(none)).toBe(PAGE_SVGS);
    expect(none).toContain('0 of 3 trades drawn: the first 0</strong>');
  });

  it('is deterministic', () => {
    expect(renderReportHtml(report(), CHARTS)).toBe(html);
    expect(renderReportHtml(report(), CHARTS, { maxTradeCharts: 2 })).toBe(
      renderReportHtml(report(), CHARTS, { maxTradeCharts: 2 }),
    );
  });

  it('downsamples a long equity curve and keeps its lowest point', () => {
    const n = 20_000;
    const dip = 12_345;
    const equity: [number, number][] = [];
    for (let i = 0; i < n; i++) equity.push([T0 + i * MIN, i === dip ? 5_000 : 10_000 + (i % 37) * 10 + i / 100]);
    const h = renderReportHtml(report({ equity }), CHARTS);
    const svg = /<svg class="equity".*?<\/svg>/.exec(h)?.[0] ?? '';
    const pts = (/<polyline class="eq" points="([^"]*)"/.exec(svg)?.[1] ?? '')
      .split(' ')
      .map((p) => p.split(',').map(Number));
    expect(pts.length).toBeLessThanOrEqual(MAX_EQUITY_POINTS);
    expect(pts.length).toBeGreaterThan(MAX_EQUITY_POINTS / 2);
    // The value axis runs from the lowest equity to the highest; the lowest is the bottom grid line.
    const gridYs = [...svg.matchAll(/<line class="grid"[^>]* y1="([\d.]+)"/g)].map((m) => Number(m[1]));
    const maxY = Math.max(...pts.map((p) => p[1] ?? 0));
    expect(maxY).toBe(Math.max(...gridYs));
    expect(svg).toContain('>5,000.00<'); // labelled
    expect(h).toContain('20,001 points, drawn as at most 2,000');

    const ds = downsampleMinMax(equity, MAX_EQUITY_POINTS);
    expect(ds.length).toBeLessThanOrEqual(MAX_EQUITY_POINTS);
    expect(ds).toContainEqual([T0 + dip * MIN, 5_000]);
    expect(ds[0]).toEqual(equity[0]);
    expect(ds.at(-1)).toEqual(equity.at(-1));
    expect(ds.every((p, i) => i === 0 || p[0] > (ds[i - 1]?.[0] ?? Infinity))).toBe(true); // time order
    expect(Math.max(...ds.map((p) => p[1]))).toBe(Math.max(...equity.map((p) => p[1])));
  });

  it('starts the equity curve at the starting balance', () => {
    const svg = /<svg class="equity".*?<\/svg>/.exec(html)?.[0] ?? '';
    const first = /points="([\d.]+),([\d.]+)/.exec(svg);
    const base = /<line class="base" x1="([\d.]+)" y1="([\d.]+)"/.exec(svg);
    expect(first?.[1]).toBe(base?.[1]);
    expect(first?.[2]).toBe(base?.[2]);
  });

  it('renders an empty replay', () => {
    const h = renderReportHtml(
      report({
        trades: [],
        equity: [],
        counts: {},
        metrics: metrics({ trades: 0, wins: 0, losses: 0, winRate: 0, profitFactor: null, expectancyR: null }),
      }),
      [],
    );
    expect(h).toContain('No trades.');
    expect(h).toContain('No closed trade');
    expect(svgCount(h)).toBe(1);
    expect(h).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('renders 300 charts in a small page', () => {
    const many: TradeChart[] = [];
    const trades: TradeRow[] = [];
    for (let k = 0; k < 300; k++) {
      const id = `T${k}`;
      trades.push(trade({ positionId: id }));
      const stopPath: [number, number | null][] = [];
      for (let j = 0; j < 20; j++) stopPath.push([T0 + j * 50 * MIN, 2020 + j * 0.5]);
      many.push({ ...CHARTS[0]!, positionId: id, ...series(200, T0, 2030), stopPath });
    }
    const h = renderReportHtml(report({ trades }), many);
    expect(svgCount(h)).toBe(300 + PAGE_SVGS);
    expect(h.length).toBeLessThan(5_000_000);
    expect(h.length / 300).toBeLessThan(15_000);
    // Its speed is the benchmark's to measure (npm run bench, replay part), not a test's.
  });

  it('tables P/L by exit reason: count, sum R, mean R, net profit; all trades last', () => {
    const trades = [
      trade({ positionId: 'A', exitReason: 'initial_stop', r: -1, profit: -100 }),
      trade({ positionId: 'B', exitReason: 'initial_stop', r: -1.5, profit: -150 }),
      trade({ positionId: 'C', exitReason: 'take_profit', r: 2, profit: 200 }),
      trade({ positionId: 'D', exitReason: 'end_of_data', r: null, initialSl: null, profit: 5 }),
    ];
    const h = renderReportHtml(report({ trades }), []);
    const sec = /<section id="exits">.*?<\/section>/.exec(h)?.[0] ?? '';
    const rows = [
      ...sec.matchAll(
        /<tr><td>(.*?)<\/td><td class="n">(.*?)<\/td><td class="n">(.*?)<\/td><td class="n">(.*?)<\/td><td class="n ?\w*">(.*?)<\/td><\/tr>/g,
      ),
    ].map((m) => m.slice(1));
    expect(rows).toEqual([
      ['initial_stop', '2', '-2.50', '-1.25', '-250.00'],
      ['end_of_data', '1', 'n/a', 'n/a', '5.00'],
      ['take_profit', '1', '2.00', '2.00', '200.00'],
      ['<b>all</b>', '4', '-0.50', '-0.17', '-45.00'],
    ]);
  });

  it('draws the realized-R histogram and the MFE scatter, and lists MFE and MAE per trade', () => {
    const trades = [-1, -1, -0.9, 0.1, 2, 7].map((r, i) =>
      trade({ positionId: `T${i}`, r, mfeR: Math.max(0, r) + 0.5, maeR: 0.4 }),
    );
    const h = renderReportHtml(report({ trades }), []);
    const hist = /<svg class="hist".*?<\/svg>/.exec(h)?.[0] ?? '';
    const bars = [...hist.matchAll(/<rect class="(h[np])"[^>]*><title>(.*?)<\/title>/g)].map((m) => [m[1], m[2]]);
    expect(bars).toEqual([
      ['hn', '-1.00 to -0.75 R: 3 trades'],
      ['hp', '0.00 to 0.25 R: 1 trade'],
      ['hp', '2.00 to 2.25 R: 1 trade'],
      ['hp', '5.00 R and above: 1 trade'],
    ]);
    const scatter = /<svg class="scatter".*?<\/svg>/.exec(h)?.[0] ?? '';
    // Two trades at the same MFE and R share a pixel: one dot, titled with both.
    expect([...scatter.matchAll(/<circle class="d[pn]"[^>]*><title>(.*?)<\/title>/g)].map((m) => m[1])).toEqual([
      '2 trades',
      '1 trade',
      '1 trade',
      '1 trade',
      '1 trade',
    ]);
    expect(h).toContain('<td>0.5 to 1.0 R</td><td class="n">4</td><td class="n">-0.70</td><td class="n">75.0%</td>');
    expect(h).toMatch(/<th>R<\/th><th>MFE R<\/th><th>MAE R<\/th>/);
    expect(h).toContain('<td class="n">7.00</td><td class="n">7.50</td><td class="n">0.40</td>');
  });

  it('counts every trade of the report when the replay kept fewer charts', () => {
    const trades = Array.from({ length: 5 }, (_, i) => trade({ positionId: `P${i + 1}` }));
    const h = renderReportHtml(report({ trades }), CHARTS);
    expect(h).toContain('<h2>Trade charts (3 of 5)</h2>');
    expect(h).toContain('3 of 5 trades drawn: the first 3</strong>');
  });
});
