// report.html's summary sections: the run's header, the metrics and their targets, DTMS's tallies,
// the other counts, the holes between bars, and the trades table.
import type { DtmsSummary, Gap, ReplayReport } from './reportModel.ts';
import { balanceGoneText, count, escapeHtml, iso, money, num, pct, rOf, row, volume } from './reportFormat.ts';

export function headerSection(r: ReplayReport, tradeCount: number): string {
  const d = r.data;
  const items: [string, string][] = [
    [
      'Symbol',
      `${escapeHtml(r.symbol)}${r.canonical && r.canonical !== r.symbol ? ` (${escapeHtml(r.canonical)})` : ''}`,
    ],
    ['Data files', d.files.length > 0 ? d.files.map(escapeHtml).join('<br>') : 'none'],
    ['Format', escapeHtml(d.format)],
    ['Timeframe', escapeHtml(d.timeframe)],
    ['Bars', count(d.bars)],
    ['First bar', iso(d.first)],
    ['Last bar', iso(d.last)],
    ['Intrabar fill file', d.fillFile === null ? 'none' : escapeHtml(d.fillFile)],
    ['Account mode', escapeHtml(r.broker.accountMode)],
    ['Intrabar rule', escapeHtml(r.broker.intrabar)],
    ['Spread', escapeHtml(r.broker.spread)],
    ['Faults', escapeHtml(r.broker.faults)],
    [
      'Entries',
      `${escapeHtml(r.entries.source)}: ${count(r.entries.count)} entries, ${count(r.entries.rejected)} rejected`,
    ],
    ['Trades', count(tradeCount)],
    ['Starting balance', `${money(r.startingBalance)} ${escapeHtml(r.currency)}`],
  ];
  const gone =
    r.balanceGone === undefined
      ? ''
      : `<p class="gone" style="color:#cf222e;border:2px solid #cf222e;border-radius:4px;padding:6px 10px"><strong>${escapeHtml(balanceGoneText(r.balanceGone))}</strong>: what was open closed at that bar's close.</p>`;
  return (
    `<header><h1>Warden replay: ${escapeHtml(r.symbol)}</h1>${gone}` +
    `<dl class="meta">${items.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl></header>`
  );
}

export function metricsSection(r: ReplayReport): string {
  const m = r.metrics;
  const cur = escapeHtml(r.currency);
  const signed = (v: number): string => `<span class="${v > 0 ? 'pos' : v < 0 ? 'neg' : ''}">${money(v)} ${cur}</span>`;
  const rows: [string, string][] = [
    ['Trades', count(m.trades)],
    ['Wins / losses', `${count(m.wins)} / ${count(m.losses)}`],
    ['Win rate', pct(m.winRate)],
    ['Expectancy (R)', m.expectancyR === null ? 'n/a (no trade with an initial stop)' : num(m.expectancyR, 2)],
    ['Profit factor', m.profitFactor === null ? 'n/a (no losing trade)' : num(m.profitFactor, 2)],
    ['Max drawdown', `${money(m.maxDrawdown)} ${cur} (${pct(m.maxDrawdownPct)})`],
    ['Net profit', signed(m.netProfit)],
    ['Gross profit', `${money(m.grossProfit)} ${cur}`],
    ['Gross loss', `${money(m.grossLoss)} ${cur}`],
  ];
  return `<section id="metrics"><h2>Metrics</h2><table>${rows.map(([k, v]) => `<tr><th>${k}</th><td class="n">${v}</td></tr>`).join('')}</table></section>`;
}

interface Target {
  name: string;
  share: number;
  op?: '<' | '>';
  target?: number;
  note?: string;
}

