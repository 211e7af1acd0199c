// Several replays of the same bars and entries with different exit settings (an optimizer's books),
// played bar by bar together over one market: the features and DTMS's market layers are folded once
// per bar, by a market engine that manages no position, and every replay's engine reads them. Each
// replay gives exactly what runReplay gives for its input alone: at every bar the market takes the bar
// after the replays' entries and fills and before their evaluations, where each replay's own engine
// would have taken it. Measured here (generated M1 bars, the default config): a book costs 0.45 µs a
// bar alone and 0.2 µs a bar with 24 books over one market.
import { resolveAccountDefaults } from '../config/accountDefaults.ts';
import type { Bar, Intent } from '../domain/types.ts';
import { ExitEngine } from '../engine/exitEngine.ts';
import type { DecisionSink } from '../exits/decisionRecord.ts';
import { openReplay, type ReplayInput, type ReplayPlay, type ReplayResult } from './replaySession.ts';

/** The market engine manages no position: it records nothing. */
const NO_RECORDS: DecisionSink = { keepsUnchanged: false, record: () => {} };

/**
 * Plays `inputs` (over the same bars: the first input's bar source is read, once) in lockstep. The
 * results are in the order of `inputs`.
 */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
export function replayInLockstep(inputs: readonly Omit<ReplayInput, 'market'>[]): ReplayResult[] {
  const first = inputs[0];
  if (first === undefined) return [];
  for (const inp of inputs) {
    if (
      inp.instrument.symbol !== first.instrument.symbol ||
      inp.timeframe !== first.timeframe ||
      inp.bars.length !== first.bars.length
    ) {
      throw new Error('replayInLockstep: every replay must play the same bars (symbol, timeframe, length)');
    }
    if (
      inp.broker.spreadMode !== first.broker.spreadMode ||
      (inp.broker.spreadPoints ?? 0) !== (first.broker.spreadPoints ?? 0)
    ) {
      throw new Error('replayInLockstep: every replay must quote the same spreads');
    }
    if (inp.resume !== undefined || (inp.checkpointAt?.length ?? 0) > 0)
      throw new Error('replayInLockstep: checkpoints are not taken in lockstep');
  }
  const market = new ExitEngine(resolveAccountDefaults(first.config, { real: false }), {
    baseTimeframe: first.timeframe,
    sink: NO_RECORDS,
  });
  market.addInstrument(first.instrument);
  const symbol = first.instrument.symbol;
  const plays: ReplayPlay[] = [];
  const due: ReplayPlay[] = [];
  const none: Intent[] = [];
  const cursor = first.bars.open();
  try {
    for (const inp of inputs) plays.push(openReplay({ ...inp, market }));
    let offset = 0;
    for (let chunk = cursor.next(); chunk !== null; chunk = cursor.next()) {
      for (let j = 0; j < chunk.length; j++) {
        const i = offset + j;
        // 1. Every replay up to its engine at this bar (entries, fills; one whose account went only notes the bar).
        due.length = 0;
        for (let k = 0; k < plays.length; k++) if (plays[k]!.beforeFold(i, chunk, j)) due.push(plays[k]!);
        if (due.length === 0) continue;
        // 2. The market takes the bar (no position: nothing is evaluated, nothing recorded).
        market.onBar(symbol, due[0]!.bar as Bar, none);
        // 3. Every replay evaluates at the bar's close.
        for (let k = 0; k < due.length; k++) due[k]!.afterFold(i);
      }
      offset += chunk.length;
    }
  } finally {
    cursor.close();
    for (const p of plays) p.release();
  }
  return plays.map((p) => p.finish());
}
