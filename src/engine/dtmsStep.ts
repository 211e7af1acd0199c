// One defended position's DTMS step at an evaluation, taken before its exit plan's: the monitor's
// checks due (the account's losses feed the loss-limit rails), their records (holds, transitions), the
// stop's owner (the exit plan leaves a stop DTMS owns alone), and the next queued action's intent.
import type { Intent, Position } from '../domain/types.ts';
import type { EvalContext } from '../exits/evalContext.ts';
import { measurePosition, reconcilePending } from '../exits/evaluateExitPlan.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import {
  recordHold,
  recordOwnership,
  sendDefensiveIntent,
  takeTransition,
  type Defence,
} from '../dtms/defensiveIntents.ts';
import type { AccountRisk, DefensiveDecision, DefensiveHold, DefensiveMonitor } from '../dtms/defensiveMonitor.ts';

export class DtmsStep {
  /** The checks' output, emptied at each step (no allocation per evaluation). */
  private readonly decisions: DefensiveDecision[] = [];
  private readonly holds: DefensiveHold[] = [];

  constructor(
    private readonly monitor: DefensiveMonitor,
    private readonly ctx: EvalContext,
  ) {}

  /** The step for `position` under `plan` at the context's time and quote; its intent (if any) is appended to `out`. */
  run(plan: ExitPlan, position: Position, def: Defence, risk: AccountRisk, out: Intent[]): void {
    const monitor = this.monitor;
    const decisions = this.decisions;
    const holds = this.holds;
    monitor.evaluateTracked(def.tracked, this.ctx.now, risk, decisions, holds);
    if (
      decisions.length === 0 &&
      holds.length === 0 &&
      def.queue.length === 0 &&
      def.ownsStop === def.tracked.state.ownsStop
    )
      return;
    const ctx = this.ctx;
    measurePosition(plan, position, ctx);
    for (let k = 0; k < holds.length; k++) recordHold(ctx, plan, def, holds[k]!);
    for (let k = 0; k < decisions.length; k++) takeTransition(ctx, plan, def, decisions[k]!);
    holds.length = 0;
    decisions.length = 0;
    recordOwnership(ctx, plan, def);
    if (def.queue.length > 0) {
      if (plan.pending !== null) reconcilePending(plan, position);
      sendDefensiveIntent(ctx, plan, position, def, monitor, out);
    }
  }
}