export function targetsSection(r: ReplayReport): string {
  const m = r.metrics;
  const targets: Target[] = [
    { name: 'RMAG trigger rate', share: m.rmagTriggerRate, op: '<', target: 0.5 },
    { name: 'Trailing activation rate (after breakeven)', share: m.trailingActivationRate, op: '>', target: 0.8 },
    { name: 'Breakeven hit rate', share: m.breakevenHitRate, op: '<', target: 0.3 },
    {
      name: 'DTMS action rate',
      share: m.dtmsActionRate,
      op: '>',
      target: 0,
      ...(r.dtms?.enabled === false ? { note: 'DTMS off' } : {}),
    },
    { name: 'Breakeven rate', share: m.breakevenRate },
  ];
  const rows = targets.map((t) => {
    let target = '&#8212;';
    let mark = '<span class="na">no target</span>';
    if (t.op !== undefined && t.target !== undefined) {
      target = `${t.op === '<' ? '&lt;' : '&gt;'} ${pct(t.target)}`;
      // Judged on the raw share, not on the rounded percentage shown.
      const ok = Number.isFinite(t.share) && (t.op === '<' ? t.share < t.target : t.share > t.target);
      mark = !Number.isFinite(t.share)
        ? '<span class="na">n/a</span>'
        : ok
          ? '<span class="pass">&#10003; pass</span>'
          : '<span class="fail">&#10007; fail</span>';
    }
    const note = t.note === undefined ? '' : ` <span class="note">(${t.note})</span>`;
    return row([t.name, `<span class="n">${pct(t.share)}</span>`, target, mark + note]);
  });
  return `<section id="targets"><h2>Success metrics</h2><table>${row(['Metric', 'Value', 'Target', 'Result'], 'th')}${rows.join('')}</table></section>`;
}

/** A DTMS tally as a two-column table, largest count first, then by name; "none" when empty. */
function tallyTable(
  title: string,
  head: string,
  tally: Readonly<Record<string, number>>,
  label: (key: string) => string = escapeHtml,
): string {
  const size = (k: string): number => {
    const v = tally[k];
    return v !== undefined && Number.isFinite(v) ? v : -Infinity;
  };
  // Plain code-unit order for ties: locale-independent, so the page stays byte-stable.
  const keys = Object.keys(tally).sort((a, b) => size(b) - size(a) || (a < b ? -1 : a > b ? 1 : 0));
  const body =
    keys.length === 0
      ? '<p class="note">none</p>'
      : `<table>${row([head, 'Count'], 'th')}${keys.map((k) => `<tr><td>${label(k)}</td><td class="n">${count(tally[k] ?? NaN)}</td></tr>`).join('')}</table>`;
  return `<div><h3>${title}</h3>${body}</div>`;
}

/** 'HEALTHY->WARNING_L1' as "HEALTHY -> WARNING_L1", escaped. */
function transitionLabel(key: string): string {
  const at = key.indexOf('->');
  return at < 0 ? escapeHtml(key) : `${escapeHtml(key.slice(0, at))} -&gt; ${escapeHtml(key.slice(at + 2))}`;
}

export function dtmsSection(r: ReplayReport): string {
  const d: DtmsSummary | undefined = r.dtms;
  const open = '<section id="dtms"><h2>DTMS</h2>';
  if (d === undefined) return `${open}<p class="note">No DTMS summary in this report.</p></section>`;
  if (!d.enabled) return `${open}<p class="note">DTMS was off for this replay.</p></section>`;
  const cur = escapeHtml(r.currency);
  const pl = d.hedgeProfit > 0 ? 'pos' : d.hedgeProfit < 0 ? 'neg' : '';
  const line =
    `<p>Enabled: yes. Deep checks: ${count(d.deepChecks)}. Action rate: ${pct(d.actionRate)}. ` +
    `Hedges: ${count(d.hedges)} (profit <span class="${pl}">${money(d.hedgeProfit)} ${cur}</span>).</p>`;
  const tables =
    tallyTable('Transitions', 'From -&gt; to', d.transitions ?? {}, transitionLabel) +
    tallyTable('Actions applied', 'Action', d.actions ?? {}) +
    tallyTable('Holds', 'Reason', d.holds ?? {}) +
    tallyTable('Skipped', 'Reason', d.skipped ?? {});
  return `${open}${line}<div class="tbls">${tables}</div></section>`;
}

