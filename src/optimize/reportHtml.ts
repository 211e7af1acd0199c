// report.html of `warden optimize`: ONE self-contained page (inline CSS, no external asset) from
// report.json's model: how to read it, what was tuned on, the folds in and out of sample beside the
// trader's own config, the overfitting checks, best.yaml's values, and every trial. Deterministic.
import { escapeHtml } from '../replay/reportFormat.ts';
import type { BookSummary } from './objective.ts';
import type { OptimizeReport } from './reportModel.ts';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0 16px;font-variant-numeric:tabular-nums}.scroll{overflow-x:auto;max-width:100%}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;white-space:nowrap}th{background:#f4f4f4}
td.l,th.l{text-align:left}.good{color:#127a12;font-weight:600}.bad{color:#b01515;font-weight:600}.na{color:#888}.note{color:#555;max-width:900px}
`;

function table(head: string[], rows: string[][], leftCols = 1): string {
  const th = head.map((h, i) => `<th${i < leftCols ? ' class="l"' : ''}>${h}</th>`).join('');
  const trs = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${i < leftCols ? ' class="l"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('\n');
  return `<div class="scroll"><table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table></div>`;
}

const num = (x: number | null, d = 3) => (x === null ? '<span class="na">n/a</span>' : x.toFixed(d));
const summary = (s: BookSummary) =>
  `${num(s.score)} <span class="na">(${s.trades} trades, exp ${num(s.expectancyR)} R)</span>`;
const meanSe = (m: { n: number; mean: number | null; se: number | null }) => {
  if (m.mean === null) return '<span class="na">n/a</span>';
  const text = `${m.mean >= 0 ? '+' : ''}${m.mean.toFixed(3)} ± ${m.se === null ? 'n/a' : m.se.toFixed(3)} R <span class="na">(n ${m.n})</span>`;
  if (m.se === null || Math.abs(m.mean) < 2 * m.se) return text;
  return `<span class="${m.mean > 0 ? 'good' : 'bad'}">${text}</span>`;
};
const value = (v: number | boolean | undefined) =>
  v === undefined ? '' : typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v);

export function renderOptimizeHtml(r: OptimizeReport): string {
  const t = r.tunedOn;
  const foldRows = r.folds.map((f) => [
    `fold ${f.fold + 1}: train window ${f.trainWindow + 1}, test window ${f.testWindow + 1}`,
    `#${f.chosenTrial}`,
    summary(f.inSample),
    summary(f.baseline.inSample),
    summary(f.outOfSample),
    summary(f.baseline.outOfSample),
    meanSe(f.pairedOutOfSample),
  ]);
  const g = r.gap;
  const pbo = r.pbo;
  const spaceRows = r.searchSpace.map((p) => [
    escapeHtml(p.name),
    escapeHtml(p.label),
    p.kind === 'bool' ? 'on / off' : `${p.min} .. ${p.max}`,
    escapeHtml(value(r.baselineParams[p.name])),
    escapeHtml(value(r.best.params[p.name])),
    escapeHtml(p.paths.join(', ')),
  ]);
  const trialRows = r.trials.map((tr) => [
    `#${tr.index}`,
    ...tr.inSample.map((s) => `${num(s.score)} <span class="na">@${Math.round(s.fraction * 100)}%</span>`),
    escapeHtml(r.searchSpace.map((p) => `${p.name}=${value(tr.params[p.name])}`).join(' ')),
  ]);
  const verdict =
    g.meanOutOfSample === null || g.meanBaselineOutOfSample === null
      ? 'no out-of-sample score to compare'
      : g.meanOutOfSample > g.meanBaselineOutOfSample
        ? `out of sample the chosen configs scored ${g.meanOutOfSample.toFixed(3)} on average against ${g.meanBaselineOutOfSample.toFixed(3)} for your own config: check the paired differences and their standard errors before trusting it`
        : `out of sample the chosen configs scored ${g.meanOutOfSample.toFixed(3)} on average against ${g.meanBaselineOutOfSample.toFixed(3)} for your own config: tuning did not help out of sample`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>warden optimize: ${escapeHtml(t.symbol)} ${escapeHtml(r.objective)}</title><style>${CSS}</style></head><body>
<h1>Exit parameter search: ${escapeHtml(t.symbol)} (${escapeHtml(t.timeframe)}), objective ${escapeHtml(r.objective)}</h1>
<p class="note">${escapeHtml(t.files.join(', '))}: ${t.bars.toLocaleString('en-US')} bars from ${escapeHtml(t.first)} to ${escapeHtml(t.last)}; ${t.entryCount} entries (${escapeHtml(t.entries)}).
${r.trialCount} trials drawn with seed ${r.seed}; ${r.folds.length} walk-forward fold(s) over ${r.windows.length} windows. ${escapeHtml(r.generatedBy)}.</p>
<p class="note">How to read it: each fold searches on one window (successive halving: every trial on a short slice, the best third on a longer one, the best third of those on the whole window)
and tests the chosen config on the next window, which the search never saw. The out-of-sample column is the evidence; the in-sample one is what a search always finds.
The paired difference compares the chosen config with your own on the same entries of the test window (mean R difference per trade ± its standard error; coloured when beyond 2 SE).</p>
<h2>Verdict</h2><p>${escapeHtml(verdict)}.</p>
<h2>Walk-forward folds</h2>
${table(['fold', 'chosen', 'in sample', 'yours, in sample', 'out of sample', 'yours, out of sample', 'Δ R out of sample (paired)'], foldRows)}
<h2>Overfitting checks</h2>
${table(
  ['check', 'value'],
  [
    ['mean in-sample score of the chosen configs', num(g.meanInSample)],
    ['mean out-of-sample score of the chosen configs', num(g.meanOutOfSample)],
    ['mean out-of-sample score of your own config', num(g.meanBaselineOutOfSample)],
    ['in-sample minus out-of-sample (gap)', num(g.gap)],
    [
      'probability of backtest overfitting (PBO)',
      pbo.pbo === null ? '<span class="na">n/a (too few configs or blocks)</span>' : `${(pbo.pbo * 100).toFixed(1)}%`,
    ],
    ["mean logit of the in-sample best's out-of-sample rank", num(pbo.meanLogit)],
  ],
)}
<p class="note">PBO is computed on ${escapeHtml(pbo.computedOn)}. Near 50% means the best in sample is no better than a coin flip out of sample; near 0% that it tends to stay good.</p>
<h2>Windows</h2>
${table(
  ['window', 'first bar', 'last bar', 'bars', 'entries', 'best.yaml score', 'yours'],
  r.windows.map((w) => [
    `window ${w.index + 1}`,
    escapeHtml(w.firstBar),
    escapeHtml(w.lastBar),
    String(w.bars),
    String(w.entries),
    num(r.best.windowScores[w.index] ?? null),
    num(r.best.baselineWindowScores[w.index] ?? null),
  ]),
)}
<h2>best.yaml: trial #${r.best.trial}</h2>
<p class="note">Chosen as ${escapeHtml(r.best.rule)}.</p>
${r.best.beatsBaseline ? '' : `<p class="note"><b>Warning:</b> it does not beat the config it started from on the training windows (mean ${r.best.meanTraining ?? 'n/a'} against ${r.best.baselineMeanTraining ?? 'n/a'}): keep yours.</p>`}
${table(['parameter', 'what', 'range', 'yours', 'best.yaml', 'config path(s)'], spaceRows, 2)}
<h2>Trials (in-sample score per fold, at the share of the window last scored on)</h2>
${table(['trial', ...r.folds.map((f) => `fold ${f.fold + 1}`), 'values'], trialRows)}
</body></html>
`;
}
