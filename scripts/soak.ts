// The long live soak (test/soak/): `warden serve` in a child process through the real adapters (ccxt over
// the fake Binance USD-M API, MetaApi over the fake SDK connection), fed real M1 bars from ../shared/data
// played fast, a trader's hand at the venue, SIGKILLs and restarts, and a share of the venue's write
// requests failing; every step checked. Prints the figures; exit code 1 when a check failed.
//
//   node --import tsx scripts/soak.ts [--venue binance|metaapi|both] [--days 5] [--kills 20] [--faults 0.1]
//                                     [--seed 1] [--data FILE] [--offset BARS] [--keep DIR] [--json]
//                                     [--kill-kinds after_write,before_write,mid_step,between_steps,during_start]
//                                     [--keep-going] (count violations instead of stopping at the first)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readUniformCsv } from '../src/market/uniformCsv.ts';
import { runSoak, SoakFailure, type SoakFigures } from '../test/soak/soakRun.ts';
import { KILL_KINDS, type KillKind } from '../test/soak/serveProcess.ts';

const { values } = parseArgs({
  options: {
    venue: { type: 'string', default: 'both' },
    days: { type: 'string', default: '5' },
    kills: { type: 'string', default: '20' },
    faults: { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '1' },
    data: { type: 'string', default: resolve(process.cwd(), '../shared/data/xauusd_oanda_m1_2014-05.csv') },
    offset: { type: 'string', default: '0' },
    history: { type: 'string', default: '1000' },
    poll: { type: 'string', default: '0.02' },
    keep: { type: 'string' },
    json: { type: 'boolean', default: false },
    'keep-going': { type: 'boolean', default: false },
    'kill-kinds': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const number = (name: string, v: string | undefined, min: number, max: number): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number within ${min}..${max}, got ${String(v)}`);
    process.exit(2);
  }
  return n;
};

const days = number('days', values.days, 0.01, 60);
const kills = Math.round(number('kills', values.kills, 0, 1000));
const faultRate = number('faults', values.faults, 0, 0.9);
const seed = Math.round(number('seed', values.seed, 0, 2 ** 31));
const offset = Math.round(number('offset', values.offset, 0, 10_000_000));
const historyBars = Math.round(number('history', values.history, 100, 1500));
const pollSec = number('poll', values.poll, 0.01, 5);
const killKinds = values['kill-kinds'] === undefined ? undefined : (values['kill-kinds'].split(',') as KillKind[]);
if (killKinds?.some((k) => !KILL_KINDS.includes(k))) {
  console.error(`--kill-kinds takes a comma-separated list of ${KILL_KINDS.join(', ')}`);
  process.exit(2);
}
const venues =
  values.venue === 'both'
    ? (['binance', 'metaapi'] as const)
    : values.venue === 'binance' || values.venue === 'metaapi'
      ? ([values.venue] as const)
      : null;
if (venues === null) {
  console.error(`--venue must be binance, metaapi or both, got ${String(values.venue)}`);
  process.exit(2);
}

const { bars: all, errors } = readUniformCsv(values.data!);
if (errors.length > 0) {
  console.error(`${values.data}: ${errors.length} bad rows, first: line ${errors[0]!.line}: ${errors[0]!.reason}`);
  process.exit(2);
}
const playBars = Math.ceil(days * 1440);
const bars = all.slice(offset);
if (bars.length < historyBars + playBars) {
  console.error(
    `${values.data} from bar ${offset} has ${bars.length} bars; ${historyBars} history + ${playBars} to play (${days} days) are needed`,
  );
  process.exit(2);
}

const fmt = (f: SoakFigures, seconds: number): string => {
  const kv = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const i = f.intents;
  return [
    `== ${f.venue}`,
    `bars played       ${f.barsPlayed} M1 bars (${(f.marketMinutes / 1440).toFixed(2)} days of bars; ${f.from} .. ${f.to}, ${(f.marketSpanMs / 86_400_000).toFixed(2)} days on the clock)`,
    `steps             ${f.steps} finished by Warden`,
    `kills / restarts  ${f.killsTotal} SIGKILLs (${kv(f.kills)}); ${f.restarts} restarts; clean stop exit code ${f.cleanStopExitCode}`,
    `requests          ${f.requests} to the venue, ${f.writes} writes`,
    `faults injected   ${f.faultsTotal} (${kv(f.faults)})`,
    `intents           ${i.journaled} journaled: ${i.applied} applied, ${i.rejected} rejected, ${i.stillOpen} unsettled; by kind: ${kv(i.byKind)}`,
    `reconciled        ${i.reconciled.afterUnknown} after an unknown answer, ${i.reconciled.atStart} at a start, ${i.reconciled.asPositionLeft} as the position left, ${i.reconciled.other} other; ${i.reconciledApplied} of them found applied`,
    `lifetimes         ${f.lifetimes.total} lifetimes (${f.lifetimes.reusedTicket} on a ticket used before) for ${f.lifetimes.venuePositions} venue positions`,
    `trader            ${f.trader.opens} opens (${f.trader.reopens} reopens of the same side, ${f.trader.reopensBetweenLooks} between two looks), ${f.trader.closes} closes, ${f.trader.stopMoves} stop moves by hand (${f.trader.refused} refused); ${f.exitsFilled} stops/targets filled by the market`,
    `checks run        ${f.checksTotal} (${kv(f.checks)})`,
    `violations        ${f.violations.length}`,
    ...f.violations.slice(0, 40).map((v) => `  [${v.check}] step ${v.step}: ${v.message}`),
    `time taken        ${seconds.toFixed(1)} s`,
  ].join('\n');
};

let failed = false;
const results: { figures: SoakFigures; seconds: number }[] = [];
for (const [k, venue] of venues.entries()) {
  const dir = values.keep ? resolve(values.keep, venue) : mkdtempSync(join(tmpdir(), `warden-soak-${venue}-`));
  // Scripts may time themselves; the figures say how long the run took.
  const t0 = performance.now();
  let figures: SoakFigures;
  try {
    figures = await runSoak({
      venue,
      bars,
      historyBars,
      playBars,
      kills,
      faultRate,
      seed: seed + k,
      dir,
      pollSec,
      stopOnViolation: !values['keep-going'],
      ...(killKinds ? { killKinds } : {}),
      progress: (line) => console.error(line),
      ...(values.verbose ? { onChildLog: (line: string) => console.error(`  [serve] ${line}`) } : {}),
    });
  } catch (err) {
    if (!(err instanceof SoakFailure)) throw err;
    console.error(err.message);
    figures = err.figures;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (figures.violations.length > 0) failed = true;
  results.push({ figures, seconds });
  console.log(values.json ? JSON.stringify({ ...figures, seconds }) : fmt(figures, seconds));
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
