// A minimal in-memory broker for the demo, the benchmark and tests: positions on bar data, intents
// applied at once, stops and targets filled inside bars (the stop first when a bar touches both:
// the pessimistic rule). The full paper broker (hedging/netting, faults, finer-timeframe fills)
// comes with replay; this one validates intents the way a broker would and keeps closed trades.
import { isStepMultiple, isTighterStop } from '../domain/rounding.ts';
import type { Bar, Instrument, Intent, Position } from '../domain/types.ts';

export interface ClosedTrade {
  position: Position;
  initialVolume: number;
  exitTime: number;
  exitPrice: number;
  reason: 'sl' | 'tp';
  /** Profit in price units x lots x contract size, partial closes included. */
  profit: number;
}

export type BrokerAnswer = { outcome: 'applied' } | { outcome: 'rejected'; reason: string };

export class InstantBroker {
  readonly open = new Map<string, Position>();
  readonly closed: ClosedTrade[] = [];
  private readonly realized = new Map<string, number>();
  private readonly initial = new Map<string, number>();

  constructor(private readonly instrument: Instrument) {}

  add(p: Position): void {
    this.open.set(p.id, p);
    this.initial.set(p.id, p.volume);
    this.realized.set(p.id, 0);
  }

  /** Fills stops and targets touched by `bar`; returns the positions closed by it. */
  fillBar(bar: Bar): ClosedTrade[] {
    const spread = Number.isFinite(bar.spread) && bar.spread > 0 ? bar.spread : 0;
    const done: ClosedTrade[] = [];
    for (const p of this.open.values()) {
      const buy = p.side === 'buy';
      // A buy exits at the bid, a sell at the ask (bid + spread).
      const adverse = buy ? bar.low : bar.high + spread;
      const favourable = buy ? bar.high : bar.low + spread;
      const s = buy ? 1 : -1;
      let exit = NaN;
      let reason: 'sl' | 'tp' = 'sl';
      if (p.sl !== null && s * (adverse - p.sl) <= 0) {
        // Gapped through the stop: filled at the open, not at the stop.
        const openExit = buy ? bar.open : bar.open + spread;
        exit = s * (openExit - p.sl) <= 0 ? openExit : p.sl;
      } else if (p.tp !== null && s * (favourable - p.tp) >= 0) {
        exit = p.tp;
        reason = 'tp';
      }
      if (Number.isNaN(exit)) continue;
      const profit = this.realized.get(p.id)! + s * (exit - p.entryPrice) * p.volume * this.instrument.contractSize;
      const t: ClosedTrade = { position: p, initialVolume: this.initial.get(p.id)!, exitTime: bar.time, exitPrice: exit, reason, profit };
      done.push(t);
    }
    for (const t of done) {
      this.open.delete(t.position.id);
      this.closed.push(t);
    }
    return done;
  }

  /** Applies an intent at `bid`/`ask`, checking it the way a broker would. */
  apply(intent: Intent, bid: number, ask: number): BrokerAnswer {
    const p = this.open.get(intent.positionId);
    if (!p) return { outcome: 'rejected', reason: 'position not found' };
    const inst = this.instrument;
    if (intent.kind === 'move_stop') {
      if (!isStepMultiple(intent.newSl, inst.tickSize)) return { outcome: 'rejected', reason: 'invalid stops: not a tick multiple' };
      const gap = inst.stopsLevelPoints * inst.point;
      if (p.side === 'buy' ? intent.newSl > bid - gap : intent.newSl < ask + gap) return { outcome: 'rejected', reason: 'invalid stops: inside the stops level' };
      if (!isTighterStop(p.side, intent.newSl, p.sl)) return { outcome: 'rejected', reason: 'would loosen the stop' };
      p.sl = intent.newSl;
      return { outcome: 'applied' };
    }
    if (intent.kind === 'close_partial') {
      if (!isStepMultiple(intent.volume, inst.lotStep) || intent.volume < inst.minLot || p.volume - intent.volume < inst.minLot - 1e-9) {
        return { outcome: 'rejected', reason: 'invalid volume' };
      }
      const exit = p.side === 'buy' ? bid : ask;
      const s = p.side === 'buy' ? 1 : -1;
      this.realized.set(p.id, this.realized.get(p.id)! + s * (exit - p.entryPrice) * intent.volume * inst.contractSize);
      p.volume = Number((p.volume - intent.volume).toFixed(8));
      return { outcome: 'applied' };
    }
    return { outcome: 'rejected', reason: `${intent.kind} not supported here` };
  }
}
