// `warden replay`: the engine over recorded bars (or the sample market) with the paper broker;
// writes decisions.jsonl, report.json, trades.csv and report.html, and prints a one-line summary.
// `--compare A B ...` runs several configs on the same bars and entries and prints them side by side.
import path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { WardenConfig } from '../../config/schema.ts';
import type { AccountMode, IntrabarRule, PaperBrokerOptions } from '../../brokers/paperBroker.ts';
import {
  parseInstrumentFlag,
  replayInstrument,
  replayInstrumentRules,
  type InstrumentOverrides,
} from '../../replay/replayInstrument.ts';
import { DEFAULT_GENERATED, firstAlternateSide, generateEntries, type ReplayEntry } from '../../replay/entries.ts';
import { barsTz, readEntriesFile } from '../../replay/entries/readEntries.ts';
import {
  fillSpreadless,
  loadBarFiles,
  ReplayInputError,
  sampleBars,
  formatRowErrors,
  type LoadedBars,
  type SpreadlessFile,
} from '../../replay/replayInputs.ts';
import { compareTable, REPLAY_FILES, runReplayJob, summaryLine, type ReplayJob } from '../../replay/replayRun.ts';
import { replayRunKey } from '../../replay/runKey.ts';
import { withStagedOutput } from '../../replay/stagedOutput.ts';
import { StoreError, type WardenStore } from '../../store/store.ts';
import { TIMEFRAME_MS, TIMEFRAMES, type Instrument, type Timeframe } from '../../domain/types.ts';
import { readSeries, type BarSource } from '../../market/barSource.ts';
import { DEFAULT_MAX_GAP_MS } from '../../market/gaps.ts';
import { loadConfigOption } from '../configArg.ts';
import { CliError, outputFailure } from '../errors.ts';
import { clockOf, writeErr, writeOut } from '../io.ts';
import { readVersion } from '../version.ts';

interface ReplayOptions {
  bars: string[];
  symbol?: string;
  instrument?: string;
  entries?: string;
  entryEvery?: string;
  seed: string;
  side: string;
  slAtr: string;
  rr: string;
  volume?: string;
  atrTimeframe: string;
  warmup: string;
  config?: string;
  compare?: string[];
  out?: string;
  tz?: string;
  fillBars?: string;
  account: string;
  intrabar: string;
  spreadPoints?: string;
  fixedSpread?: boolean;
  faults: string;
  faultSeed: string;
  balance: string;
  maxGapHours: string;
  skipBadRows?: boolean;
  sample?: boolean;
  sampleBars: string;
  progress: boolean;
  store?: string;
  checkpointEvery?: string;
}

const DEFAULT_CHECKPOINT_EVERY = 20_000;

const collect = (v: string, prev: string[]) => [...prev, v];

function number(name: string, v: string, min: number, max = Infinity, integer = false): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new CliError(
      `--${name} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max} (got "${v}")`,
    );
  }
  return n;
}

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v))
    throw new CliError(`--${name} must be one of ${allowed.join(', ')} (got "${v}")`);
  return v as T;
}

/** A config file, or `defaults` for the built-in settings. */
export function loadConfigArg(file: string | undefined): WardenConfig {
  return loadConfigOption(file === 'defaults' ? undefined : file);
}

const configName = (file: string) =>
  file === 'defaults' ? 'defaults' : path.basename(file).replace(/\.(ya?ml|json)$/i, '');

