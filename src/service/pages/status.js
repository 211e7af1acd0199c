// DTMS over the account (/api/dtms/status): whether it runs, positions per state, hedges, deep checks.
import { esc, getJson, live, showError, stampUpdated, stateBadge, yesNo } from './common.js';

/** The states in the order a defended trade goes through them. */
const STATES = ['HEALTHY', 'WARNING_L1', 'WARNING_L2', 'HEDGED', 'RECOVERING', 'CLOSED'];

function render(s) {
  document.getElementById('f-status').innerHTML = [
    ['DTMS enabled', 'enabled', yesNo(s.enabled)],
    ['Positions', 'positions', s.positions],
    ['Hedges open', 'hedges', s.hedges],
    ['Deep checks run', 'deepChecks', s.deepChecks],
  ]
    .map(([label, field, value]) => `<dt>${esc(label)}</dt><dd data-field="${esc(field)}">${esc(value)}</dd>`)
    .join('');
  const states = [
    ...STATES,
    ...Object.keys(s.byState)
      .filter((k) => !STATES.includes(k))
      .sort(),
  ];
  const most = Math.max(1, ...Object.values(s.byState));
  const body = document.querySelector('#states tbody');
  body.innerHTML = states
    .map((state) => {
      const n = s.byState[state] ?? 0;
      return `<tr data-state="${esc(state)}"><td>${stateBadge(state)}</td><td class="num count">${esc(n)}</td><td><div class="count-bar" data-width="${esc((n / most) * 100)}"></div></td></tr>`;
    })
    .join('');
  // Widths through the DOM: the CSP forbids inline style attributes.
  for (const bar of body.querySelectorAll('.count-bar')) bar.style.width = `${Number(bar.dataset.width)}%`;
}

async function refresh() {
  render((await getJson('/api/dtms/status')).body);
  showError(null);
  stampUpdated();
}

live({ refresh, relevant: (type) => type === 'step' });
