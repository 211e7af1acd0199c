// The zod schema of each record type the store keeps, that every row read back goes through
// (recordCodec.ts reads and writes them; the session's own state has its schemas in sessionRecords.ts).
//
// The schemas are checked against the TypeScript types at compile time (`satisfies`, and `allOf` for
// the string unions): a field or a reason added to ExitPlan, DecisionRecord or Intent without its
// schema here fails `tsc`, and stored data older than the change then needs a migration
// (sqliteMigrations.ts) rather than being misread.
import { z } from 'zod';
import type { ExitRule, Intent, IntentKind, Side } from '../domain/types.ts';
import type { DecisionOutcome, DecisionReason, DecisionRecord } from '../exits/decisionRecord.ts';
import type { ExitPlan, PendingIntent } from '../exits/exitPlan.ts';
import { legacyRuleSchema } from '../exits/legacyRule.ts';
import type { TradeType } from '../exits/tradeType.ts';
import { DTMS_ACTION_BITS, type DefensiveState, type DtmsActionKind, type DtmsState } from '../dtms/defensiveState.ts';
import type { TrackedSnapshot } from '../dtms/defendedPosition.ts';
import type { DtmsRegime, DtmsSession, DtmsStructure, DtmsVolatility } from '../dtms/regime.ts';
import type { DtmsConfluence, DtmsScore } from '../dtms/signalScore.ts';
import { TIMEFRAMES } from '../domain/types.ts';
import type {
  ClosedTrade,
  ClosedTradeDeal,
  ClosedTradeExit,
  ClosedTradeHedge,
  ClosedTradeSource,
  IntentStatus,
  StoredDefence,
  StoredLifetime,
} from './store.ts';

// The row readers take the codec with their schemas in one import from here.
export { decodeRecord, encodeRecord } from './recordCodec.ts';

/** `values` must list every member of the union T (a missing one is a compile error naming it). */
export function allOf<T extends string>() {
  return <const A extends readonly [T, ...T[]]>(
    values: A & ([Exclude<T, A[number]>] extends [never] ? unknown : { missing: Exclude<T, A[number]> }),
  ): A => values;
}

export const SIDES = allOf<Side>()(['buy', 'sell']);
const EXIT_RULES = allOf<ExitRule>()([
  'classify',
  'triggers',
  'breakeven',
  'partial',
  'trail',
  'dtms',
  'lifetime',
  'restore',
  'manual',
]);
const INTENT_KINDS = allOf<IntentKind>()(['move_stop', 'close_partial', 'close', 'open']);
const TRADE_TYPES = allOf<TradeType>()(['SCALP', 'INTRADAY', 'WEEKEND']);
const OUTCOMES = allOf<DecisionOutcome>()(['intent', 'wait', 'skip', 'done', 'info', 'shadow']);
const DTMS_STATES = allOf<DtmsState>()(['HEALTHY', 'WARNING_L1', 'WARNING_L2', 'HEDGED', 'RECOVERING', 'CLOSED']);
export const INTENT_STATUSES = allOf<IntentStatus>()(['pending', 'applied', 'rejected', 'unknown']);
const DTMS_ACTIONS = Object.keys(DTMS_ACTION_BITS) as [DtmsActionKind, ...DtmsActionKind[]];
const REASONS = allOf<DecisionReason>()([
  'disabled',
  'no_reference',
  'intent_in_flight',
  'trigger_not_reached',
  'intent_sent',
  'confirmed',
  'already_protected',
  'stops_level',
  'freeze_level',
  'not_tighter',
  'below_min_change',
  'atr_unavailable',
  'partial_below_min_lot',
  'remainder_below_min_lot',
  'after_breakeven',
  'breakeven_pending',
  'critical_gate_failed',
  'gate_no_data',
  'trailing_disabled',
  'classified',
  'triggers_set',
  'triggers_refreshed',
  'triggers_unchanged',
  'dtms_owns_stop',
  'dtms_transition',
  'dtms_hold',
  'dtms_action_skipped',
  'dtms_action_abandoned',
  'stop_to_dtms',
  'stop_to_exit_plan',
  'lifetime_started',
  'lifetime_ended',
  'ticket_reused',
  'open_time_unknown',
  'journal_conflict',
  'clock_jump',
  'stale_decision',
  'stop_cut_short',
  'not_sent_shadow',
  'promoted_to_live',
  'dtms_disabled',
  'dtms_enabled',
  'manual_change',
]);

/** A number field: every number, NaN and the infinities included (they mean "not known" in the state). */
export const num = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' });
export const str = z.string();
export const bool = z.boolean();
const reason = z.enum(REASONS);
const gate = z.union([z.literal(-1), z.literal(0), z.literal(1)]);

// ---- Schemas -----------------------------------------------------------------------------------------

const pendingIntentSchema = z.strictObject({
  id: str,
  kind: z.enum(INTENT_KINDS),
  rule: z.enum(EXIT_RULES),
  newSl: num,
  // Intents pending in a store older than this field: their old stop is not known.
  oldSl: num.nullable().default(null),
  volume: num,
  volumeBefore: num,
  time: num,
  targetId: str,
  comment: str,
  action: str,
}) satisfies z.ZodType<PendingIntent>;

