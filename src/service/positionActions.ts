// The trader's actions on one managed position, shared by the HTTP API, the pages, the Telegram
// commands and agents (a ChatGPT action, an MCP server) so an action is the same whichever way it
// comes: the same checks, the same change made between two engine steps (AccountSession.act) and
// stored with its `manual` decision record, which says what changed, from what to what, and where the
// request came from.
import { z } from 'zod';
import { exitsSchema } from '../config/schema.ts';
import type { AccountSession } from '../execution/accountSession.ts';
import { BREAKEVEN_DONE, PARTIAL_DONE, type ExitPlan } from '../exits/exitPlan.ts';
import { adjustmentWords, triggerSteps } from '../exits/triggerSteps.ts';

/**
 * Where a manual action came from, as its record says it: 'page' (the dashboard), 'api' (a direct
 * call), 'telegram (chat 4242, user @trader)', 'mcp'. Never a secret.
 */
export type ManualSource = string;

/**
 * Turns the intelligent exits of the position managed under `ticket` on or off. Null when no position is
 * managed there; else whether this changed them (turning on exits that are on changes nothing, and
 * records nothing).
 */
export function switchExits(
  session: AccountSession,
  ticket: string,
  enabled: boolean,
  source: ManualSource,
): Promise<{ changed: boolean } | null> {
  return session.act(() => {
    const key = session.managedKey(ticket);
    const plan = key === undefined ? undefined : session.engine.plan(key);
    if (key === undefined || !plan) return null;
    const changed = plan.enabled !== enabled;
    if (changed)
      session.recordManual(
        key,
        `intelligent exits: ${plan.enabled ? 'on' : 'off'} -> ${enabled ? 'on' : 'off'}`,
        source,
      );
    plan.enabled = enabled;
    return { changed };
  });
}

/**
 * Starts ATR trailing now, before breakeven, for the position managed under `ticket` (the stop still
 * only tightens, within the broker's levels). Null when done, else the refusal: 404 none managed there,
 * 409 trailing is off in the config or for this position.
 */
export function startTrailing(
  session: AccountSession,
  ticket: string,
  source: ManualSource,
): Promise<[404 | 409, string] | null> {
  return session.act((): [404 | 409, string] | null => {
    const key = session.managedKey(ticket);
    const plan = key === undefined ? undefined : session.engine.plan(key);
    if (key === undefined || !plan) return [404, `no position ${ticket} under management`];
    if (!session.engine.config.exits.trailing.enabled)
      return [409, 'trailing is disabled in the config (exits.trailing.enabled)'];
    if (!plan.trailingEnabled)
      return [409, 'trailing is off for this position: turn it on first (PATCH its plan with trailingEnabled: true)'];
    if (!plan.trailNow) session.recordManual(key, 'trailing: waiting for breakeven -> started now', source);
    plan.trailNow = true;
    return null;
  });
}

/** A refusal: 404 no position managed under the ticket, 409 the change cannot apply to it now. */
export type ActionRefusal = [404 | 409, string];

// The config's own fields for a trade type's triggers (exits.tradeTypes.*): a trader's value is held to
// the range the config may hold (0 to 100), so a trigger beyond the target, which would never fire,
// cannot be set either way.
const tradeTypeFields = exitsSchema.unwrap().shape.tradeTypes.unwrap().shape.INTRADAY.shape;

/**
 * The plan fields a trader may set, as the API, the pages and the agents take them: the base triggers
 * (the advanced rules adjust from them), the partial's size, trailing on or off.
 */
export const planFields = {
  breakevenPct: tradeTypeFields.breakevenPct
    .optional()
    .describe(
      'base breakeven trigger, % of the way from entry to TP (of 2R without a TP); the advanced triggers adjust from it, and the answer says to what',
    ),
  partialPct: tradeTypeFields.partialPct
    .optional()
    .describe(
      "base partial-profit trigger, % of the way from entry to TP (of 2R without a TP), above breakeven's; the advanced triggers adjust from it",
    ),
  partialClosePct: tradeTypeFields.partialClosePct
    .optional()
    .describe("share of the position's starting volume the partial close takes, %"),
  trailingEnabled: z.boolean().optional().describe('ATR trailing on or off for this position'),
};

/** What a trader may change in a plan. */
export const planPatchSchema = z
  .strictObject(planFields)
  .refine(
    (p) => Object.keys(p).length > 0,
    'give at least one of breakevenPct, partialPct, partialClosePct, trailingEnabled',
  )
  .meta({ id: 'PlanPatch' });

export type PlanPatch = z.infer<typeof planPatchSchema>;

/** A trigger a change set: the trader's base, the value the engine uses now, and what moved it there. */
export interface TriggerChange {
  /** The base set, % of the way from entry to TP. */
  base: number;
  /** The trigger the engine uses now: the base as the advanced triggers adjust it, %. */
  effective: number;
  /** The rules that moved it from the base, in words; null when none did. */
  adjustedBy: string | null;
}

/** The triggers a change named (a field the change left out is absent). */
export interface PlanApplied {
  breakevenPct?: TriggerChange;
  partialPct?: TriggerChange;
}

