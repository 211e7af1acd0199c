// The words of a closed trade's page: where each figure came from, who moved its stop and how it closed.
import { esc } from './common.js';

const SOURCE_WORDS = {
  venue: "the venue's history",
  journal: "Warden's requests (the venue's fills)",
  decision: "the decision's price (no fill named)",
  lifetime: 'what Warden saw',
  plan: 'the exit plan',
  none: 'not known',
};
export const source = (s) => `<span class="source">${esc(SOURCE_WORDS[s] ?? s)}</span>`;
export const BY_WORDS = {
  sl: 'stop loss',
  tp: 'take profit',
  stop_out: 'stop-out',
  outside: 'outside Warden',
  unknown: 'unknown',
  warden: 'Warden',
  dtms: 'DTMS',
};

export function exitWords(t) {
  const how = {
    sl: 'by its stop loss',
    tp: 'by its take profit',
    warden_close: 'by Warden',
    warden_partials: "by Warden's partial closes",
    dtms_close: 'by DTMS',
    stop_out: 'by a stop-out',
    outside: 'outside Warden',
    unknown: 'how is not known',
  };
  return `closed ${how[t.exitReason] ?? t.exitReason}`;
}
