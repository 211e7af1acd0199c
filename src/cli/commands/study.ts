// `warden study`: do these exit settings earn their keep on real data? Runs every config (and the
// bracket and chandelier baselines) on the same generated entries of every bar set, in K entry
// variants, on worker threads; prints a compact table and writes study.json and study.html.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { DEFAULT_GENERATED } from '../../replay/entries.ts';
import { ReplayInputError } from '../../replay/replayInputs.ts';
import { replayInstrument } from '../../replay/replayInstrument.ts';
import { baselineConfig, BASELINE_NAMES, isBaselineName } from '../../study/baselines.ts';
import { StudyJobError } from '../../study/pool.ts';
import {
  configInfo,
  entryVariants,
  runStudy,
  sharedSets,
  writeStudyFiles,
  type StudyConfig,
} from '../../study/study.ts';
import type { EntryPlan, StudySet } from '../../study/studyModel.ts';
import { withStagedOutput } from '../../replay/stagedOutput.ts';
import { readStudySpec, StudySpecError, type StudySpec } from '../../study/studySpec.ts';
import { studyTable } from '../../study/studyText.ts';
import { loadConfigOption } from '../configArg.ts';
import { CliError, outputFailure } from '../errors.ts';
import { clockOf, writeErr, writeOut } from '../io.ts';
import { readVersion } from '../version.ts';

export const DEFAULT_STUDY = { variants: 4, entryEvery: 120 } as const;

const collect = (v: string, prev: string[]) => [...prev, v];

/** The command line's options, checked at the boundary (numbers arrive as text). */
const intText = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `--${name} must be a whole number` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `--${name} must be at least ${min}` })
        .max(max, { error: `--${name} must be at most ${max}` }),
    );
const numText = (name: string, min: number, max: number) =>
  z
    .string()
    .transform(Number)
    .pipe(
      z
        .number({ error: `--${name} must be a number` })
        .min(min, { error: `--${name} must be between ${min} and ${max}` })
        .max(max, { error: `--${name} must be between ${min} and ${max}` }),
    );

const optionsSchema = z.object({
  bars: z.array(z.string()),
  symbol: z.array(z.string()),
  shared: z.string().optional(),
  includeH1: z.boolean().optional(),
  sample: z.boolean().optional(),
  sampleBars: intText('sample-bars', 3000, 5_000_000),
  seed: intText('seed', 0, 2 ** 31),
  spec: z.string().optional(),
  variants: intText('variants', 1, 16).optional(),
  entryEvery: intText('entry-every', 1, 1_000_000).optional(),
  warmup: intText('warmup', 0, 1_000_000).optional(),
  slAtr: numText('sl-atr', 0.1, 50).optional(),
  rr: numText('rr', 0.1, 50).optional(),
  atrTimeframe: z
    .enum(['M1', 'M5', 'M15', 'M30', 'H1', 'H4'], { error: '--atr-timeframe must be one of M1, M5, M15, M30, H1, H4' })
    .optional(),
  balance: numText('balance', 1, 1e12).optional(),
  workers: intText('workers', 1, 256).optional(),
  out: z.string().optional(),
  progress: z.boolean(),
});
type StudyOptionsRaw = z.input<typeof optionsSchema>;