/** Why a patch cannot apply to this plan now ('' when it can). */
export function patchProblem(plan: ExitPlan, p: PlanPatch): string {
  if (p.breakevenPct !== undefined && plan.breakevenState === BREAKEVEN_DONE)
    return 'breakeven is already done for this position: its trigger can no longer change';
  if ((p.partialPct !== undefined || p.partialClosePct !== undefined) && plan.partialState === PARTIAL_DONE)
    return 'the partial close is already done for this position';
  const be = p.breakevenPct ?? plan.baseBreakevenPct;
  const pa = p.partialPct ?? plan.basePartialPct;
  if (!(pa > be))
    return `partialPct (${pa}) must be above breakevenPct (${be}): the partial close comes after breakeven`;
  return '';
}

/** What a patch changes, in words with units ('' when it changes nothing): the `manual` record's text. */
export function patchChanges(plan: ExitPlan, p: PlanPatch): string {
  const out: string[] = [];
  if (p.breakevenPct !== undefined && p.breakevenPct !== plan.baseBreakevenPct) {
    out.push(
      `breakeven trigger: ${Number.isFinite(plan.breakevenR) ? `${plan.breakevenR} R` : `${plan.baseBreakevenPct}%`} -> ${p.breakevenPct}% of the way to TP`,
    );
  }
  if (p.partialPct !== undefined && p.partialPct !== plan.basePartialPct)
    out.push(`partial trigger: ${plan.basePartialPct}% -> ${p.partialPct}% of the way to TP`);
  if (p.partialClosePct !== undefined && p.partialClosePct !== plan.partialClosePct)
    out.push(`partial size: ${plan.partialClosePct}% -> ${p.partialClosePct}% of the volume`);
  if (p.trailingEnabled !== undefined && p.trailingEnabled !== plan.trailingEnabled)
    out.push(`trailing: ${plan.trailingEnabled ? 'on' : 'off'} -> ${p.trailingEnabled ? 'on' : 'off'}`);
  return out.join(', ');
}

/**
 * Changes the plan of the position managed under `ticket`: its base triggers, the partial's size,
 * trailing; recorded as a `manual` decision from `source`. 404 when no position is managed there, 409
 * when the change cannot apply now; else what became of each trigger set (applyPlanChange).
 */
export function changePlan(
  session: AccountSession,
  ticket: string,
  p: PlanPatch,
  source: ManualSource,
): Promise<ActionRefusal | { applied: PlanApplied }> {
  return session.act((): ActionRefusal | { applied: PlanApplied } => {
    const key = session.managedKey(ticket);
    const plan = key === undefined ? undefined : session.engine.plan(key);
    if (key === undefined || !plan) return [404, `no position ${ticket} under management`];
    const problem = patchProblem(plan, p);
    if (problem !== '') return [409, problem];
    const changes = patchChanges(plan, p);
    if (changes !== '') session.recordManual(key, `plan: ${changes}`, source);
    return { applied: applyPlanChange(session, key, plan, p) };
  });
}

/**
 * Applies a patch patchProblem allows to the plan managed under `key`, inside session.act (the caller
 * records the change). The advanced triggers are recomputed from the new base at once, with the
 * market as it is now (they are otherwise refreshed only every few minutes, and their rules set and
 * cap values rather than add to them, so the old adjustment carried over would be a number no rule
 * gives). Returns, for each trigger the patch named, its base, the value the engine uses now and the
 * rules that moved it. After breakeven (or with breakeven off in the config) the advanced triggers no
 * longer run: a new partial trigger then applies as given.
 */
export function applyPlanChange(session: AccountSession, key: string, plan: ExitPlan, p: PlanPatch): PlanApplied {
  if (p.breakevenPct !== undefined) {
    plan.baseBreakevenPct = p.breakevenPct;
    // The trader's percent replaces a breakeven set in R (exits.breakeven.atR) for this position.
    plan.breakevenR = NaN;
  }
  if (p.partialPct !== undefined) plan.basePartialPct = p.partialPct;
  if (p.partialClosePct !== undefined) plan.partialClosePct = p.partialClosePct;
  if (p.trailingEnabled !== undefined) plan.trailingEnabled = p.trailingEnabled;
  const applied: PlanApplied = {};
  if (p.breakevenPct === undefined && p.partialPct === undefined) return applied;

  const used = session.engine.refreshTriggers(key);
  if (!used) {
    // Not refreshed any more: the trader's value is the trigger (breakeven cannot change then: patchProblem refuses it).
    if (p.partialPct !== undefined) plan.partialPct = p.partialPct;
    if (p.breakevenPct !== undefined) plan.breakevenPct = p.breakevenPct;
  }
  const steps = used
    ? triggerSteps(plan.side, used.features, plan.baseBreakevenPct, plan.basePartialPct, used.triggers)
    : null;
  const words = (which: 'breakeven' | 'partial'): string | null =>
    used && steps ? adjustmentWords(steps[which], plan.side, used.features, used.triggers) : null;
  if (p.breakevenPct !== undefined)
    applied.breakevenPct = {
      base: plan.baseBreakevenPct,
      effective: plan.breakevenPct,
      adjustedBy: words('breakeven'),
    };
  if (p.partialPct !== undefined)
    applied.partialPct = { base: plan.basePartialPct, effective: plan.partialPct, adjustedBy: words('partial') };
  return applied;
}
