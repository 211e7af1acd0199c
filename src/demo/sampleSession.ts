// The embedded default session: the exit engine on the seeded sample market, with demo positions
// opened every few hours and an in-memory broker applying the intents. It is what `npm start` runs
// until the service exists; every decision it prints comes from the same engine that runs live.
import type { WardenConfig } from '../config/schema.ts';
import { InstantBroker, type ClosedTrade } from '../brokers/instantBroker.ts';
import { instrumentFromConfig } from '../domain/instruments.ts';
import type { Intent, Position, Side } from '../domain/types.ts';
import { ExitEngine } from '../engine/exitEngine.ts';
import { DecisionJournal, explainDecision } from '../exits/decisionRecord.ts';
import { BREAKEVEN_DONE, type ExitPlan } from '../exits/exitPlan.ts';
import { generateSampleMarket, SAMPLE_SHAPES } from '../market/sampleMarket.ts';

export interface SampleSessionOptions {
  symbol: string;
  seed: number;
  bars: number;
  /** Open a demo position every this many bars after warm-up. */
  every: number;
}


export interface SampleSessionResult {
  lines: string[];
  trades: ClosedTrade[];
  plans: ExitPlan[];
  intents: Intent[];
  journal: DecisionJournal;
  summary: string[];
}

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

export function runSampleSession(config: WardenConfig, o: SampleSessionOptions): SampleSessionResult {
  const instrument = instrumentFromConfig(config, o.symbol);
  const shape = SAMPLE_SHAPES[instrument.canonical];
  if (!shape) throw new Error(`no sample market for ${instrument.canonical}: use one of ${Object.keys(SAMPLE_SHAPES).join(', ')}`);
  const { bars } = generateSampleMarket({ seed: o.seed, bars: o.bars, ...shape });
  const journal = new DecisionJournal();
  const engine = new ExitEngine(config, { baseTimeframe: 'M1', sink: journal });
  engine.addInstrument(instrument);
  const broker = new InstantBroker(instrument);
  const lines: string[] = [];
  const intents: Intent[] = [];
  const plans: ExitPlan[] = [];
  const warmup = Math.min(1500, Math.floor(o.bars / 3));
  const out: Intent[] = [];
  let n = 0;
  for (let i = 0; i < bars.length; i++) {
    const bar = bars[i]!;
    for (const t of broker.fillBar(bar)) {
      engine.untrack(t.position.id);
      lines.push(`${iso(bar.time)}  #${t.position.id} closed at ${t.reason.toUpperCase()} ${t.exitPrice} (profit ${t.profit.toFixed(2)})`);
    }
    out.length = 0;
    engine.onBar(o.symbol, bar, out);
    const spread = Number.isFinite(bar.spread) && bar.spread > 0 ? bar.spread : 0;
    for (const it of out) {
      intents.push(it);
      const answer = broker.apply(it, bar.close, bar.close + spread);
      engine.resolve(it.positionId, it.id, answer.outcome);
      const what = it.kind === 'move_stop' ? `SL ${it.oldSl ?? 'none'} -> ${it.newSl}` : `close ${it.volume} lots`;
      lines.push(`${iso(it.time)}  #${it.positionId} ${it.rule.padEnd(9)} ${what}  [${answer.outcome}${answer.outcome === 'rejected' ? `: ${answer.reason}` : ''}] ${it.reason}`);
    }
    if (i >= warmup && (i - warmup) % o.every === 0 && i < bars.length - o.every) {
      const f = engine.features(o.symbol);
      const side: Side = n % 2 === 0 ? 'buy' : 'sell';
      const s = side === 'buy' ? 1 : -1;
      const entry = side === 'buy' ? bar.close + spread : bar.close;
      const atr = f.atr > 0 ? f.atr : entry * 0.002;
      const p: Position = {
        id: String(1000 + ++n),
        symbol: o.symbol,
        side,
        volume: 0.1,
        entryPrice: entry,
        sl: Number((entry - s * 1.5 * atr).toFixed(shape.digits)),
        tp: Number((entry + s * 3 * atr).toFixed(shape.digits)),
        openTime: bar.time + 60_000,
        comment: n % 3 === 0 ? 'scalp' : '',
      };
      broker.add(p);
      const plan = engine.track(p, p.openTime);
      plans.push(plan);
      lines.push(`${iso(p.openTime)}  #${p.id} opened ${side} ${p.volume} ${o.symbol} at ${entry}, SL ${p.sl}, TP ${p.tp}: ${plan.tradeType} (${plan.tradeTypeReason}), breakeven ${plan.breakevenPct}%, partial ${plan.partialPct}%`);
    }
  }
  const trades = broker.closed;
  const reachedBe = plans.filter((p) => p.breakevenState === BREAKEVEN_DONE).length;
  const trailed = plans.filter((p) => p.trailingActive).length;
  const net = trades.reduce((a, t) => a + t.profit, 0);
  const wins = trades.filter((t) => t.profit > 0).length;
  const summary = [
    `sample market: ${o.symbol}, ${bars.length} M1 bars from ${iso(bars[0]!.time)} (seed ${o.seed})`,
    `positions: ${plans.length} opened, ${trades.length} closed (${trades.filter((t) => t.reason === 'tp').length} at TP, ${trades.filter((t) => t.reason === 'sl').length} at SL), ${broker.open.size} still open`,
    `intents: ${intents.length} (${intents.filter((i) => i.rule === 'breakeven').length} breakeven, ${intents.filter((i) => i.rule === 'partial').length} partial, ${intents.filter((i) => i.rule === 'trail').length} trail)`,
    `breakeven reached by ${reachedBe} of ${plans.length}; trailing started on ${trailed} of those`,
    `closed trades: ${wins} won, net profit ${net.toFixed(2)} (account currency units, contract size ${instrument.contractSize})`,
    `decision journal: ${journal.size} records kept (every intent and every change of a rule's outcome)`,
  ];
  return { lines, trades, plans, intents, journal, summary };
}

/** The last few journal records of a position, explained. */
export function explainPosition(result: SampleSessionResult, positionId: string, limit = 12): string[] {
  return result.journal.forPosition(positionId).slice(-limit).map(explainDecision);
}
