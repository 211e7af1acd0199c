// Partial profit: at partial % progress, close partial-close % of the ORIGINAL
// volume, rounded down to the lot step. If the close or the remainder would be below the minimum
// lot, the skip is recorded once with its reason and not retried every tick.
import type { Instrument, Intent, Position } from '../domain/types.ts';
import { roundVolumeDown } from '../domain/rounding.ts';
import { beginRecord, emitRecord, repeatsDropped, sendIntent, type EvalContext } from './evalContext.ts';
import { PARTIAL_SKIPPED, type ExitPlan } from './exitPlan.ts';

/** Volume the partial would close, or the reason it cannot (pure). */
export function partialVolume(
  initialVolume: number,
  openVolume: number,
  closePct: number,
  inst: Instrument,
): { volume: number; skip: 'partial_below_min_lot' | 'remainder_below_min_lot' | null } {
  const volume = roundVolumeDown((initialVolume * closePct) / 100, inst.lotStep);
  if (volume < inst.minLot - 1e-9) return { volume, skip: 'partial_below_min_lot' };
  if (openVolume - volume < inst.minLot - 1e-9) return { volume, skip: 'remainder_below_min_lot' };
  return { volume, skip: null };
}

export function decidePartial(
  plan: ExitPlan,
  pos: Position,
  inst: Instrument,
  ctx: EvalContext,
  out: Intent[],
): boolean {
  const reached = ctx.progress >= plan.partialPct / 100;
  if (
    !reached &&
    repeatsDropped(ctx, plan.lastPartial, Number.isNaN(ctx.progress) ? 'no_reference' : 'trigger_not_reached')
  )
    return false;
  const record = beginRecord(ctx, plan, 'partial');
  record.trigger = plan.partialPct;
  if (!reached) {
    emitRecord(ctx, plan, 'wait', Number.isNaN(ctx.progress) ? 'no_reference' : 'trigger_not_reached');
    return false;
  }
  const v = partialVolume(plan.initialVolume, pos.volume, plan.partialClosePct, inst);
  record.volume = v.volume;
  if (v.skip !== null) {
    plan.partialState = PARTIAL_SKIPPED;
    plan.partialSkipReason = v.skip;
    emitRecord(ctx, plan, 'skip', v.skip);
    return false;
  }
  const reason = `partial ${plan.partialClosePct}% of ${plan.initialVolume} lots at ${(ctx.progress * 100).toFixed(1)}% progress (trigger ${plan.partialPct}%)`;
  sendIntent(ctx, plan, pos, out, 'close_partial', 'partial', plan.partialEpisode + 1, NaN, v.volume, reason);
  return true;
}
