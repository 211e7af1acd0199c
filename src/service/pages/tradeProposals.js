// A position's proposals in shadow on its page: each proposed change in plain terms, its what-if (the plan
// as it is against the plan with the change, on the same bars), and the trader's approve / reject.
import { $, esc, getJson, num, sendJson, signed, utc } from './common.js';

const PATCH_WORDS = {
  breakevenPct: (v) => `breakeven at ${v}% of the way to TP`,
  partialPct: (v) => `partial close at ${v}% of the way to TP`,
  partialClosePct: (v) => `partial closes ${v}% of the volume`,
  trailingEnabled: (v) => `trailing ${v ? 'on' : 'off'}`,
};
const patchWords = (patch) =>
  Object.entries(patch)
    .map(([k, v]) => (PATCH_WORDS[k] ? PATCH_WORDS[k](v) : `${k} ${v}`))
    .join(', ');
const outcomeWords = (o) =>
  `${signed(o.r, 2, ' R')} <span class="muted">(${esc(o.exitReason)}${o.open ? ', still open' : ''}; ${o.breakeven ? 'BE' : 'no BE'}, ${o.partial ? 'partial' : 'no partial'}, ${o.trailMoves} trail moves)</span>`;

/** One proposal in shadow: the change, who proposed it and why, its what-if, and the approve / reject buttons. */
export function proposalCard({ proposal: p, whatIf: w, whatIfUnavailable }) {
  const what = w
    ? `<dl class="fields"><dt>Plan as it is</dt><dd>${outcomeWords(w.current)}</dd><dt>With the change</dt><dd>${outcomeWords(w.proposed)}</dd><dt>Difference</dt><dd>${signed(w.differenceR, 2, ' R')} <span class="muted">on ${esc(w.bars)} bars to ${esc(utc(w.to))}</span></dd><dt>Actually</dt><dd>stop ${esc(num(w.actual.sl))}, volume ${esc(num(w.actual.volume))}, profit ${signed(w.actual.profit, 2)}</dd></dl>`
    : `<p class="muted">No what-if: ${esc(whatIfUnavailable ?? '')}</p>`;
  return `<div class="proposal" data-id="${esc(p.id)}"><p><strong>${esc(p.id)}</strong>: ${esc(patchWords(p.patch))} <span class="muted">· proposed by ${esc(p.proposedBy)} at ${esc(utc(p.createdAt))}</span></p><p class="muted">Why: ${esc(p.rationale)}</p>${what}<div class="buttons"><button type="button" class="approve" data-id="${esc(p.id)}">Approve</button><button type="button" class="reject" data-id="${esc(p.id)}">Reject</button></div></div>`;
}

/** The position's proposals in shadow, each with its what-if and the approve / reject buttons. */
export async function renderProposals(enc) {
  const list = (await getJson(`/api/proposals?status=shadow&ticket=${enc}`)).body;
  const panel = $('proposals');
  panel.hidden = list.length === 0;
  if (list.length === 0) {
    $('proposal-list').innerHTML = '';
    return;
  }
  const details = await Promise.all(
    list.map((p) => getJson(`/api/proposals/${encodeURIComponent(p.id)}`).then((r) => r.body)),
  );
  $('proposal-list').innerHTML = details.map(proposalCard).join('');
}

/**
 * The approve / reject buttons: each asks for a note (a rejection's reason is kept in the history) and
 * sends it through `act`, the page's one way to send an action and show its answer.
 */
export function wireProposalButtons(act) {
  $('proposal-list').addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('button[data-id]') : null;
    if (!b) return undefined;
    const id = b.dataset.id;
    const verb = b.classList.contains('approve') ? 'approve' : 'reject';
    const note = window.prompt(
      verb === 'approve'
        ? `Approve ${id}: a note for the history (optional)`
        : `Reject ${id}: why? (kept in the history)`,
      '',
    );
    if (note === null) return undefined;
    return act(verb === 'approve' ? `${id} approved` : `${id} rejected`, () =>
      sendJson('POST', `/api/proposals/${encodeURIComponent(id)}/${verb}`, { note: note.trim() }),
    );
  });
}
