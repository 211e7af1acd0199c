// The latest DTMS decisions over the account (/api/dtms/actions): transitions, actions, holds and
// hand-overs of the stop, with their reasons; refreshed when a DTMS decision is stored.
import { esc, getJson, live, num, showError, signed, stampUpdated, stateBadge, tradeHref, utc } from './common.js';

function row(d) {
  return `<tr data-ticket="${esc(d.positionId)}" data-reason="${esc(d.reason)}">
<td class="time" data-label="Time">${esc(utc(d.time))}</td>
<td data-label="Ticket"><a class="mono" href="${esc(tradeHref(d.positionId))}">${esc(d.positionId)}</a></td>
<td data-label="Symbol">${esc(d.symbol)}</td><td data-label="Outcome">${esc(d.outcome)}</td><td class="wide" data-label="Reason">${esc(d.reason)}</td>
<td data-label="State">${d.dtmsState ? stateBadge(d.dtmsState) : '<span class="muted">—</span>'}</td>
<td class="num" data-label="Score">${signed(d.score, 1)}</td>
<td class="num" data-label="Old SL">${esc(num(d.oldSl))}</td><td class="num" data-label="New SL">${esc(num(d.newSl))}</td><td class="num" data-label="Volume">${esc(num(d.volume))}</td>
<td class="note" data-label="Note">${esc(d.note)}</td></tr>`;
}

async function refresh() {
  const list = (await getJson('/api/dtms/actions?limit=100')).body;
  const rows = [...list].reverse();
  document.querySelector('#actions tbody').innerHTML =
    rows.length === 0 ? '<tr><td colspan="11" class="empty">No DTMS decision yet.</td></tr>' : rows.map(row).join('');
  document.getElementById('counts').textContent = `${rows.length} decision${rows.length === 1 ? '' : 's'}`;
  showError(null);
  stampUpdated();
}

live({ refresh, relevant: (type, data) => type === 'decision' && data.rule === 'dtms' });
