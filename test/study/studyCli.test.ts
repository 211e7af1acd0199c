// `warden study` end to end on the generated sample market, through the CLI entry point (in-process,
// its clock pinned): study.json's structure, and the same bytes with one thread and with two workers.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StudyReport } from '../../src/study/analysis.ts';
import { wardenCli } from '../support/cliRun.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'warden-study-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 4,000 M1 bars, an entry every 60 bars after 300 of warm-up, 2 variants: about 30 trades per run.
const SMALL = [
  '--sample',
  '--sample-bars',
  '4000',
  '--warmup',
  '300',
  '--entry-every',
  '60',
  '--variants',
  '2',
  '--no-progress',
];

describe('warden study', () => {
  it('writes study.json and study.html with every config, baseline and variant; the same with 1 and 2 workers', {
    timeout: 60_000,
  }, async () => {
    const one = path.join(dir, 'w1');
    const two = path.join(dir, 'w2');
    const a = await wardenCli('study', 'defaults', ...SMALL, '--workers', '1', '--out', one);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const b = await wardenCli('study', 'defaults', ...SMALL, '--workers', '2', '--out', two);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);

    const json = readFileSync(path.join(one, 'study.json'), 'utf8');
    expect(readFileSync(path.join(two, 'study.json'), 'utf8')).toBe(json);
    expect(readFileSync(path.join(two, 'study.html'), 'utf8')).toBe(readFileSync(path.join(one, 'study.html'), 'utf8'));
    // stdout differs only in the thread count and the output directory.
    expect(b.stdout.replace('on 2 thread(s)', 'on 1 thread(s)').replaceAll(two, one)).toBe(a.stdout);

    const r = JSON.parse(json) as StudyReport;
    expect(r.configs.map((c) => c.name)).toEqual(['defaults', 'bracket', 'chandelier']);
    expect(r.baselines).toEqual(['bracket', 'chandelier']);
    expect(r.horizon).toBe('bracket');
    expect(r.variants.map((v) => [v.index, v.side, v.seed, v.offsetBars])).toEqual([
      [1, 'alternate', 1, 0],
      [2, 'random', 2, 30],
    ]);
    expect(r.sets).toHaveLength(1);
    expect(r.runs).toHaveLength(6);
    expect(r.pairing).toHaveLength(2);
    for (const p of r.pairing) {
      expect(p.sameEntries).toBe(true);
      expect(p.pairedEntries).toBeGreaterThan(10);
    }
    // One set: no pooled group.
    expect(r.groups.map((g) => g.scope)).toEqual(['sample']);
    const [defaults, bracket, chandelier] = r.groups[0]!.configs;
    expect(defaults!.deltas.map((d) => d.vs)).toEqual(['bracket', 'chandelier']);
    expect(bracket!.deltas.map((d) => d.vs)).toEqual(['chandelier']);
    expect(chandelier!.deltas.map((d) => d.vs)).toEqual(['bracket']);
    const d = defaults!.deltas[0]!;
    expect(d.n).toBe(defaults!.pairedTrades);
    expect(typeof d.mean).toBe('number');
    expect(d.withinNoise).toBe(Math.abs(d.mean!) < d.se!);
    // The bracket runs manage nothing: its targets are not judged, and it has no breakeven or trail.
    expect(Object.values(bracket!.targets).every((t) => t === null)).toBe(true);
    expect(bracket!.seed.breakevenRate).toBe(0);
    expect(bracket!.whipsaw).toBeNull();
    expect(defaults!.whipsaw!.trades).toBe(defaults!.pairedTrades);
    expect(defaults!.warningForecast).not.toBeNull();
    expect(chandelier!.warningForecast).toBeNull();
    const mix = Object.values(defaults!.exitMix).reduce((s, x) => s + x!, 0);
    expect(mix).toBeCloseTo(1, 9);
    // Per-run trades as columns of equal length.
    const run = r.runs[0]!;
    const lengths = new Set(Object.values(run.trades).map((c) => c.length));
    expect(lengths.size).toBe(1);
    expect(run.trades.r!.length).toBe(run.metrics.trades);

    const html = readFileSync(path.join(one, 'study.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('How to read this page');
    expect(html).not.toMatch(/(src|href)=|https?:\/\//);

    expect(a.stdout).toMatch(/1 set\(s\) x 3 configs x 2 variant\(s\) = 6 runs on 1 thread\(s\)/);
    expect(a.stdout).toMatch(/variant 2: random sides, seed 2, first entry 30 bars after the warm-up/);
    expect(a.stdout).toMatch(/^sample\s+defaults\s+\d+\s+[+-]\d\.\d{3} ± \d\.\d{3}/m);
  });

  it('reads a study spec, and names the file and the field of a bad one', async () => {
    const spec = path.join(dir, 'spec.yaml');
    writeFileSync(spec, 'configs: [defaults]\nvariants: 1\nentryEvery: 60\nwarmup: 300\nout: spec-out\n');
    const ok = await wardenCli(
      'study',
      '--spec',
      spec,
      '--sample',
      '--sample-bars',
      '3000',
      '--workers',
      '1',
      '--no-progress',
    );
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(existsSync(path.join(dir, 'spec-out', 'study.json'))).toBe(true);

    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'variants: 0\nbars:\n  - file: x.csv\n');
    const r = await wardenCli('study', '--spec', bad, '--no-progress');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: variants:`);
    expect(r.stderr).toContain(`${bad}: bars[0].symbol:`);
  });

  it('refuses unpaired --bars/--symbol and bad numbers with one clear message', async () => {
    const cases: [string[], RegExp][] = [
      [['--bars', 'a.csv'], /every --bars needs its --symbol/],
      [['--sample', '--variants', '0'], /--variants must be at least 1/],
      [['--sample', '--workers', 'two'], /--workers must be a whole number/],
      [['--shared', path.join(dir, 'nowhere')], /no such directory/],
      [['--bars', path.join(dir, 'nowhere.csv'), '--symbol', 'XAUUSD', '--workers', '1'], /nowhere\.csv: no such file/],
      [[], /bars are required/],
      // An instrument the config has no contract for is refused before any bar is read (never the FX DEFAULT).
      [['--bars', path.join(dir, 'nowhere.csv'), '--symbol', 'GOLD'], /GOLD has no instrument rules/],
    ];
    for (const [args, re] of cases) {
      const r = await wardenCli('study', ...args, '--no-progress');
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
    }
  });

  it('replay --compare writes the same paired page beside its reports', { timeout: 60_000 }, async () => {
    const out = path.join(dir, 'compare');
    const r = await wardenCli(
      'replay',
      '--sample',
      '--sample-bars',
      '4000',
      '--warmup',
      '300',
      '--entry-every',
      '60',
      '--compare',
      'defaults',
      'examples/seed-before.yaml',
      '--out',
      out,
      '--no-progress',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`paired comparison: ${path.join(out, 'study.html')}`);
    const html = readFileSync(path.join(out, 'study.html'), 'utf8');
    expect(html).toContain('Δ vs defaults');
    expect(html).toContain('seed-before');
  });
});
