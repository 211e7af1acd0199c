// `warden optimize`: searches exit parameters over bar files and entries with walk-forward folds; writes
// best.yaml (a valid config), report.json and report.html, staged so that a failed run leaves the
// previous outputs whole.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_GENERATED, firstAlternateSide, generateEntries, type ReplayEntry } from '../../replay/entries.ts';
import { barsTz, readEntriesFile } from '../../replay/entries/readEntries.ts';
import { fillSpreadless, formatRowErrors, loadBarFiles, ReplayInputError } from '../../replay/replayInputs.ts';
import { replayInstrument, replayInstrumentRules } from '../../replay/replayInstrument.ts';
import { withStagedOutput } from '../../replay/stagedOutput.ts';
import { readSeries } from '../../market/barSource.ts';
import { DEFAULT_MAX_GAP_MS } from '../../market/gaps.ts';
import { bestYaml } from '../../optimize/bestYaml.ts';
import { OBJECTIVES, type Objective } from '../../optimize/objective.ts';
import { MAX_FOLDS, OptimizeInputError, runOptimize } from '../../optimize/optimizeRun.ts';
import { renderOptimizeHtml } from '../../optimize/reportHtml.ts';
import { TrialConfigError } from '../../optimize/searchSpace.ts';
import { loadConfigOption } from '../configArg.ts';
import { CliError, outputFailure } from '../errors.ts';
import { writeErr, writeOut } from '../io.ts';
import { readVersion } from '../version.ts';

interface OptimizeOptions {
  bars: string[];
  symbol?: string;
  entries?: string;
  entryEvery?: string;
  seed: string;
  trials: string;
  folds: string;
  objective: string;
  out?: string;
  workers: string;
  config?: string;
  balance: string;
  progress: boolean;
}

export const OPTIMIZE_FILES = ['best.yaml', 'report.json', 'report.html'] as const;

const collect = (v: string, prev: string[]) => [...prev, v];

function integer(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new CliError(`--${name} must be an integer between ${min} and ${max} (got "${v}")`);
  return n;
}

export function register(program: Command): void {
  program
    .command('optimize')
    .description(
      'search exit parameters (breakeven, partial, trail, gates, DTMS) over bar files and entries with walk-forward folds; write best.yaml, report.json and report.html',
    )
    .option('--bars <file>', 'bar file (any format replay reads; repeat for consecutive files)', collect, [])
    .option('--symbol <symbol>', 'the instrument the bars are for, as your broker spells it (e.g. XAUUSDc)')
    .option('--entries <file>', 'your entries (any format replay reads)')
    .option('--entry-every <n>', 'generate an entry every N bars (alternate sides from --seed)')
    .option('--seed <n>', 'seed of the generated entries and of the trials drawn', '1')
    .option('--trials <k>', 'configs drawn from the search space', '60')
    .option(
      '--folds <n>',
      `walk-forward folds: the bars split into N + 1 windows, each fold trains on one and tests on the next (1..${MAX_FOLDS})`,
      '3',
    )
    .option('--objective <name>', `what to maximise: ${OBJECTIVES.join(', ')}`, 'expectancy')
    .option('--out <dir>', 'output directory')
    .option('--workers <n>', 'threads replaying the trials', '2')
    .option('--config <file>', 'your Warden config (YAML or JSON): the baseline and the base of every trial')
    .option('--balance <amount>', 'starting balance of every replay', '10000')
    .option('--no-progress', 'no progress bar')
    .action(async (o: OptimizeOptions, cmd: Command) => {
      try {
        await optimizeAction(o, cmd);
      } catch (err) {
        throw outputFailure(err, (e) =>
          e instanceof ReplayInputError || e instanceof OptimizeInputError || e instanceof TrialConfigError
            ? new CliError(e.message)
            : null,
        );
      }
    });
}

