// DTMS's settings and counters (/api/dtms/engine): how often it checks, the score thresholds of its
// states, the safety rails, and how much it has done.
import { esc, getJson, live, showError, stampUpdated, yesNo } from './common.js';

/** What each threshold means, in the state machine's words (unknown keys are shown as they come). */
const THRESHOLDS = {
  warningL1: 'HEALTHY to WARNING_L1 at or below',
  healthyFromL1: 'WARNING_L1 back to HEALTHY at or above',
  warningL2: 'to WARNING_L2 at or below',
  l1FromL2: 'WARNING_L2 back to WARNING_L1 at or above',
  hedge: 'to HEDGED at or below',
  recover: 'HEDGED to RECOVERING at or above',
};

const duration = (sec) => (sec >= 60 && sec % 60 === 0 ? `${sec} s (${sec / 60} min)` : `${sec} s`);

function fields(id, rows) {
  document.getElementById(id).innerHTML = rows
    .map(([label, field, value]) => `<dt>${esc(label)}</dt><dd data-field="${esc(field)}">${esc(value)}</dd>`)
    .join('');
}

function render(e) {
  fields('f-cadence', [
    ['DTMS enabled', 'enabled', yesNo(e.enabled)],
    ['Deep check every', 'deepCheckSec', duration(e.deepCheckSec)],
    ['Fast check every', 'fastCheckSec', duration(e.fastCheckSec)],
    ['Fast check when hedged', 'hedgedFastCheckSec', duration(e.hedgedFastCheckSec)],
    ['Deep check brought forward, not within', 'cooldownSec', duration(e.cooldownSec)],
  ]);
  fields(
    'f-scores',
    Object.entries(e.scores).map(([key, value]) => [
      THRESHOLDS[key] ?? key,
      `scores.${key}`,
      value > 0 ? `+${value}` : String(value),
    ]),
  );
  const r = e.rails;
  fields('f-rails', [
    ['Daily realized loss limit', 'rails.dailyLossLimitPct', `${r.dailyLossLimitPct}%`],
    ['Hourly realized loss limit', 'rails.hourlyLossLimitPct', `${r.hourlyLossLimitPct}%`],
    ['No new risk after stops in a row', 'rails.maxConsecutiveStops', r.maxConsecutiveStops],
    ['Spread spike (x 5-day median)', 'rails.spreadSpikeFactor', `${r.spreadSpikeFactor}x`],
    ['Data stale after', 'rails.staleDataSec', duration(r.staleDataSec)],
    [
      "Today's realized loss now",
      'losses.dailyLossPct',
      `${e.losses.dailyLossPct}%${e.losses.dailyLossPct >= r.dailyLossLimitPct ? ' (limit reached: no new risk)' : ''}`,
    ],
    [
      "The last hour's realized loss now",
      'losses.hourlyLossPct',
      `${e.losses.hourlyLossPct}%${e.losses.hourlyLossPct >= r.hourlyLossLimitPct ? ' (limit reached: no new risk)' : ''}`,
    ],
    ['Losing stops in a row now', 'losses.consecutiveStops', e.losses.consecutiveStops],
  ]);
  fields('f-counters', [
    ['Deep checks run', 'deepChecks', e.deepChecks],
    ['Positions defended', 'positions', e.positions],
    ['Hedges open', 'hedges', e.hedges],
  ]);
}

async function refresh() {
  render((await getJson('/api/dtms/engine')).body);
  showError(null);
  stampUpdated();
}

live({ refresh, relevant: (type) => type === 'step' });