export const exitPlanSchema = z.strictObject({
  positionId: str,
  ticket: str,
  symbol: str,
  canonical: str,
  side: z.enum(SIDES),
  entry: num,
  initialSl: num,
  initialVolume: num,
  closedVolume: num,
  risk: num,
  enabled: bool,
  tradeType: z.enum(TRADE_TYPES),
  tradeTypeConfidence: num,
  tradeTypeReason: str,
  // Plans stored before strategy templates have none.
  strategy: str.default(''),
  strategySource: z.enum(['', 'api', 'comment', 'config']).default(''),
  templateTrailingMultiplier: num.default(Number.NaN),
  templateBufferMultiplier: num.default(Number.NaN),
  trailTimeframe: z.union([z.literal(''), z.enum(TIMEFRAMES)]).default(''),
  baseBreakevenPct: num,
  // Plans stored before breakeven could be set in R keep their percent rule.
  breakevenR: num.default(NaN),
  basePartialPct: num,
  partialClosePct: num,
  breakevenPct: num,
  partialPct: num,
  triggerFactors: num,
  triggersAt: num,
  breakevenState: num,
  breakevenReason: z.union([reason, z.literal('')]),
  partialState: num,
  partialSkipReason: z.union([reason, z.literal('')]),
  trailingEnabled: bool,
  trailingActive: bool,
  trailNow: bool,
  trailingMultiplier: num,
  trailMoves: num,
  breakevenEpisode: num,
  partialEpisode: num,
  trailEpisode: num,
  // Plans stored before a cut-short stop move was put back: none is missing.
  restoreEpisode: num.default(0),
  restoreSl: num.default(Number.NaN),
  pending: pendingIntentSchema.nullable(),
  lastBreakeven: str,
  lastPartial: str,
  lastTrail: str,
  lastTriggers: str,
}) satisfies z.ZodType<ExitPlan>;

const defensiveStateSchema = z.strictObject({
  positionId: str,
  state: z.enum(DTMS_STATES),
  since: num,
  score: num,
  episode: num,
  actionsThisEpisode: num,
  flatTimerStart: num,
  recoveryTimerStart: num,
  ownsStop: bool,
  transitions: num,
}) satisfies z.ZodType<DefensiveState>;

const dtmsScoreSchema = z.strictObject({
  total: num,
  structure: num,
  vwapVolume: num,
  momentum: num,
  emaAlignment: num,
  deltaPressure: num,
  candleConviction: num,
  weightedStructure: num,
  weightedVwapVolume: num,
  weightedMomentum: num,
  weightedEmaAlignment: num,
  weightedDeltaPressure: num,
  weightedCandleConviction: num,
  knownLayers: num,
  // Absent in snapshots written before it was scored; recomputed at the next deep check.
  adverseLayers: num.default(0),
  structuralWarnings: num,
  vwapWarnings: num,
  momentumWarnings: num,
  vwapFlipAgainst: bool,
  volumeFlipAgainst: bool,
  confluence: z.enum(allOf<DtmsConfluence>()(['FAVOURABLE', 'ADVERSE', 'MIXED', 'NEUTRAL'])),
  confluenceRatio: num,
}) satisfies z.ZodType<DtmsScore>;

const dtmsRegimeSchema = z.strictObject({
  session: z.enum(allOf<DtmsSession>()(['ASIAN', 'LONDON', 'OVERLAP', 'NY'])),
  volatility: z.enum(allOf<DtmsVolatility>()(['LOW', 'NORMAL', 'HIGH'])),
  structure: z.enum(allOf<DtmsStructure>()(['RANGE', 'TREND'])),
}) satisfies z.ZodType<DtmsRegime>;

const trackedSnapshotSchema = z.strictObject({
  state: defensiveStateSchema,
  initialRisk: num,
  vwapCrosses: num,
  lastFast: num,
  lastDeep: num,
  cooldownUntil: num,
  closedVolume: num,
  hedgeId: str.nullable(),
  hedgeVolume: num,
  score: dtmsScoreSchema,
  regime: dtmsRegimeSchema.nullable(),
  checkedAt: num,
}) satisfies z.ZodType<TrackedSnapshot>;

export const storedDefenceSchema = z.strictObject({
  tracked: trackedSnapshotSchema,
  queue: z.array(z.enum(DTMS_ACTIONS)),
  attempts: num,
  lastRefusal: str,
  ownsStop: bool,
  // Absent in defences stored before a trader could take a position out of DTMS's hands: defended.
  disabled: z.strictObject({ at: num, reason: str }).nullable().default(null),
}) satisfies z.ZodType<StoredDefence>;