export function register(program: Command): void {
  program
    .command('replay')
    .description(
      'replay recorded bars through the exit engine and the paper broker; write decisions.jsonl, report.json, trades.csv and report.html',
    )
    .option(
      '--bars <file>',
      'bar file: uniform CSV, MT5 "Export bars", MT5 copy_rates CSV or Binance klines (repeat for consecutive files)',
      collect,
      [],
    )
    .option('--symbol <symbol>', 'the instrument the bars are for, as your broker spells it (e.g. XAUUSDc)')
    .option(
      '--instrument <fields>',
      'the contract of a symbol the config does not know, or changes to a known one: key=value,... (tickSize, digits, lotStep, contractSize; also minLot, maxLot, stopsLevelPoints, freezeLevelPoints, crypto, defaultSpreadPoints)',
    )
    .option(
      '--entries <file>',
      'entries CSV (time,symbol,side,volume,sl,tp,comment), or your history: MT5 History report (HTML or XLSX), MT5 deals CSV, Binance trade history CSV; each opening opens at the next bar open',
    )
    .option('--entry-every <n>', 'generate an entry every N bars (sides from --side and --seed)')
    .option(
      '--seed <n>',
      'seed of the generated entries (random sides are drawn from it; alternate sides start with a buy for an odd seed, a sell for an even one) and of the sample market',
      '1',
    )
    .option(
      '--side <mode>',
      'generated entries: alternate (from the side --seed picks) or random (drawn from --seed)',
      'alternate',
    )
    .option('--sl-atr <k>', 'generated entries: SL = k x ATR', String(DEFAULT_GENERATED.slAtr))
    .option('--rr <x>', 'generated entries: TP = RR x SL distance', String(DEFAULT_GENERATED.rr))
    .option('--volume <lots>', 'generated entries: volume in lots (default: 10 x the minimum lot)')
    .option('--atr-timeframe <tf>', 'generated entries: timeframe of the ATR', DEFAULT_GENERATED.atrTimeframe)
    .option('--warmup <n>', 'generated entries: bars before the first entry', String(DEFAULT_GENERATED.warmupBars))
    .option('--config <file>', 'a Warden config file (YAML or JSON)')
    .option(
      '--compare <configs...>',
      'run each config (a file, or "defaults") on the same bars and entries; print the metrics side by side',
    )
    .option('--out <dir>', 'output directory')
    .option(
      '--tz <zone>',
      'time zone of MT5 server-time files: mt5-ny (UTC+2, UTC+3 while New York is on summer time: most MT5 servers), or an IANA zone such as Etc/GMT-3 (fixed UTC+3) or Europe/Athens',
    )
    .option('--fill-bars <file>', 'finer bars (e.g. M1 under H1) to decide which of SL/TP a bar touched first')
    .option('--account <mode>', 'hedging or netting', 'hedging')
    .option('--intrabar <rule>', 'when one bar touches SL and TP: stop_first, target_first or ohlc_path', 'stop_first')
    .option(
      '--spread-points <n>',
      "spread in points where the data has none: bars without one, and every bar of a file whose spreads are all 0 or missing (default there: the instrument's defaultSpreadPoints)",
    )
    .option('--fixed-spread', 'use --spread-points for every bar, ignoring the data')
    .option('--faults <rate>', 'share of broker requests that fail (reject, requote, timeout), 0..1', '0')
    .option('--fault-seed <n>', 'seed of the broker faults', '1')
    .option(
      '--balance <amount>',
      'starting balance for the equity curve and drawdown; the replay stops when the realized balance falls to 0 or below',
      '10000',
    )
    .option(
      '--max-gap-hours <h>',
      'a hole between bars longer than this is a data boundary: positions close before it, indicators restart after it',
      String(DEFAULT_MAX_GAP_MS / 3_600_000),
    )
    .option('--skip-bad-rows', 'replay without the bad rows of the bar files (they are listed)')
    .option('--sample', 'replay the generated sample market (trending, ranging and volatile stretches)')
    .option('--sample-bars <n>', 'M1 bars of the sample market', '30000')
    .option(
      '--store <file>',
      'a Warden store (SQLite): checkpoints saved there; a run killed part-way goes on from its last one when started again with the same arguments',
    )
    .option('--checkpoint-every <n>', `with --store: bars between checkpoints (default ${DEFAULT_CHECKPOINT_EVERY})`)
    .option('--no-progress', 'no progress bar')
    .action(async (o: ReplayOptions, cmd: Command) => {
      try {
        await replayAction(o, cmd);
      } catch (err) {
        throw outputFailure(err, (e) =>
          e instanceof ReplayInputError || e instanceof StoreError ? new CliError(e.message) : null,
        );
      }
    });
}

// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
async function replayAction(o: ReplayOptions, cmd: Command): Promise<void> {
  const symbol = o.symbol ?? (o.sample ? 'XAUUSDc' : undefined);
  if (symbol === undefined) throw new CliError('--symbol is required: the instrument the bars are for (e.g. XAUUSDc)');
  if (o.sample && o.bars.length > 0) throw new CliError('--sample replays the generated market: leave out --bars');
  if (!o.sample && o.bars.length === 0)
    throw new CliError('--bars FILE is required (or --sample for the generated market)');
  if (o.entries !== undefined && o.entryEvery !== undefined)
    throw new CliError('use either --entries FILE or --entry-every N, not both');
  if (o.config !== undefined && o.compare !== undefined)
    throw new CliError('--config and --compare exclude each other: list every config after --compare');
  if (o.compare === undefined && o.out === undefined)
    throw new CliError('--out DIR is required: where decisions.jsonl, report.json, trades.csv and report.html go');

  if (o.entries === undefined && o.entryEvery === undefined && !o.sample)
    throw new CliError(
      'entries are required: --entries FILE, or --entry-every N (generated; --seed S picks their sides, default 1)',
    );

  const configs = o.compare ?? [o.config ?? 'defaults'];
  if (o.compare !== undefined && o.compare.length < 2)
    throw new CliError('--compare needs at least two configs (a file, or "defaults")');
  const loaded = configs.map((c) => ({ name: configName(c), config: loadConfigArg(c) }));
  const names = loaded.map((l) => l.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new CliError(`--compare: two configs are named "${dup}"; give the files different names`);
  const base = loaded[0]!.config;

  const account = oneOf<AccountMode>('account', o.account, ['hedging', 'netting']);
  const overrides: InstrumentOverrides = o.instrument === undefined ? {} : parseInstrumentFlag(o.instrument);
  // Every config must know the instrument (with --compare too): refused before any bar is read.
  const instruments = loaded.map((l) => replayInstrument(l.config, symbol, account === 'hedging', overrides));
  const instrument = instruments[0]!;
  const seed = number('seed', o.seed, 0, 2 ** 31, true);

  let bars: LoadedBars & { fine?: BarSource | null; fineSpreadless?: SpreadlessFile | null };
  if (o.sample) bars = sampleBars(instrument, seed, number('sample-bars', o.sampleBars, 3000, 5_000_000, true));
  else
    bars = loadBarFiles(o.bars, {
      tz: barsTz(o.fillBars === undefined ? o.bars : [...o.bars, o.fillBars], o.entries, o.tz),
      instrument,
      skipBadRows: o.skipBadRows === true,
      fillFile: o.fillBars,
    });
  if (bars.skipped.length > 0)
    writeErr(cmd, `warden: skipped ${bars.skipped.length} bad row(s):\n${formatRowErrors(bars.skipped)}`);
  const spreadPoints = o.spreadPoints === undefined ? undefined : number('spread-points', o.spreadPoints, 0, 1e6);
  const defaultSpread = replayInstrumentRules(base, symbol, overrides).defaultSpreadPoints;
  if (o.fixedSpread && spreadPoints === undefined) {
    throw new CliError(
      `--fixed-spread uses --spread-points N for every bar: pass it${defaultSpread === undefined ? '' : ` (e.g. --spread-points ${defaultSpread}, the ${instrument.canonical} default)`}`,
    );
  }
  const spreadNote = o.fixedSpread ? null : spreadlessSpread(cmd, bars, instrument, spreadPoints, defaultSpread);

  const maxGapMs = number('max-gap-hours', o.maxGapHours, 1, 1e6) * 3_600_000;
  let entries: ReplayEntry[];
  let entriesSource: string;
  if (o.entries !== undefined) {
    let parsed;
    try {
      parsed = readEntriesFile(o.entries, instrument, base.symbols, { tz: o.tz });
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === 'ENOENT')
        throw new CliError(`${o.entries}: no such file`);
      throw err;
    }
    if (parsed.errors.length > 0)
      throw new CliError(`${parsed.errors.length} bad row(s) in the entries file:\n${formatRowErrors(parsed.errors)}`);
    entries = parsed.entries;
    entriesSource = `file ${path.basename(o.entries)}${parsed.about ? `: ${parsed.about}` : ''}`;
  } else {
    const every = o.entryEvery === undefined ? 240 : number('entry-every', o.entryEvery, 1, 1e9, true);
    const atrTimeframe = oneOf<Timeframe>('atr-timeframe', o.atrTimeframe, TIMEFRAMES);
    const volume =
      o.volume === undefined
        ? Number((instrument.minLot * 10).toFixed(8))
        : number('volume', o.volume, instrument.minLot, instrument.maxLot);
    const gen = {
      every,
      seed,
      side: oneOf<'alternate' | 'random'>('side', o.side, ['alternate', 'random']),
      slAtr: number('sl-atr', o.slAtr, 0.1, 50),
      rr: number('rr', o.rr, 0.1, 50),
      volume,
      atrTimeframe,
      warmupBars: number('warmup', o.warmup, 0, 1e9, true),
      maxGapMs,
    };
    entries = generateEntries(bars.source, bars.timeframe, gen);
    // ATR of a timeframe finer than the bars is not available: the bars' own timeframe is used.
    const atrTf = TIMEFRAME_MS[atrTimeframe] < TIMEFRAME_MS[bars.timeframe] ? bars.timeframe : atrTimeframe;
    entriesSource = `generated: every ${every} bars, seed ${seed}, ${gen.side === 'alternate' ? `alternate sides from a ${firstAlternateSide(seed)}` : 'random sides'}, SL ${gen.slAtr} x ATR(${atrTf}), TP ${gen.rr} x SL, ${volume} lots`;
  }

  const rate = number('faults', o.faults, 0, 1);
  const broker: Omit<PaperBrokerOptions, 'timeframeMs'> = {
    accountMode: account,
    intrabar: oneOf<IntrabarRule>('intrabar', o.intrabar, ['stop_first', 'target_first', 'ohlc_path']),
    spreadPoints: spreadPoints ?? 0,
    spreadMode: o.fixedSpread ? 'fixed' : 'data',
    ...(bars.fine ? { fineBars: bars.fine } : {}),
    ...(rate > 0 ? { faults: { rate, seed: number('fault-seed', o.faultSeed, 0, 2 ** 31, true) } } : {}),
  };
  const balance = number('balance', o.balance, 1);
  const version = readVersion();
  if (o.checkpointEvery !== undefined && o.store === undefined)
    throw new CliError('--checkpoint-every needs --store FILE (where the checkpoints go)');
  const checkpointEvery =
    o.checkpointEvery === undefined
      ? DEFAULT_CHECKPOINT_EVERY
      : number('checkpoint-every', o.checkpointEvery, 1, 1e9, true);
  // The store and the study page load only when asked for (--store, --compare): a plain replay starts without them.
  const store: WardenStore | null =
    o.store === undefined
      ? null
      : (await import('../../store/sqliteStore.ts')).openSqliteStore(o.store, {
          now: clockOf(cmd)(),
          createdBy: `warden ${version}`,
        });
  try {
    await replayRuns(o, cmd, {
      spreadNote,
      instruments,
      loaded,
      names,
      bars,
      entries,
      entriesSource,
      broker,
      balance,
      maxGapMs,
      version,
      store,
      checkpointEvery,
    });
  } finally {
    store?.close();
  }
}

