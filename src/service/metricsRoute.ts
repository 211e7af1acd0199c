// /metrics: the session's health and counters in Prometheus's text format, for a scraper.
import type { FastifyInstance } from 'fastify';
import type { AccountSession } from '../execution/accountSession.ts';
import { STEP_BUCKETS_MS } from '../execution/stepTimes.ts';

export interface MetricsSource {
  session: AccountSession;
  /** The journal's last seq (the decisions appended so far). */
  journalHead: () => number;
  /** Extra gauges (the engine loop's counters). */
  metrics?: () => Record<string, number>;
}

export function registerMetrics(app: FastifyInstance, o: MetricsSource): void {
  const { session } = o;
  app.get('/metrics', { schema: { hide: true } }, (_req, reply) => {
    const h = session.health();
    const lines = [
      '# HELP warden_positions Open positions under management.',
      '# TYPE warden_positions gauge',
      `warden_positions ${h.positions}`,
      '# HELP warden_hedges Open DTMS hedges.',
      '# TYPE warden_hedges gauge',
      `warden_hedges ${h.hedges}`,
      '# HELP warden_health 1 when healthy or idle, 0 when degraded.',
      '# TYPE warden_health gauge',
      `warden_health ${h.status === 'degraded' ? 0 : 1}`,
      '# HELP warden_engine_lag_seconds How long the oldest bar waiting to be stepped has waited.',
      '# TYPE warden_engine_lag_seconds gauge',
      `warden_engine_lag_seconds ${(h.lag.lagMs / 1000).toFixed(1)}`,
      '# HELP warden_breakers_open Feature circuit breakers open.',
      '# TYPE warden_breakers_open gauge',
      `warden_breakers_open ${h.breakers.length}`,
      '# HELP warden_unresolved_intents Intents not settled with the broker.',
      '# TYPE warden_unresolved_intents gauge',
      `warden_unresolved_intents ${h.unresolvedIntents.length}`,
      '# HELP warden_step_seconds How long the bar steps took (decide, journal, send, store), wall time, since start.',
      '# TYPE warden_step_seconds histogram',
      ...STEP_BUCKETS_MS.map(
        (ms, i) => `warden_step_seconds_bucket{le="${ms / 1000}"} ${session.stepTimes.buckets[i]}`,
      ),
      `warden_step_seconds_bucket{le="+Inf"} ${session.stepTimes.count}`,
      `warden_step_seconds_sum ${(session.stepTimes.sumMs / 1000).toFixed(6)}`,
      `warden_step_seconds_count ${session.stepTimes.count}`,
      '# HELP warden_step_recent_seconds The latest 2,048 bar steps, as quantiles.',
      '# TYPE warden_step_recent_seconds summary',
      `warden_step_recent_seconds{quantile="0.5"} ${seconds(session.stepTimes.quantile(0.5))}`,
      `warden_step_recent_seconds{quantile="0.99"} ${seconds(session.stepTimes.quantile(0.99))}`,
      '# HELP warden_decisions_total Decision records appended to the journal.',
      '# TYPE warden_decisions_total counter',
      // The journal's last seq: records are only appended, one seq each, so it counts them without
      // counting the table's rows (which reads all of them) on every scrape.
      `warden_decisions_total ${o.journalHead()}`,
      '# HELP warden_dtms_deep_checks_total DTMS deep checks run.',
      '# TYPE warden_dtms_deep_checks_total counter',
      `warden_dtms_deep_checks_total ${session.engine.deepChecks}`,
    ];
    for (const [k, v] of Object.entries(o.metrics?.() ?? {}))
      lines.push(`# TYPE warden_${k} gauge`, `warden_${k} ${v}`);
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(`${lines.join('\n')}\n`);
  });
}

/** Milliseconds as Prometheus seconds (NaN before any step, as Prometheus writes it). */
const seconds = (ms: number): string => (Number.isNaN(ms) ? 'NaN' : (ms / 1000).toFixed(6));
