// Is Warden doing its job right now? healthy / degraded / idle, with the reasons: open feature
// circuit breakers, stale feeds, features still warming up (where rules without data wait), intents whose outcome is still unknown, orders the broker refused
// lately, a store that cannot be written, a step that failed, an engine behind the market. A live
// session writes its report into the store with every step; `warden health` reads it, checks the
// journal afresh and judges by the time of the session's last completed step whether anything is
// still watching the positions (an API call that stores a change is not a step).
import type {
  BreakerHealth,
  EngineLagHealth,
  FeaturesHealth,
  FeedHealth,
  HealthReport,
  HealthStatus,
  IntentHealth,
} from '../domain/health.ts';
import { isWeekendWindow } from '../domain/sessions.ts';
import type { WardenStore } from '../store/store.ts';

// The live session (its own module's neighbour) and the server take the report's types from here with the functions.
export type { HealthReport, IntentHealth };

/** How far back refused intents count against health. */
export const REJECTION_WINDOW_MS = 15 * 60_000;

export interface HealthInputs {
  now: number;
  /** Wall-clock time of the report; default `now`. */
  reportedAt?: number;
  positions: number;
  hedges: number;
  breakers: BreakerHealth[];
  feeds: { symbol: string; lastBarAt: number; crypto: boolean }[];
  /** A feed is stale when its last bar closed longer ago than this. */
  staleAfterMs: number;
  features?: FeaturesHealth[];
  /** Features still warming up degrade (a real account, where a rule without data waits); else they are only listed. */
  featuresRequired?: boolean;
  unresolvedIntents: IntentHealth[];
  recentRejections: IntentHealth[];
  /** Problems the session found itself (the store, a failed step, lag), in words; each degrades. */
  problems?: string[];
  lag?: EngineLagHealth;
}

/**
 * The status from the facts. Idle: nothing under management and nothing unsettled. Degraded: an open
 * breaker, a stale feed (FX and metals are not stale over their weekend close), an unsettled intent
 * or a recent refusal. Healthy otherwise.
 */
export function assessHealth(h: HealthInputs): HealthReport {
  const reasons: string[] = [...(h.problems ?? [])];
  const feeds: FeedHealth[] = h.feeds.map((f) => {
    const ageMs = Number.isFinite(f.lastBarAt) ? Math.max(0, h.now - f.lastBarAt) : Number.POSITIVE_INFINITY;
    const closed = !f.crypto && isWeekendWindow(h.now);
    return { symbol: f.symbol, lastBarAt: f.lastBarAt, ageMs, stale: !closed && ageMs > h.staleAfterMs };
  });
  for (const b of h.breakers)
    reasons.push(
      `circuit breaker open for ${b.symbol} after ${b.failures} feature failures (${b.lastError}); last good values in use until ${new Date(b.reopensAt).toISOString()}`,
    );
  for (const f of feeds) {
    if (f.stale)
      reasons.push(
        Number.isFinite(f.lastBarAt)
          ? `feed ${f.symbol} is stale: last bar closed ${Math.round(f.ageMs / 1000)} s ago`
          : `feed ${f.symbol} has delivered no bar yet`,
      );
  }
  if (h.featuresRequired === true)
    for (const f of h.features ?? []) if (!f.featuresReady) reasons.push(featuresWarmingUp(f));
  if (h.unresolvedIntents.length > 0)
    reasons.push(
      `${h.unresolvedIntents.length} intent(s) not settled with the broker: ${h.unresolvedIntents.map((i) => `${i.id} (${i.status})`).join(', ')}`,
    );
  if (h.recentRejections.length > 0)
    reasons.push(
      `${h.recentRejections.length} intent(s) refused by the broker in the last ${REJECTION_WINDOW_MS / 60_000} min: ${h.recentRejections.map((i) => `${i.id} (${i.code ?? '?'} ${i.reason})`).join(', ')}`,
    );
  let status: HealthStatus;
  if (reasons.length > 0) status = 'degraded';
  else if (h.positions === 0 && h.hedges === 0) {
    status = 'idle';
    reasons.push('no open position under management');
  } else status = 'healthy';
  return {
    status,
    reasons,
    at: h.now,
    reportedAt: h.reportedAt ?? h.now,
    positions: h.positions,
    hedges: h.hedges,
    breakers: h.breakers,
    feeds,
    features: h.features ?? [],
    unresolvedIntents: h.unresolvedIntents,
    recentRejections: h.recentRejections,
    lag: h.lag ?? { lagMs: 0, barsBehind: 0, lastStepAt: Number.NaN },
  };
}