export function register(program: Command): void {
  program
    .command('study')
    .description(
      'paired comparison of exit configs on the same entries: each config against no management (bracket) and a plain chandelier trail',
    )
    .argument('[configs...]', 'config files, or "defaults" (bracket and chandelier are always added)')
    .option('--bars <file>', 'a bar file (repeat; each with its --symbol, in the same order)', collect, [])
    .option('--symbol <symbol>', 'the instrument of the --bars file at the same position', collect, [])
    .option(
      '--shared <dir>',
      'every M1 file of a directory laid out like the shared data, its symbol read from the file name',
    )
    .option('--include-h1', 'with --shared: the H1 files too')
    .option('--sample', 'the generated sample market (XAUUSDc) instead of bar files')
    .option('--sample-bars <n>', 'M1 bars of the sample market', '30000')
    .option('--seed <n>', 'seed of the sample market', '42')
    .option(
      '--spec <file>',
      'a study spec (YAML or JSON) with any of: configs, bars, shared, includeH1, variants, entryEvery, warmup, slAtr, rr, atrTimeframe, balance, workers, out',
    )
    .option(
      '--variants <k>',
      `entry variants (default ${DEFAULT_STUDY.variants}): variant 1 alternates sides, the others draw them from seeds 2..k, each starting at another bar`,
    )
    .option('--entry-every <n>', `an entry every N bars (default ${DEFAULT_STUDY.entryEvery})`)
    .option('--warmup <n>', `bars before the first entry (default ${DEFAULT_GENERATED.warmupBars})`)
    .option('--sl-atr <k>', `SL = k x ATR (default ${DEFAULT_GENERATED.slAtr})`)
    .option('--rr <x>', `TP = RR x the SL distance (default ${DEFAULT_GENERATED.rr})`)
    .option('--atr-timeframe <tf>', `timeframe of the entries' ATR (default ${DEFAULT_GENERATED.atrTimeframe})`)
    .option('--balance <amount>', 'starting balance of every run, for the drawdown % (default 10000)')
    .option('--workers <n>', 'worker threads (default: the cores available)')
    .option('--out <dir>', 'write study.json and study.html here')
    .option('--no-progress', 'no progress bar')
    .action(async (configs: string[], raw: StudyOptionsRaw, cmd: Command) => {
      try {
        await studyAction(configs, raw, cmd);
      } catch (err) {
        throw outputFailure(err, (e) =>
          e instanceof StudySpecError || e instanceof ReplayInputError || (e instanceof StudyJobError && e.input)
            ? new CliError(e.message)
            : null,
        );
      }
    });
}

const configName = (file: string) =>
  file === 'defaults' || isBaselineName(file) ? file : path.basename(file).replace(/\.(ya?ml|json)$/i, '');

function studyConfigs(given: readonly string[]): StudyConfig[] {
  const out: StudyConfig[] = [];
  for (const c of [...given, ...BASELINE_NAMES]) {
    const name = configName(c);
    if (isBaselineName(c) && out.some((x) => x.name === c)) continue;
    if (out.some((x) => x.name === name))
      throw new CliError(`two configs are named "${name}": give the files different names`);
    if (isBaselineName(c)) out.push(configInfo(c, 'built-in baseline', baselineConfig(c)));
    else
      out.push(
        configInfo(
          name,
          c === 'defaults' ? 'built-in defaults' : c,
          loadConfigOption(c === 'defaults' ? undefined : c),
        ),
      );
  }
  return out;
}

// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
async function studyAction(configArgs: string[], raw: StudyOptionsRaw, cmd: Command): Promise<void> {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(parsed.error.issues.map((i) => i.message).join('\n'));
  const o = parsed.data;
  const spec: StudySpec = o.spec === undefined ? {} : readStudySpec(o.spec);

  const configs = studyConfigs(configArgs.length > 0 ? configArgs : (spec.configs ?? ['defaults']));

  // Bar sets: the command line's, else the spec's.
  let sets: StudySet[];
  const sources = [o.sample === true, o.bars.length > 0, o.shared !== undefined].filter(Boolean).length;
  if (sources > 1) throw new CliError('use one of --bars FILE --symbol SYM, --shared DIR or --sample');
  if (o.bars.length !== o.symbol.length)
    throw new CliError(`every --bars needs its --symbol (got ${o.bars.length} --bars and ${o.symbol.length} --symbol)`);
  if (o.sample === true) {
    sets = [{ name: 'sample', source: { kind: 'sample', symbol: 'XAUUSDc', seed: o.seed, bars: o.sampleBars } }];
  } else if (o.bars.length > 0) {
    sets = o.bars.map((file, i) => ({
      name: path.basename(file),
      source: { kind: 'file', file, symbol: o.symbol[i]! },
    }));
  } else if (o.shared !== undefined || spec.shared !== undefined) {
    sets = sharedDir(o.shared ?? spec.shared!, o.includeH1 ?? spec.includeH1 ?? false, cmd);
  } else if (spec.bars !== undefined) {
    sets = spec.bars.map((b) => ({
      name: path.basename(b.file),
      source: { kind: 'file', file: b.file, symbol: b.symbol },
    }));
  } else {
    throw new CliError(
      'bars are required: --bars FILE --symbol SYM (repeatable), --shared DIR, --sample, or a --spec naming them',
    );
  }
  const names = sets.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new CliError(`two bar files are named "${dup}": the study names sets by file name`);

  const every = o.entryEvery ?? spec.entryEvery ?? DEFAULT_STUDY.entryEvery;
  const plan: EntryPlan = {
    every,
    warmupBars: o.warmup ?? spec.warmup ?? DEFAULT_GENERATED.warmupBars,
    slAtr: o.slAtr ?? spec.slAtr ?? DEFAULT_GENERATED.slAtr,
    rr: o.rr ?? spec.rr ?? DEFAULT_GENERATED.rr,
    atrTimeframe: o.atrTimeframe ?? spec.atrTimeframe ?? DEFAULT_GENERATED.atrTimeframe,
  };
  const variants = entryVariants(o.variants ?? spec.variants ?? DEFAULT_STUDY.variants, every);
  const workers = o.workers ?? spec.workers ?? availableParallelism();
  const out = o.out ?? spec.out;
  const now = clockOf(cmd);

  // Every config must know every set's instrument: refused here, naming the fields, before any bar is read.
  for (const s of sets) for (const c of configs) replayInstrument(c.config, s.source.symbol, true);

  const total = sets.length * variants.length * configs.length;
  const bar =
    o.progress && process.stderr.isTTY === true
      ? new cliProgress.SingleBar(
          { format: 'study [{bar}] {value}/{total} runs', hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
  const started = now();
  bar?.start(total, 0);
  let report;
  try {
    report = await runStudy({
      version: readVersion(),
      configs,
      sets,
      variants,
      plan,
      startingBalance: o.balance ?? spec.balance ?? 10_000,
      workers,
      onProgress: bar ? (done) => bar.update(done) : undefined,
    });
  } finally {
    bar?.stop();
  }
  const seconds = (now() - started) / 1000;

  writeOut(
    cmd,
    `${sets.length} set(s) x ${configs.length} configs x ${variants.length} variant(s) = ${total} runs on ${Math.min(workers, total)} thread(s), ${seconds.toFixed(1)} s`,
  );
  for (const v of variants) writeOut(cmd, `  variant ${v.index}: ${v.description}`);
  for (const s of report.sets) if (s.spreadNote !== null) writeErr(cmd, `warden: WARNING: ${s.name}: ${s.spreadNote}`);
  const mismatched = report.pairing.filter((p) => !p.sameEntries);
  if (mismatched.length > 0)
    writeErr(
      cmd,
      `warden: configs ran on different entries in ${mismatched.map((p) => `${p.set} variant ${p.variant}`).join(', ')}: the instruments differ between configs`,
    );
  const dropped = report.pairing.reduce((s, p) => s + p.droppedEntries, 0);
  if (dropped > 0)
    writeOut(
      cmd,
      `  ${dropped} entr${dropped === 1 ? 'y' : 'ies'} left out of the pairing (refused in some config but not all; see study.json "pairing")`,
    );
  writeOut(cmd, studyTable(report));
  if (out !== undefined) {
    // Written beside --out and moved in together: a failure leaves the previous study.json and study.html whole.
    await withStagedOutput(out, false, (dir) => writeStudyFiles(dir, report), ['study.json', 'study.html']);
    writeOut(cmd, `study: ${path.resolve(out, 'study.html')} (data: ${path.resolve(out, 'study.json')})`);
  }
}

function sharedDir(dir: string, includeH1: boolean, cmd: Command): StudySet[] {
  let found;
  try {
    found = sharedSets(dir, includeH1);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`--shared ${dir}: no such directory`);
    throw err;
  }
  if (found.ignored.length > 0)
    writeErr(
      cmd,
      `warden: --shared: not studied (unknown instrument${includeH1 ? '' : ', or not M1: add --include-h1 for H1'}): ${found.ignored.join(', ')}`,
    );
  if (found.sets.length === 0)
    throw new CliError(
      `--shared ${dir}: no bar file named like xauusd_*_m1_*.csv, eurusd_*, gbpusd_*, usdjpy_*, btcusd_*`,
    );
  return found.sets;
}
