// Shadow mode (/api/shadow): the symbols shadowed and promoted, the totals (would-be against actual, in
// R, with the paired difference and its standard error), and every position the shadow book knows.
import { esc, getJson, live, num, showError, sideBadge, signed, stampUpdated, tradeHref, utc } from './common.js';

function exitText(e) {
  if (!e) return '<span class="muted">open</span>';
  return `${esc(e.how)} ${esc(num(e.price))} <span class="muted">(${esc(e.by)}, ${esc(utc(e.time))})</span>`;
}

function render(s) {
  const mode = document.getElementById('mode');
  if (s.mode === 'live') {
    mode.className = 'banner idle';
    mode.textContent =
      'This account is live: every decision is sent. Start Warden with --shadow (broker.mode: shadow) to watch it decide without acting.';
  } else {
    mode.className = 'banner notice';
    const promoted = s.promoted.length > 0 ? ` Promoted to live: ${s.promoted.join(', ')}.` : '';
    mode.textContent = `SHADOW MODE: nothing is sent for ${s.shadowed.join(', ') || 'no symbol'}.${promoted}`;
  }
  const t = s.totals;
  const diff =
    t.diffMeanR === null
      ? '—'
      : `${t.diffMeanR > 0 ? '+' : ''}${t.diffMeanR.toFixed(3)}${t.diffSeR === null ? '' : ` ± ${t.diffSeR.toFixed(3)}`} R${t.diffSeR !== null && Math.abs(t.diffMeanR) < t.diffSeR ? ' (within noise)' : ''}`;
  document.getElementById('totals').innerHTML = [
    ['Positions', t.positions],
    ['Ended (venue and shadow)', t.final],
    ['With would-be decisions', `${t.acted} (${t.decisions} decisions)`],
    ['Would-be mean R', t.shadowMeanR === null ? '—' : t.shadowMeanR.toFixed(3)],
    ['Actual mean R', t.actualMeanR === null ? '—' : t.actualMeanR.toFixed(3)],
    ['Would-be − actual', diff],
    ['Better / worse / same', `${t.better} / ${t.worse} / ${t.same}`],
  ]
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('');
  const body = document.querySelector('#shadow tbody');
  body.innerHTML =
    s.positions.length === 0
      ? '<tr><td colspan="10" class="empty">No position seen in shadow mode yet.</td></tr>'
      : s.positions
          .map(
            (p) => `<tr data-ticket="${esc(p.ticket)}">
<td class="c-ticket">${p.virtual ? `<span class="mono" title="a would-be DTMS hedge: the venue does not have it">${esc(p.ticket)}</span>` : `<a class="mono" href="${esc(tradeHref(p.ticket))}">${esc(p.ticket)}</a>`}</td>
<td>${esc(p.symbol)}</td><td>${sideBadge(p.side)}</td><td class="num">${esc(p.decisions)}</td>
<td class="num">${esc(num(p.wouldBeSl ?? p.venueSl))}</td><td class="num">${esc(num(p.venueSl))}</td>
<td class="num">${signed(p.shadowR, 2)}</td><td class="num">${p.virtual ? '<span class="muted">hedge</span>' : signed(p.actualR, 2)}</td>
<td>${exitText(p.shadowExit)}</td><td>${p.virtual ? '<span class="muted">—</span>' : exitText(p.actualExit)}</td>
</tr>`,
          )
          .join('');
}

async function refresh() {
  render((await getJson('/api/shadow')).body);
  showError(null);
  stampUpdated();
}

live({ refresh, relevant: (type) => type === 'step' });
