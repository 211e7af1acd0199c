// The compact table `warden study` prints: one row per set and config (then pooled), with the
// expectancy, the paired differences against the baselines and the success rates.
import type { MeanSe } from './stats.ts';
import type { StudyReport } from './analysis.ts';

const signed = (x: number, d: number) => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;
export const fmtMeanSe = (m: MeanSe, d = 3): string =>
  m.mean === null ? 'n/a' : `${signed(m.mean, d)} ± ${m.se === null ? 'n/a' : m.se.toFixed(d)}`;
export const fmtPct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
export const fmtNum = (x: number | null, d = 2): string => (x === null ? 'n/a' : x.toFixed(d));

export function studyTable(report: StudyReport): string {
  const head = [
    'set',
    'config',
    'trades',
    'exp R ± SE',
    ...report.baselines.map((b) => `Δ vs ${b} ± SE`),
    'trail after BE (gate)',
    'BE hit',
    'RMAG',
    'DTMS 1st h',
    'capture',
    'whipsaw',
  ];
  const rows: string[][] = [head];
  for (const g of report.groups) {
    for (const f of g.configs) {
      const deltas = report.baselines.map((b) => {
        const d = f.deltas.find((x) => x.vs === b);
        return d === undefined ? '-' : `${fmtMeanSe(d)}${d.withinNoise ? ' ~' : ''}`;
      });
      rows.push([
        g.scope,
        f.config,
        String(f.trades),
        fmtMeanSe(f.expectancyR),
        ...deltas,
        `${fmtPct(f.seed.trailingActivationRate)} (${fmtPct(f.seed.trailingGateRate)})`,
        fmtPct(f.seed.breakevenHitRate),
        fmtPct(f.seed.rmagTriggerRate),
        fmtPct(f.seed.dtmsFirstHourRate),
        fmtNum(f.capture),
        f.whipsaw === null ? '-' : fmtPct(f.whipsaw.rate),
      ]);
    }
  }
  const widths = head.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
  lines.push(`Δ: mean R difference per paired entry ± standard error; "~" marks |Δ| < 1 SE (within noise).`);
  return lines.join('\n');
}