/** One line for a symbol whose features are not ready: `XAUUSD features warming up: missing ema200/rmag (M15 66/200), ...`. */
export function featuresWarmingUp(f: FeaturesHealth): string {
  return `${f.symbol} features warming up: missing ${f.missing.map((m) => `${m.feature} (${m.timeframe} ${m.barsHave}/${m.barsNeeded})`).join(', ')}`;
}

/**
 * Health as a store shows it (`warden health`): the last report a session wrote, with the journal's
 * unsettled intents read afresh. A report older than `silentAfterMs` while positions are managed means
 * nothing is watching them: degraded.
 */
export function healthFromStore(
  store: WardenStore,
  now: number,
  silentAfterMs: number,
): HealthReport & { reportAgeMs: number } {
  const last = store.health();
  const unresolved: IntentHealth[] = store.unresolvedIntents().map((i) => ({
    id: i.intent.id,
    positionId: i.intent.positionId,
    status: i.status,
    at: i.recordedAt,
    code: i.code,
    reason: i.reason,
  }));
  if (last === null) {
    const positions = store.positions().length;
    const reasons =
      positions > 0 || unresolved.length > 0
        ? ['no live session has reported to this store yet']
        : ['no live session has reported to this store yet; nothing under management'];
    if (unresolved.length > 0) reasons.push(`${unresolved.length} intent(s) not settled with the broker`);
    const status: HealthStatus = positions > 0 || unresolved.length > 0 ? 'degraded' : 'idle';
    return {
      status,
      reasons,
      at: now,
      reportedAt: now,
      positions,
      hedges: 0,
      breakers: [],
      feeds: [],
      features: [],
      unresolvedIntents: unresolved,
      recentRejections: [],
      lag: { lagMs: 0, barsBehind: 0, lastStepAt: Number.NaN },
      reportAgeMs: Number.POSITIVE_INFINITY,
    };
  }
  const reportAgeMs = Math.max(0, now - last.reportedAt);
  const reasons = last.reasons.filter((r) => !/not settled with the broker/.test(r));
  if (unresolved.length > 0)
    reasons.push(
      `${unresolved.length} intent(s) not settled with the broker: ${unresolved.map((i) => `${i.id} (${i.status})`).join(', ')}`,
    );
  // Judged by the last completed step, not by the last report: a report stored by an API call while
  // the engine loop stands still says nothing about the positions being watched.
  const lastStep = Number.isFinite(last.lag.lastStepAt) ? last.lag.lastStepAt : last.reportedAt;
  const quietMs = Math.max(0, now - lastStep);
  const silent = quietMs > silentAfterMs && (last.positions > 0 || last.hedges > 0);
  if (silent)
    reasons.push(
      `the session's last step ended ${Math.round(quietMs / 1000)} s ago: nothing is managing the ${last.positions} open position(s)`,
    );
  // What degraded the report, but for the intents (read afresh above), still stands.
  const stillDegraded = last.status === 'degraded' && last.reasons.some((r) => !/not settled with the broker/.test(r));
  const degraded = silent || unresolved.length > 0 || stillDegraded;
  const status: HealthStatus = degraded ? 'degraded' : last.status === 'degraded' ? 'healthy' : last.status;
  const kept = status === 'idle' ? reasons : reasons.filter((r) => r !== 'no open position under management');
  return { ...last, status, reasons: kept, unresolvedIntents: unresolved, reportAgeMs };
}