export function countsSection(r: ReplayReport): string {
  // Plain code-unit sort: locale-independent, so the page is byte-stable across machines.
  const keys = Object.keys(r.counts).sort();
  const body =
    keys.length === 0
      ? '<p class="note">No counts.</p>'
      : `<table>${row(['Count', 'Value'], 'th')}${keys.map((k) => `<tr><td>${escapeHtml(k)}</td><td class="n">${count(r.counts[k] ?? NaN)}</td></tr>`).join('')}</table>`;
  return `<section id="counts"><h2>Counts</h2>${body}</section>`;
}

export function gapsSection(r: ReplayReport): string {
  const g = r.gaps;
  const longest: readonly Gap[] = g.longest.slice(0, 10);
  const table =
    longest.length === 0
      ? ''
      : `<table>${row(['From', 'To', 'Minutes', 'Kind'], 'th')}${longest.map((x) => `<tr><td>${iso(x.from)}</td><td>${iso(x.to)}</td><td class="n">${count(x.minutes)}</td><td>${escapeHtml(x.kind)}</td></tr>`).join('')}</table>`;
  return (
    `<section id="gaps"><h2>Data gaps</h2><p>${count(g.count)} gaps: ${count(g.weekend)} weekend, ${count(g.intraWeek)} intra-week` +
    // Reports written before outages were told apart have no count: their long holes are in the other two.
    `${g.outage === undefined ? '' : `, ${count(g.outage)} outage (over a day without bars outside a weekend: a holiday closure or a feed outage)`}.` +
    `${longest.length > 0 ? ' Longest:' : ''}</p>${table}</section>`
  );
}

export function tradesSection(
  r: ReplayReport,
  dp: number,
  anchorOf: ReadonlyMap<string, string>,
  maxRows: number,
): string {
  const head = row(
    [
      'Trade',
      'Side',
      'Volume',
      'Entry time',
      'Entry',
      'Initial SL',
      'TP',
      'Exit time',
      'Exit',
      'Exit reason',
      'R',
      'MFE R',
      'MAE R',
      'Profit',
      'Type',
      'Flags',
      'Comment',
    ],
    'th',
  );
  const rows = r.trades.slice(0, maxRows).map((t, i) => {
    const id = escapeHtml(t.positionId);
    const anchor = anchorOf.get(t.positionId);
    const idCell =
      anchor === undefined ? `<span title="chart not drawn">${id}</span>` : `<a href="#${anchor}">${id}</a>`;
    const pl = t.profit > 0 ? 'pos' : t.profit < 0 ? 'neg' : '';
    return (
      `<tr id="trade-${i + 1}"><td>${idCell}</td><td>${escapeHtml(t.side)}</td><td class="n">${volume(t.volume)}</td>` +
      `<td>${iso(t.entryTime)}</td><td class="n">${num(t.entryPrice, dp)}</td><td class="n">${num(t.initialSl, dp, 'none')}</td>` +
      `<td class="n">${num(t.tp, dp, 'none')}</td><td>${iso(t.exitTime)}</td><td class="n">${num(t.exitPrice, dp)}</td>` +
      `<td>${escapeHtml(t.exitReason)}</td><td class="n">${num(t.r, 2)}</td><td class="n">${num(rOf(t.mfeR), 2)}</td><td class="n">${num(rOf(t.maeR), 2)}</td><td class="n ${pl}">${money(t.profit)}</td>` +
      `<td>${escapeHtml(t.tradeType)}</td><td>${t.flags.map(escapeHtml).join(', ')}</td><td class="cm">${escapeHtml(t.comment)}</td></tr>`
    );
  });
  const body =
    r.trades.length === 0 ? '<p class="note">No trades.</p>' : `<table class="trades">${head}${rows.join('')}</table>`;
  const omitted = r.trades.length - Math.min(r.trades.length, maxRows);
  const more =
    omitted > 0
      ? `<p class="note">The first ${count(maxRows)} trades are listed; ${count(omitted)} more are in trades.csv and report.json.</p>`
      : '';
  return `<section id="trades"><h2>Trades (${count(r.trades.length)})</h2><p class="note">Profit in ${escapeHtml(r.currency)}; a trade id links to its chart.</p>${body}${more}</section>`;
}