/** The config file as written (what best.yaml builds on); {} without one. */
function configDocument(file: string | undefined): Record<string, unknown> {
  if (file === undefined) return {};
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const v: unknown =
    text.trim() === '' ? {} : file.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
async function optimizeAction(o: OptimizeOptions, cmd: Command): Promise<void> {
  if (o.bars.length === 0) throw new CliError('--bars FILE is required (repeat it for consecutive files)');
  if (o.symbol === undefined)
    throw new CliError('--symbol is required: the instrument the bars are for (e.g. XAUUSDc)');
  if (o.out === undefined) throw new CliError('--out DIR is required: where best.yaml, report.json and report.html go');
  if (o.entries !== undefined && o.entryEvery !== undefined)
    throw new CliError('use either --entries FILE or --entry-every N, not both');
  if (o.entries === undefined && o.entryEvery === undefined)
    throw new CliError(
      'entries are required: --entries FILE, or --entry-every N (generated; --seed S picks their sides)',
    );
  const objective = o.objective as Objective;
  if (!(OBJECTIVES as readonly string[]).includes(o.objective))
    throw new CliError(`--objective must be one of ${OBJECTIVES.join(', ')} (got "${o.objective}")`);
  const trials = integer('trials', o.trials, 1, 5000);
  const folds = integer('folds', o.folds, 1, MAX_FOLDS);
  const workers = integer('workers', o.workers, 1, 64);
  const seed = integer('seed', o.seed, 0, 2 ** 31);
  const balance = Number(o.balance);
  if (!(balance >= 1)) throw new CliError(`--balance must be a number of at least 1 (got "${o.balance}")`);

  const config = loadConfigOption(o.config);
  const doc = configDocument(o.config);
  const instrument = replayInstrument(config, o.symbol, true, {});
  const loaded = loadBarFiles(o.bars, { tz: barsTz(o.bars, o.entries, undefined), instrument });
  const series = readSeries(loaded.source);
  if (loaded.spreadless.length > 0) {
    const points = replayInstrumentRules(config, o.symbol, {}).defaultSpreadPoints;
    const files = loaded.spreadless.map((f) => f.file).join(', ');
    if (points === undefined)
      throw new CliError(
        `${files}: no spread in the data, and no instruments.${instrument.canonical}.defaultSpreadPoints to replay it with: set it in a config`,
      );
    const spread = Number((points * instrument.point).toFixed(instrument.digits + 2));
    fillSpreadless(series, loaded.spreadless, spread);
    writeErr(
      cmd,
      `warden: ${files}: no spreads in the data; replayed with the ${instrument.canonical} default, ${points} points (${spread})`,
    );
  }

  let entries: ReplayEntry[];
  let entriesSource: string;
  if (o.entries !== undefined) {
    let parsed;
    try {
      parsed = readEntriesFile(o.entries, instrument, config.symbols, {});
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === 'ENOENT')
        throw new CliError(`--entries ${o.entries}: no such file`);
      throw err;
    }
    if (parsed.errors.length > 0)
      throw new CliError(`${parsed.errors.length} bad row(s) in the entries file:\n${formatRowErrors(parsed.errors)}`);
    entries = parsed.entries;
    entriesSource = `file ${path.basename(o.entries)}`;
  } else {
    const every = integer('entry-every', o.entryEvery!, 1, 1e9);
    const volume = Number((instrument.minLot * 10).toFixed(8));
    entries = generateEntries(loaded.source, loaded.timeframe, { ...DEFAULT_GENERATED, every, seed, volume });
    entriesSource = `generated: every ${every} bars, seed ${seed}, alternate sides from a ${firstAlternateSide(seed)}, SL ${DEFAULT_GENERATED.slAtr} x ATR, TP ${DEFAULT_GENERATED.rr} x SL, ${volume} lots`;
  }

  const version = readVersion();
  const showProgress = o.progress && process.stderr.isTTY === true;
  const bar = showProgress
    ? new cliProgress.SingleBar(
        { format: 'optimize [{bar}] {percentage}% {value}/{total} bars replayed', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(1, 0);
  let report;
  try {
    report = await withStagedOutput(
      o.out,
      false,
      async (dir) => {
        const r = await runOptimize({
          doc,
          config,
          instrument,
          series,
          timeframe: loaded.timeframe,
          files: loaded.data.files,
          entries,
          entriesSource,
          broker: { accountMode: 'hedging', spreadPoints: 0, spreadMode: 'data' },
          startingBalance: balance,
          maxGapMs: DEFAULT_MAX_GAP_MS,
          trials,
          folds,
          objective,
          seed,
          workers,
          warmupBars: DEFAULT_GENERATED.warmupBars,
          version,
          onProgress: bar
            ? (done, total) => {
                bar.setTotal(Math.max(1, total));
                bar.update(done);
              }
            : undefined,
        });
        writeFileSync(
          path.join(dir, 'best.yaml'),
          bestYaml(doc, config, r, o.config === undefined ? 'the defaults' : path.basename(o.config)),
        );
        writeFileSync(path.join(dir, 'report.json'), `${JSON.stringify(r, null, 2)}\n`);
        writeFileSync(path.join(dir, 'report.html'), renderOptimizeHtml(r));
        return r;
      },
      OPTIMIZE_FILES,
    );
  } finally {
    bar?.stop();
  }
  for (const f of report.folds) {
    const s = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
    const p = f.pairedOutOfSample;
    writeOut(
      cmd,
      `fold ${f.fold + 1}: trial #${f.chosenTrial} in sample ${s(f.inSample.score)} (yours ${s(f.baseline.inSample.score)}), out of sample ${s(f.outOfSample.score)} (yours ${s(f.baseline.outOfSample.score)}); ` +
        `paired R out of sample ${p.mean === null ? 'n/a' : `${p.mean >= 0 ? '+' : ''}${p.mean.toFixed(3)} ± ${p.se?.toFixed(3) ?? 'n/a'}`} (n ${p.n})`,
    );
  }
  if (!report.best.beatsBaseline) {
    writeOut(
      cmd,
      `WARNING: no trial beat your config on the training windows (best mean ${report.best.meanTraining ?? 'n/a'} against yours ${report.best.baselineMeanTraining ?? 'n/a'}): keep yours; best.yaml says so too`,
    );
  }
  writeOut(
    cmd,
    `gap in - out of sample ${report.gap.gap === null ? 'n/a' : report.gap.gap.toFixed(3)}; PBO ${report.pbo.pbo ?? 'n/a'} (${report.pbo.configs} configs, ${report.pbo.splits} splits)`,
  );
  writeOut(cmd, `best.yaml (trial #${report.best.trial}), report.json and report.html in ${path.resolve(o.out)}`);
}
