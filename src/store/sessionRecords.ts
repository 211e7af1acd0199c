// The schemas of what the account session keeps across a restart: the positions it last saw, its hedges
// and orphaned hedges, the embedded paper account and its played market, shadow mode's would-be book,
// the process that owns the session, and its last health report. Like every record's schema
// (records.ts), each is checked against its TypeScript type at compile time.
import { z } from 'zod';
import { TIMEFRAMES, type Position } from '../domain/types.ts';
import type { OrphanHedge } from '../engine/hedgeBook.ts';
import type { ShadowBookSnapshot, ShadowExit, ShadowFill, ShadowPosition } from '../domain/shadowBookSnapshot.ts';
import type {
  BreakerHealth,
  FeaturesHealth,
  FeedHealth,
  HealthReport,
  HealthStatus,
  IntentHealth,
} from '../domain/health.ts';
import type { SessionOwner, StoredPaperAccount, StoredSessionState } from './store.ts';
import type { PaperBrokerSnapshot } from '../brokers/paperBroker.ts';
import { allOf, bool, num, SIDES, str } from './records.ts';

export const positionSchema = z.strictObject({
  id: str,
  ticket: str.optional(),
  account: str.optional(),
  symbol: str,
  side: z.enum(SIDES),
  volume: num,
  entryPrice: num,
  sl: num.nullable(),
  tp: num.nullable(),
  openTime: num,
  comment: str,
  strategyType: str.optional(),
}) satisfies z.ZodType<Position>;

const orphanHedgeSchema = z.strictObject({
  hedgeId: str,
  parentId: str,
  symbol: str,
  side: z.enum(SIDES),
  volume: num,
  pending: str,
  attempts: num,
}) satisfies z.ZodType<OrphanHedge>;

export const sessionStateSchema = z.strictObject({
  time: num,
  hedges: z.array(z.tuple([str, str])),
  orphans: z.array(orphanHedgeSchema),
  deepChecks: num,
}) satisfies z.ZodType<StoredSessionState>;

const paperBrokerSnapshotSchema = z.strictObject({
  nextTicket: num,
  quote: z.strictObject({ time: num, bid: num, ask: num }),
  book: z.array(
    z.strictObject({
      id: str,
      side: z.enum(SIDES),
      lots: num,
      entry: num,
      sl: num.nullable(),
      tp: num.nullable(),
      openTime: num,
      comment: str,
    }),
  ),
  realized: z.array(z.tuple([str, num])),
  appliedIds: z.array(str),
  audit: z.strictObject({
    requests: num,
    applied: num,
    duplicateIds: num,
    loosened: num,
    overClose: num,
    faults: z.strictObject({ reject: num, requote: num, timeout: num }),
  }),
  deals: z.array(
    z.strictObject({
      positionId: str,
      time: num,
      side: z.enum(SIDES),
      volume: num,
      price: num,
      reason: z.enum(['open', 'sl', 'tp', 'partial', 'close', 'net']),
      profit: num,
      requestId: str,
    }),
  ),
  faultState: num.nullable(),
}) satisfies z.ZodType<PaperBrokerSnapshot>;

export const paperAccountSchema = z.strictObject({
  account: z.strictObject({
    symbols: z.array(z.strictObject({ symbol: str, broker: paperBrokerSnapshotSchema, closedProfit: num })),
    // Absent in an account stored before it kept its money (PaperAccount.restore rebuilds it then).
    funds: z
      .strictObject({
        balance: num,
        currency: str,
        booked: z.array(z.strictObject({ time: num, symbol: str, profit: num, fees: num })),
      })
      .optional(),
  }),
  market: z.strictObject({
    seed: num,
    symbols: z.array(str),
    start: num,
    warmupMinutes: num,
    position: num,
    clock: num,
  }),
}) satisfies z.ZodType<StoredPaperAccount>;

const shadowExitSchema = z.strictObject({
  time: num,
  price: num,
  how: z.enum(['stop', 'target', 'close', 'promoted']),
  by: str,
}) satisfies z.ZodType<ShadowExit>;
const shadowFillSchema = z.strictObject({ time: num, volume: num, price: num }) satisfies z.ZodType<ShadowFill>;
const shadowPositionSchema = z.strictObject({
  ticket: str,
  symbol: str,
  side: z.enum(SIDES),
  entryPrice: num,
  openTime: num,
  virtual: z.boolean(),
  comment: str,
  initialSl: num.nullable(),
  initialVolume: num,
  risk: num,
  venueSl: num.nullable(),
  venueTp: num.nullable(),
  venueVolume: num,
  sl: num.nullable(),
  slBy: str,
  slAt: num,
  closed: z.array(shadowFillSchema),
  venueClosed: z.array(shadowFillSchema),
  decisions: num,
  shadowExit: shadowExitSchema.nullable(),
  actualExit: shadowExitSchema.nullable(),
  lastPrice: num,
  lastTime: num,
}) satisfies z.ZodType<ShadowPosition>;
/** Shadow mode's would-be positions and the symbols promoted to live. */
export const shadowBookSchema = z.strictObject({
  promoted: z.array(str),
  positions: z.array(shadowPositionSchema),
  virtualSeq: num,
}) satisfies z.ZodType<ShadowBookSnapshot>;

export const sessionOwnerSchema = z.strictObject({
  pid: num,
  host: str,
  startedAt: num,
}) satisfies z.ZodType<SessionOwner>;

const intentHealthSchema = z.strictObject({
  id: str,
  positionId: str,
  status: str,
  at: num,
  code: str.nullable(),
  reason: str,
}) satisfies z.ZodType<IntentHealth>;

export const healthReportSchema = z.strictObject({
  status: z.enum(allOf<HealthStatus>()(['healthy', 'degraded', 'idle'])),
  reasons: z.array(str),
  at: num,
  reportedAt: num,
  positions: num,
  hedges: num,
  breakers: z.array(
    z.strictObject({
      symbol: str,
      failures: num,
      openedAt: num,
      reopensAt: num,
      lastError: str,
    }) satisfies z.ZodType<BreakerHealth>,
  ),
  feeds: z.array(
    z.strictObject({ symbol: str, lastBarAt: num, ageMs: num, stale: bool }) satisfies z.ZodType<FeedHealth>,
  ),
  // Reports stored before features readiness was reported have none.
  features: z
    .array(
      z.strictObject({
        symbol: str,
        featuresReady: bool,
        missing: z.array(
          z.strictObject({ feature: str, timeframe: z.enum(TIMEFRAMES), barsNeeded: num, barsHave: num }),
        ),
      }) satisfies z.ZodType<FeaturesHealth>,
    )
    .default([]),
  unresolvedIntents: z.array(intentHealthSchema),
  recentRejections: z.array(intentHealthSchema),
  // Reports stored before the engine's lag was reported have none: no lag, no step time known.
  lag: z
    .strictObject({ lagMs: num, barsBehind: num, lastStepAt: num })
    .default({ lagMs: 0, barsBehind: 0, lastStepAt: Number.NaN }),
}) satisfies z.ZodType<HealthReport>;