export const decisionRecordSchema = z.strictObject({
  time: num,
  positionId: str,
  symbol: str,
  side: z.enum(SIDES),
  rule: z.enum(EXIT_RULES),
  outcome: z.enum(OUTCOMES),
  reason,
  changed: bool,
  session: str,
  price: num,
  spread: num,
  progress: num,
  rAchieved: num,
  trigger: num,
  atr: num,
  distance: num,
  multiplier: num,
  threshold: num,
  oldSl: num,
  newSl: num,
  volume: num,
  intentId: str,
  criticalGate: gate,
  gateVolatility: gate,
  gateMtf: gate,
  gateRmag: gate,
  gateVwap: gate,
  gateHvn: gate,
  advisoryFailures: num,
  mtfAligned: num,
  rmag: num,
  vwapZone: num,
  hvnDistAtr: num,
  breakevenPct: num,
  partialPct: num,
  factors: num,
  baseBreakevenPct: num,
  basePartialPct: num,
  dtmsFrom: str,
  dtmsState: str,
  score: num,
  note: str,
}) satisfies z.ZodType<DecisionRecord>;

export const intentSchema = z.strictObject({
  id: str,
  positionId: str,
  symbol: str,
  kind: z.enum(INTENT_KINDS),
  rule: z.enum(EXIT_RULES),
  episode: num,
  newSl: num,
  oldSl: num.nullable(),
  volume: num,
  time: num,
  price: num,
  reason: str,
  targetId: str,
  side: z.enum(SIDES),
  comment: str,
  action: str,
}) satisfies z.ZodType<Intent>;

export const lifetimeSchema = z.strictObject({
  key: str,
  ticket: str,
  n: num,
  symbol: str,
  side: z.enum(SIDES),
  openTime: num,
  entryPrice: num,
  startedAt: num,
  endedAt: num.nullable(),
  endReason: str,
}) satisfies z.ZodType<StoredLifetime>;

export const CLOSED_TRADE_EXITS = allOf<ClosedTradeExit>()([
  'sl',
  'tp',
  'warden_close',
  'warden_partials',
  'dtms_close',
  'stop_out',
  'outside',
  'unknown',
]);
const CLOSED_TRADE_SOURCES = allOf<ClosedTradeSource>()(['venue', 'journal', 'decision', 'lifetime', 'plan', 'none']);
const source = z.enum(CLOSED_TRADE_SOURCES);
/** A finite number or null: a closed trade's figures are JSON as the API gives them, unknown is null. */
const fig = z.number().nullable();

const closedTradeDealSchema = z.strictObject({
  time: num,
  volume: num,
  price: num,
  profit: fig,
  by: z.enum(['sl', 'tp', 'stop_out', 'outside', 'unknown', 'warden', 'dtms']),
  intentId: str,
  partial: bool,
  from: source,
}) satisfies z.ZodType<ClosedTradeDeal>;

const closedTradeHedgeSchema = z.strictObject({
  ticket: str.nullable(),
  side: z.enum(SIDES),
  volume: num,
  openPrice: num,
  closePrice: fig,
  profit: fig,
  from: source,
}) satisfies z.ZodType<ClosedTradeHedge>;

export const planProposalSchema = z.strictObject({
  id: z.string(),
  lifetime: z.string(),
  ticket: z.string(),
  symbol: z.string(),
  patch: z.strictObject({
    breakevenPct: z.number().optional(),
    partialPct: z.number().optional(),
    partialClosePct: z.number().optional(),
    trailingEnabled: z.boolean().optional(),
  }),
  rationale: z.string(),
  proposedBy: z.string(),
  createdAt: z.number(),
  status: z.enum(['shadow', 'approved', 'rejected', 'void']),
  decidedAt: z.number().nullable(),
  decidedBy: z.string().nullable(),
  decisionNote: z.string(),
});

export const closedTradeSchema = z.strictObject({
  key: str,
  ticket: str,
  symbol: str,
  side: z.enum(SIDES),
  openTime: num,
  closeTime: num,
  entryPrice: num,
  volume: z.strictObject({ opened: fig, closed: fig, closedByWarden: num }),
  exitPrice: fig,
  exitReason: z.enum(CLOSED_TRADE_EXITS),
  realizedProfit: fig,
  partialsProfit: fig,
  hedgesProfit: fig,
  fees: fig,
  initialSl: fig,
  riskMoney: fig,
  r: fig,
  deals: z.array(closedTradeDealSchema),
  hedges: z.array(closedTradeHedgeSchema),
  sources: z.strictObject({
    entry: source,
    exit: source,
    realized: source,
    openTime: source,
    closeTime: source,
    initialSl: source,
  }),
  history: z.strictObject({
    venue: str,
    status: z.enum(['answered', 'no_history', 'unsupported', 'failed', 'pending']),
    attempts: num,
    error: str,
  }),
  notes: z.array(str),
  recordedAt: num,
}) satisfies z.ZodType<ClosedTrade>;

/** The legacy rule as `parseLegacyRule` returned it (its output is valid input of its own schema). */
export const storedLegacyRuleSchema = legacyRuleSchema;
export const notesSchema = z.array(z.string());
