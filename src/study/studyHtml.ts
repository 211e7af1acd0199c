// study.html: a study as ONE self-contained page (inline CSS and SVG, no external asset): how to read
// it, the setup, the paired differences, the success targets marked pass/fail, capture and whipsaw,
// the exit mix, the DTMS warning's forecast, equity curves per set and an R histogram per config.
// Deterministic: the same report gives the same bytes.
import { escapeHtml } from '../replay/reportFormat.ts';
import {
  HISTOGRAM,
  TARGETS,
  type ConfigFigures,
  type GroupFigures,
  type StudyReport,
  type TargetName,
} from './analysis.ts';
import { EXIT_REASONS } from './studyModel.ts';
import { fmtMeanSe, fmtNum, fmtPct } from './studyText.ts';

const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];
const colour = (i: number) => PALETTE[i % PALETTE.length]!;
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:8px 0 16px;font-variant-numeric:tabular-nums}.scroll{overflow-x:auto;max-width:100%}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;white-space:nowrap}th{background:#f4f4f4}
td.l,th.l{text-align:left}.pass{color:#127a12;font-weight:600}.fail{color:#b01515;font-weight:600}.na{color:#888}
.noise{color:#888}.note{color:#555;max-width:900px}.charts{display:flex;flex-wrap:wrap;gap:16px}
svg{background:#fff;border:1px solid #e4e4e4;max-width:100%;height:auto}figure{margin:0;max-width:100%}.legend span{display:inline-block;margin-right:14px}.swatch{display:inline-block;width:12px;height:3px;vertical-align:middle;margin-right:4px}
`;

function table(head: string[], rows: string[][], leftCols = 1): string {
  const th = head.map((h, i) => `<th${i < leftCols ? ' class="l"' : ''}>${h}</th>`).join('');
  const trs = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${i < leftCols ? ' class="l"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('\n');
  // Wide tables scroll inside their box: the page itself never scrolls sideways (a phone at 390 px included).
  return `<div class="scroll"><table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table></div>`;
}

function badge(ok: boolean | null): string {
  return ok === null
    ? '<span class="na">off</span>'
    : ok
      ? '<span class="pass">pass</span>'
      : '<span class="fail">fail</span>';
}

function deltaCell(f: ConfigFigures, vs: string): string {
  const d = f.deltas.find((x) => x.vs === vs);
  if (d === undefined) return '<span class="na">-</span>';
  const text = escapeHtml(fmtMeanSe(d));
  return d.withinNoise ? `<span class="noise" title="|Δ| < 1 SE: within noise">${text} ~</span>` : text;
}

function summaryTable(g: GroupFigures, report: StudyReport): string {
  const head = [
    'config',
    'trades',
    'paired',
    'exp R ± SE',
    ...report.baselines.map((b) => `Δ vs ${escapeHtml(b)} ± SE`),
    'capture',
    'giveback R ± SE',
    'mean MAE R',
    'whipsaw',
    'worst max DD',
    're-adds (ΣR)',
  ];
  const rows = g.configs.map((f) => [
    escapeHtml(f.config),
    String(f.trades),
    String(f.pairedTrades),
    escapeHtml(fmtMeanSe(f.expectancyR)),
    ...report.baselines.map((b) => deltaCell(f, b)),
    fmtNum(f.capture),
    escapeHtml(fmtMeanSe(f.giveback, 2)),
    fmtNum(f.meanMaeR),
    f.whipsaw === null
      ? '<span class="na">-</span>'
      : `${fmtPct(f.whipsaw.rate)} <span class="na">(${f.whipsaw.whipsaws} of ${f.whipsaw.nearBreakevenStops} near-BE stops)</span>`,
    fmtPct(f.worstMaxDrawdownPct),
    f.reAdds === 0 ? '0' : `${f.reAdds} (${fmtNum(f.reAddR)})`,
  ]);
  return table(head, rows);
}

const TARGET_ORDER: TargetName[] = [
  'rmagTriggerRate',
  'trailingActivationRate',
  'breakevenHitRate',
  'dtmsActionRate',
  'dtmsFirstHourRate',
];

function targetsTable(g: GroupFigures): string {
  const head = [
    'config',
    ...TARGET_ORDER.map((t) => escapeHtml(TARGETS[t].label)),
    'trail gate passed',
    'breakeven rate',
  ];
  const rows = g.configs.map((f) => [
    escapeHtml(f.config),
    ...TARGET_ORDER.map((t) => `${fmtPct(f.seed[t])} ${badge(f.targets[t])}`),
    fmtPct(f.seed.trailingGateRate),
    fmtPct(f.seed.breakevenRate),
  ]);
  return table(head, rows);
}

function exitMixTable(g: GroupFigures): string {
  const reasons = EXIT_REASONS.filter((r) => g.configs.some((f) => (f.exitMix[r] ?? 0) > 0));
  return table(
    ['config', ...reasons.map((r) => escapeHtml(r))],
    g.configs.map((f) => [escapeHtml(f.config), ...reasons.map((r) => fmtPct(f.exitMix[r] ?? 0))]),
  );
}

function forecastTable(g: GroupFigures): string {
  const rows = g.configs
    .filter((f) => f.warningForecast !== null)
    .map((f) => {
      const w = f.warningForecast!;
      return [
        escapeHtml(f.config),
        String(w.horizon.n),
        escapeHtml(fmtMeanSe(w.horizon)),
        escapeHtml(fmtMeanSe(w.managed)),
        String(w.twinClosedBefore),
        fmtPct(f.seed.dtmsFirstHourRate),
      ];
    });
  if (rows.length === 0)
    return '<p class="note">No config with DTMS on, or no bracket run to serve as the horizon.</p>';
  return table(
    [
      'config',
      'warned trades (n)',
      'bracket twin: R after the warning',
      'managed trade: R after the warning',
      'twin closed before',
      'DTMS stop move in 1st hour',
    ],
    rows,
  );
}

const CURVE = { width: 560, height: 240, left: 48, right: 10, top: 10, bottom: 26 };

function equityChart(report: StudyReport, set: string): string {
  const curves = report.curves.filter((c) => c.set === set);
  const pts = curves.flatMap((c) => c.points);
  if (pts.length === 0) return '';
  const t0 = Math.min(...pts.map((p) => p[0]));
  const t1 = Math.max(...pts.map((p) => p[0]));
  const y0 = Math.min(0, ...pts.map((p) => p[1]));
  const y1 = Math.max(0, ...pts.map((p) => p[1]));
  const { width: w, height: h, left, right, top, bottom } = CURVE;
  const x = (t: number) => left + ((t - t0) / Math.max(1, t1 - t0)) * (w - left - right);
  const y = (v: number) => top + (1 - (v - y0) / Math.max(1e-9, y1 - y0)) * (h - top - bottom);
  const lines = curves
    .map((c) => {
      const i = report.configs.findIndex((k) => k.name === c.config);
      const d = c.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
      return d === ''
        ? ''
        : `<path d="${d}" fill="none" stroke="${colour(i)}" stroke-width="1.5"><title>${escapeHtml(c.config)}: ${fmtNum(c.points[c.points.length - 1]![1])} R</title></path>`;
    })
    .join('');
  const axis = `<line x1="${left}" x2="${w - right}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="#999" stroke-dasharray="3,3"/>`;
  // The top and bottom values, unless they would sit on the "0 R" label (a curve that never rose above 0).
  const yLabel = (v: number) =>
    Math.abs(y(v) - y(0)) < 12
      ? ''
      : `<text x="${left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmtNum(v, 1)}</text>`;
  const labels =
    yLabel(y1) +
    yLabel(y0) +
    `<text x="${left - 4}" y="${(y(0) + 4).toFixed(1)}" text-anchor="end" font-size="11">0 R</text>` +
    `<text x="${left}" y="${h - 8}" font-size="11">${isoDay(t0)}</text><text x="${w - right}" y="${h - 8}" text-anchor="end" font-size="11">${isoDay(t1)}</text>`;
  return `<figure><figcaption>${escapeHtml(set)}: cumulative R by exit time, every variant</figcaption><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="Cumulative R on ${escapeHtml(set)}">${axis}${lines}${labels}</svg></figure>`;
}

const HIST = { width: 280, height: 150, left: 8, right: 8, top: 16, bottom: 22 };

function histogramChart(report: StudyReport, config: string, i: number, max: number): string {
  const counts = report.histogram.counts[config] ?? [];
  const { width: w, height: h, left, right, top, bottom } = HIST;
  const bw = (w - left - right) / HISTOGRAM.bins;
  const bars = counts
    .map((n, k) => {
      const bh = (n / Math.max(1, max)) * (h - top - bottom);
      const lo = HISTOGRAM.from + k * HISTOGRAM.step;
      const range =
        k === 0
          ? `< ${lo + HISTOGRAM.step}`
          : k === HISTOGRAM.bins - 1
            ? `>= ${lo}`
            : `${lo} to ${lo + HISTOGRAM.step}`;
      return `<rect x="${(left + k * bw + 1).toFixed(1)}" y="${(h - bottom - bh).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="${colour(i)}"><title>R ${range}: ${n} trades</title></rect>`;
    })
    .join('');
  const zero = left + ((0 - HISTOGRAM.from) / HISTOGRAM.step) * bw;
  const ticks = [-1, 0, 1, 2]
    .map(
      (v) =>
        `<text x="${(left + ((v - HISTOGRAM.from) / HISTOGRAM.step) * bw).toFixed(1)}" y="${h - 6}" text-anchor="middle" font-size="10">${v}R</text>`,
    )
    .join('');
  return `<figure><figcaption>${escapeHtml(config)}</figcaption><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="R histogram of ${escapeHtml(config)}"><line x1="${zero.toFixed(1)}" x2="${zero.toFixed(1)}" y1="${top}" y2="${h - bottom}" stroke="#999" stroke-dasharray="3,3"/>${bars}${ticks}</svg></figure>`;
}

const HOW_TO_READ = `Every config ran on exactly the same entries (same bars, same times, sides, stops and targets), so
the figures compare exits only. <b>Δ vs bracket</b> is the mean, over paired entries, of the config's R minus the R the
same entry made with no management at all (stop and target only); <b>Δ vs chandelier</b> the same against breakeven at 1R
and a plain 1.5 x ATR trail. ± is one standard error (sd/√n); a grey "~" means |Δ| &lt; 1 SE: the difference is within
the noise of the sample and says nothing either way. A config earns its keep when its Δ vs both baselines is positive
and clear of the noise, on most sets and pooled. <b>Capture</b> is Σ realized R / Σ best open R (MFE) over trades that
were ever in profit; <b>giveback</b> is MFE − realized R per trade. <b>Whipsaw</b> is the share of trades stopped at
or near breakeven (a stop fill within ±0.25 R) whose untouched bracket twin went on to take profit. The <b>DTMS
forecast</b> asks what the warning foretold: the bracket twin's R still to come after DTMS's first warning (its final R
minus its open R at the warning bar's close); clearly negative means the warning saw trouble coming, near 0 means it
carries no information, and the managed trade's figure beside it shows what acting on it did. Targets are the seed's,
on the pooled rates; "off" where the feature is switched off in that config.`;

export function renderStudyHtml(report: StudyReport): string {
  const pooled = report.groups.find((g) => g.scope === 'pooled');
  const ordered = pooled ? [pooled, ...report.groups.filter((g) => g !== pooled)] : report.groups;
  const legend = `<p class="legend">${report.configs.map((c, i) => `<span><i class="swatch" style="background:${colour(i)}"></i>${escapeHtml(c.name)}</span>`).join('')}</p>`;
  const maxBin = Math.max(1, ...Object.values(report.histogram.counts).flat());
  const plan = report.plan;
  const parts: string[] = [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Warden study</title><style>${CSS}</style></head><body>`,
    `<h1>Warden study: do these exit settings earn their keep?</h1>`,
    `<p class="note">${escapeHtml(report.generatedBy)}; configs: ${report.configs.map((c) => `<b>${escapeHtml(c.name)}</b> (${escapeHtml(c.source)})`).join(', ')}.</p>`,
    `<h2>How to read this page</h2><p class="note">${HOW_TO_READ}</p>`,
    `<h2>Setup</h2>`,
    table(
      ['set', 'symbol', 'timeframe', 'bars', 'first bar', 'last bar', 'spread'],
      report.sets.map((s) => [
        escapeHtml(s.name),
        escapeHtml(s.symbol),
        escapeHtml(s.timeframe),
        String(s.bars),
        iso(s.first),
        iso(s.last),
        escapeHtml(s.spreadNote ?? 'from the data'),
      ]),
    ),
    plan === null
      ? ''
      : `<p class="note">Entries: one every ${plan.every} bars after ${plan.warmupBars} bars of warm-up (and again after each data boundary), SL ${plan.slAtr} x ATR(14) of ${escapeHtml(plan.atrTimeframe)}, TP ${plan.rr} x the SL distance.</p>`,
    `<ul>${report.variants.map((v) => `<li>variant ${v.index}: ${escapeHtml(v.description)}</li>`).join('')}</ul>`,
    `<h3>Pairing</h3>`,
    table(
      [
        'set',
        'variant',
        'entries',
        'same entries in every config',
        'paired entries',
        ...report.configs.map((c) => `${escapeHtml(c.name)}: refused / dropped`),
      ],
      report.pairing.map((p) => [
        escapeHtml(p.set),
        String(p.variant),
        String(p.entries),
        p.sameEntries ? '<span class="pass">yes</span>' : '<span class="fail">no</span>',
        String(p.pairedEntries),
        ...p.rejected.map((r, i) => `${r} / ${p.dropped[i]}`),
      ]),
      2,
    ),
    `<h2>Paired differences and trade shape</h2>`,
    ...ordered.map((g) => `<h3>${escapeHtml(g.scope)}</h3>${summaryTable(g, report)}`),
    `<h2>The seed's targets</h2>`,
    ...ordered.map((g) => `<h3>${escapeHtml(g.scope)}</h3>${targetsTable(g)}`),
    `<h2>Exit mix</h2>`,
    ...ordered.map((g) => `<h3>${escapeHtml(g.scope)}</h3>${exitMixTable(g)}`),
    `<h2>DTMS warning forecast</h2>`,
    ...ordered.map((g) => `<h3>${escapeHtml(g.scope)}</h3>${forecastTable(g)}`),
    `<h2>Equity curves</h2>${legend}<div class="charts">${report.sets.map((s) => equityChart(report, s.name)).join('')}</div>`,
    `<h2>R per trade</h2><p class="note">Every trade of every set and variant, in bins of ${HISTOGRAM.step} R; the outer bins take everything beyond.</p><div class="charts">${report.configs.map((c, i) => histogramChart(report, c.name, i, maxBin)).join('')}</div>`,
    `</body></html>\n`,
  ];
  return parts.join('\n');
}
