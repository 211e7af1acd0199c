// Several replays of the same bars and entries with different exit settings (an optimizer's books),
// played bar by bar together over one market: the features and DTMS's market layers are folded once
// per bar, by a market engine that manages no position, and every replay's engine reads them. Each
// replay gives exactly what runReplay gives for its input alone: at every bar the market takes the bar
// after the replays' entries and fills and before their evaluations, where each replay's own engine
// would have taken it. Measured here: the market is ~40% of a replay of generated M1 bars.
import { resolveAccountDefaults } from '../config/accountDefaults.ts';
import type { Bar, Intent } from '../domain/types.ts';
import { ExitEngine } from '../engine/exitEngine.ts';
import type { DecisionSink } from '../exits/decisionRecord.ts';
import { replaySteps, type ReplayInput, type ReplayResult } from './replaySession.ts';

/** The market engine manages no position: it records nothing. */
const NO_RECORDS: DecisionSink = { keepsUnchanged: false, record: () => {} };

/**
 * Plays `inputs` (one bar source each, over the same bars: the same file, the same spreads) in
 * lockstep. The results are in the order of `inputs`.
 */
export function replayInLockstep(inputs: readonly Omit<ReplayInput, 'market'>[]): ReplayResult[] {
  const first = inputs[0];
  if (first === undefined) return [];
  for (const inp of inputs) {
    if (inp.instrument.symbol !== first.instrument.symbol || inp.timeframe !== first.timeframe || inp.bars.length !== first.bars.length) {
      throw new Error('replayInLockstep: every replay must play the same bars (symbol, timeframe, length)');
    }
    if (inp.resume !== undefined || (inp.checkpointAt?.length ?? 0) > 0) throw new Error('replayInLockstep: checkpoints are not taken in lockstep');
  }
  const market = new ExitEngine(resolveAccountDefaults(first.config, { real: false }), { baseTimeframe: first.timeframe, sink: NO_RECORDS });
  market.addInstrument(first.instrument);
  const symbol = first.instrument.symbol;
  const steps = inputs.map((inp) => replaySteps({ ...inp, market }));
  const results: (ReplayResult | undefined)[] = inputs.map(() => undefined);
  const none: Intent[] = [];
  let live = steps.map((_, k) => k);
  while (live.length > 0) {
    // 1. Every replay up to its engine at this bar (one whose account went plays on to its end).
    let bar: Readonly<Bar> | null = null;
    const atFold: number[] = [];
    for (const k of live) {
      const r = steps[k]!.next();
      if (r.done) {
        results[k] = r.value;
        continue;
      }
      if (r.value.at !== 'before_fold') throw new Error('replayInLockstep: a replay is out of step');
      if (bar === null) bar = r.value.bar;
      else if (r.value.bar.time !== bar.time || r.value.bar.close !== bar.close || !Object.is(r.value.bar.spread, bar.spread)) {
        throw new Error('replayInLockstep: the replays play different bars (or spreads)');
      }
      atFold.push(k);
    }
    // 2. The market takes the bar (no position: nothing is evaluated, nothing recorded).
    if (bar !== null) market.onBar(symbol, bar as Bar, none);
    // 3. Every replay evaluates at the bar's close.
    const next: number[] = [];
    for (const k of atFold) {
      const r = steps[k]!.next();
      if (r.done) {
        results[k] = r.value;
        continue;
      }
      if (r.value.at !== 'bar_done') throw new Error('replayInLockstep: a replay is out of step');
      next.push(k);
    }
    live = next;
  }
  return results.map((r) => r!);
}
