// A trader's hands on a managed position, through the engine: putting its plan on another strategy
// template, asking for its advanced triggers now, and taking its defence out of DTMS's hands or giving it
// back. Each acts at the engine's clock on the symbol's latest features and quote, and is recorded as
// the engine records its own decisions.
import type { EngineConfig } from '../config/schema.ts';
import type { TriggerParams } from '../exits/advancedTriggers.ts';
import type { DecisionSink } from '../exits/decisionRecord.ts';
import {
  applyTriggers,
  BREAKEVEN_DONE,
  retemplatePlan,
  type RegisterContext,
  type RetemplateResult,
} from '../exits/exitPlan.ts';
import { lookUpStrategy, type StrategySource } from '../exits/strategyTemplates.ts';
import type { MarketFeatures } from '../features/snapshot.ts';
import type { Defence } from '../dtms/defensiveIntents.ts';
import type { DefensiveMonitor } from '../dtms/defensiveMonitor.ts';
import { defenceSwitchRecord, giveBackToDtms, takeOutOfDtmsHands, type DefenceSwitch } from './defenceSwitch.ts';
import type { PositionSlot, SymbolState } from './engineState.ts';

/**
 * Puts a managed position's plan on the strategy template `name` (a trader's choice through the API):
 * see retemplatePlan. The advanced triggers are worked out from the template's base on the symbol's
 * features now. Returns the change in words ('' when the plan had it already), or why not.
 */
export function putOnStrategy(
  slot: PositionSlot,
  sym: SymbolState,
  exits: EngineConfig['exits'],
  name: string,
  source: StrategySource,
  now: number,
  register: RegisterContext,
): RetemplateResult {
  const found = lookUpStrategy(exits, name);
  if (!found.ok) return found;
  sym.features.snapshot(sym.snapshot);
  return retemplatePlan(
    slot.plan,
    exits,
    found.name,
    found.template,
    source,
    sym.snapshot,
    sym.rules.triggers,
    now,
    register,
  );
}

/**
 * Recomputes the advanced triggers of the slot's plan from its base now, with the symbol's latest
 * features, as its next refresh would (and records the 'triggers' decision when they change): a trader
 * who sets a new base is answered with the trigger the engine uses from now on, not one that a refresh
 * minutes later replaces. Returns the features (a copy) and the rule parameters used, so the result can
 * be explained; null when the triggers are no longer refreshed for the plan (breakeven done, or off in
 * the config: evaluateExitPlan refreshes them only before breakeven).
 */
export function triggersNow(
  slot: PositionSlot,
  sym: SymbolState,
  exits: EngineConfig['exits'],
  now: number,
  register: RegisterContext,
): { features: MarketFeatures; triggers: TriggerParams } | null {
  if (slot.plan.breakevenState === BREAKEVEN_DONE || !exits.breakeven.enabled) return null;
  const f = sym.features.snapshot(sym.snapshot);
  applyTriggers(slot.plan, f, sym.rules.triggers, now, register, 'triggers_refreshed');
  return { features: { ...f }, triggers: sym.rules.triggers };
}

/** Where a trader's switch of a position's defence acts: the engine's DTMS, records and clock. */
export interface DefenceHands {
  monitor: DefensiveMonitor | null;
  sink: DecisionSink;
  now: number;
  /** The symbol the position is on (its last quote goes into the record). */
  symbolOf(slot: PositionSlot): SymbolState;
}

/**
 * Takes a position out of DTMS's hands (`enable` false) or gives it back (`enable` true): see
 * takeOutOfDtmsHands and giveBackToDtms. A switch made is recorded as a trader's decision, with the
 * trader's reason and, when given, where the request came from (`source`: page, api, telegram).
 */
export function switchDefence(
  hands: DefenceHands,
  slot: PositionSlot | undefined,
  positionId: string,
  enable: boolean,
  reason: string,
  source: string | undefined,
): DefenceSwitch {
  if (!slot) return { ok: false, problem: 'not_managed', message: `no position ${positionId} under management` };
  const monitor = hands.monitor;
  if (slot.defence === null || monitor === null)
    return {
      ok: false,
      problem: 'dtms_off',
      message: 'DTMS is off in the config (dtms.enabled): it defends no position',
    };
  const def: Defence = slot.defence;
  const answer = enable
    ? giveBackToDtms(def, slot.plan, monitor, positionId, reason, source, hands.now)
    : takeOutOfDtmsHands(def, slot.plan, slot.position, reason, source, hands.now);
  if (answer.ok) {
    const sym = hands.symbolOf(slot);
    hands.sink.record(
      defenceSwitchRecord(
        hands.now,
        slot.plan,
        slot.position,
        slot.defence,
        sym.lastBid,
        sym.lastAsk,
        enable ? 'dtms_enabled' : 'dtms_disabled',
        answer.note,
      ),
    );
  }
  return answer;
}