interface ReplayRunsArgs {
  /** What the spread-less files were replayed with (report's broker summary), or null. */
  spreadNote: string | null;
  /** The instrument of each config, in the order of `loaded`. */
  instruments: Instrument[];
  loaded: { name: string; config: WardenConfig }[];
  names: string[];
  bars: LoadedBars;
  entries: ReplayEntry[];
  entriesSource: string;
  broker: Omit<PaperBrokerOptions, 'timeframeMs'>;
  balance: number;
  maxGapMs: number;
  version: string;
  store: WardenStore | null;
  checkpointEvery: number;
}

async function replayRuns(o: ReplayOptions, cmd: Command, a: ReplayRunsArgs): Promise<void> {
  const {
    spreadNote,
    instruments,
    loaded,
    names,
    bars,
    entries,
    entriesSource,
    broker,
    balance,
    maxGapMs,
    version,
    store,
    checkpointEvery,
  } = a;
  const showProgress = o.progress && process.stderr.isTTY === true;

  type Run = { name: string; run: Awaited<ReturnType<typeof runReplayJob>>; outDir: string | null };
  // `root`: the folder the files are written into (the staged one of --out), null for none.
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  const runAll = async (root: string | null): Promise<Run[]> => {
    // One after the other (each replay holds its own market state): the same order as the configs given.
    const results: Run[] = [];
    for (const [k, { name, config }] of loaded.entries()) {
      const finalDir = o.out === undefined ? null : o.compare !== undefined ? path.join(o.out, name) : o.out;
      const outDir = root === null ? null : o.compare !== undefined ? path.join(root, name) : root;
      const bar = showProgress
        ? new cliProgress.SingleBar(
            { format: `replay ${name} [{bar}] {percentage}% {value}/{total} bars`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      bar?.start(bars.source.length, 0);
      try {
        const inst = instruments[k]!;
        const job: ReplayJob = {
          config,
          instrument: inst,
          bars: bars.source,
          timeframe: bars.timeframe,
          data: bars.data,
          entries,
          entriesSource,
          broker,
          ...(spreadNote === null ? {} : { spreadNote }),
          startingBalance: balance,
          maxGapMs,
          outDir,
          version,
          onProgress: bar ? (done) => bar.update(done) : undefined,
        };
        if (store !== null && outDir !== null) {
          job.checkpoints = {
            store,
            // The key names the folder the files end up in, not the staged one they are written into.
            runKey: replayRunKey({ ...job, outDir: finalDir }),
            every: checkpointEvery,
            now: clockOf(cmd),
            onResume: (cp, total) =>
              writeOut(
                cmd,
                `${o.compare !== undefined ? `${name}: ` : ''}resuming from bar ${cp.next.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} (checkpoint saved at ${new Date(cp.savedAt).toISOString()})`,
              ),
          };
        }
        results.push({ name, run: await runReplayJob(job), outDir: finalDir });
      } finally {
        bar?.stop();
      }
    }
    // The paired comparison of these runs, as `warden study` draws it: one page beside the reports.
    if (o.compare !== undefined && root !== null) {
      // The page reads the open R of trades at given times: the bars are held in memory for it (--compare only).
      const { writeCompareStudyPage } = await import('../../study/study.ts');
      writeCompareStudyPage(root, {
        version,
        configs: loaded,
        reports: results.map((r) => r.run.report),
        entries,
        entriesSource,
        series: readSeries(bars.source),
        timeframe: bars.timeframe,
      });
    }
    return results;
  };
  // With --out, every file is written into a folder beside it and moved in once all are written: a
  // run that fails or is killed leaves the previous run's files whole. A resumable run (--store)
  // keeps that folder when it fails, to go on from it.
  const files =
    o.compare === undefined
      ? [...REPLAY_FILES]
      : [...names.flatMap((n) => REPLAY_FILES.map((f) => path.join(n, f))), 'study.html'];
  const results =
    o.out === undefined ? await runAll(null) : await withStagedOutput(o.out, store !== null, runAll, files);

  if (o.compare === undefined) {
    const r = results[0]!;
    writeOut(cmd, summaryLine(r.run.report, r.outDir ? path.resolve(r.outDir, 'report.html') : null));
    if (r.outDir)
      writeOut(cmd, `decisions.jsonl, report.json and trades.csv are beside it in ${path.resolve(r.outDir)}`);
    return;
  }
  writeOut(
    cmd,
    `${bars.data.files.join(', ')}: ${bars.source.length} ${bars.timeframe} bars, ${entries.length} entries (${entriesSource})`,
  );
  writeOut(
    cmd,
    compareTable(
      names,
      results.map((r) => r.run.report.metrics),
    ),
  );
  if (o.out !== undefined)
    writeOut(cmd, `reports: ${results.map((r) => path.resolve(r.outDir!, 'report.html')).join(', ')}`);
  if (o.out !== undefined) writeOut(cmd, `paired comparison: ${path.resolve(o.out, 'study.html')}`);
}

/**
 * Bar files without a single positive spread (MT5 exports often write 0) would replay every trade free
 * of costs. Their bars get --spread-points, or else the instrument's defaultSpreadPoints, with a loud
 * warning; with neither the replay is refused. Files with real spreads are left as they are. Returns
 * what the report's broker summary says about it (null: no such file).
 */
function spreadlessSpread(
  cmd: Command,
  bars: LoadedBars & { fine?: BarSource | null; fineSpreadless?: SpreadlessFile | null },
  inst: Instrument,
  given: number | undefined,
  fallback: number | undefined,
): string | null {
  const files = [...bars.spreadless, ...(bars.fineSpreadless ? [bars.fineSpreadless] : [])];
  if (files.length === 0) return null;
  const what = files
    .map((f) => `${f.file} (${f.spreads === 'zero' ? 'every spread is 0' : 'no row has a spread'})`)
    .join(', ');
  const points = given ?? fallback;
  if (points === undefined) {
    throw new CliError(
      `${what}: no spread to replay with, so every trade would be free of costs. Pass --spread-points N (your broker's usual spread in points of ${inst.point}), ` +
        `or set instruments.${inst.canonical}.defaultSpreadPoints in a config`,
    );
  }
  const spread = Number((points * inst.point).toFixed(inst.digits + 2));
  fillSpreadless(bars.source, bars.spreadless, spread);
  if (bars.fine && bars.fineSpreadless) fillSpreadless(bars.fine, [bars.fineSpreadless], spread);
  const source =
    given !== undefined
      ? '--spread-points'
      : `the ${inst.canonical} default, instruments.${inst.canonical}.defaultSpreadPoints`;
  writeErr(
    cmd,
    `warden: WARNING: ${what}: replayed as it is, every trade would be free of costs. ` +
      `Using ${points} points (${spread}) for ${files.length === 1 ? 'its' : 'their'} bars (${source})${given === undefined ? "; pass --spread-points N for your broker's spread" : ''}.`,
  );
  return `${files.map((f) => f.file).join(', ')}: no spreads in the data, ${points} points (${spread}) from ${source}`;
}
