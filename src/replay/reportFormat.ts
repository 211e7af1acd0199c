// report.html's text: HTML escaping, and numbers, money, counts, shares, volumes and times written the
// same on every machine (hand-made where toLocaleString would depend on the ICU build), so the page
// stays byte-stable; and the price decimals the page shows.
import type { BalanceGone, TradeChart, TradeRow } from './reportModel.ts';

const PRICE_DECIMALS_CAP = 6;
/** Share of the prices the chosen decimals must show exactly: a few computed values (averages)
 * must not force 6 decimals on every price of a 2-decimal instrument. */
const PRICE_DECIMALS_COVERAGE = 0.99;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and quoted attributes. */
export function escapeHtml(value: string): string {
  const out = String(value).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
  // A URL in the data (a comment, a path) is shown as text, never linked; breaking "://" keeps the
  // page free of any "http://" byte sequence, so "no external URL" stays checkable with a grep.
  return out.includes('://') ? out.replaceAll('://', '&#58;//') : out;
}

/** toFixed without "-0.00". */
export function fixed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return s.charCodeAt(0) === 45 && /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

export function num(v: number | null | undefined, decimals: number, none = 'n/a'): string {
  return v === null || v === undefined || !Number.isFinite(v) ? none : fixed(v, decimals);
}

/** Money with thousands separators, 2 decimals. Hand-made: toLocaleString depends on the ICU build. */
export function money(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const s = fixed(v, 2);
  const neg = s.startsWith('-');
  const [int = '', frac = ''] = (neg ? s.slice(1) : s).split('.');
  return `${neg ? '-' : ''}${int.replace(/\B(?=(\d{3})+$)/g, ',')}.${frac}`;
}

export function count(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v)).replace(/\B(?=(\d{3})+$)/g, ',') : 'n/a';
}

/** A 0..1 share as a percentage with one decimal. */
export function pct(share: number): string {
  return Number.isFinite(share) ? `${fixed(share * 100, 1)}%` : 'n/a';
}

export function volume(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toFixed(6))) : 'n/a';
}

const MAX_DATE_MS = 8.64e15;

export function validTime(t: number): boolean {
  return Number.isFinite(t) && Math.abs(t) <= MAX_DATE_MS;
}

/** ISO-8601 UTC, without milliseconds when they are zero (bar times never have any). */
export function iso(t: number): string {
  if (!validTime(t)) return 'n/a';
  const s = new Date(t).toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

/** "balance gone at <time>: replay stopped, N entries not taken" (the summary line and the page say it alike). */
export function balanceGoneText(b: BalanceGone): string {
  return `balance gone at ${iso(b.time)}: replay stopped, ${count(b.entriesNotTaken)} ${b.entriesNotTaken === 1 ? 'entry' : 'entries'} not taken`;
}

function decimalsOf(v: number): number {
  let s = Math.abs(v);
  for (let d = 0; d < PRICE_DECIMALS_CAP; d++) {
    // Relative tolerance absorbs binary noise (1.1 x 10 = 11.000000000000002).
    if (Math.abs(Math.round(s) - s) <= 1e-11 * Math.max(1, s)) return d;
    s *= 10;
  }
  return PRICE_DECIMALS_CAP;
}

/** A trade's R, MFE or MAE; null when unknown (no initial stop, or a report written before MFE/MAE existed). */
export const rOf = (v: number | null | undefined): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v;

/** Decimals that show (almost) every input price exactly; exit prices are volume-weighted and left out. */
export function priceDecimals(trades: readonly TradeRow[], charts: readonly TradeChart[]): number {
  const hist = new Array<number>(PRICE_DECIMALS_CAP + 1).fill(0);
  let n = 0;
  const add = (v: number | null | undefined): void => {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    const d = decimalsOf(v);
    hist[d] = (hist[d] ?? 0) + 1;
    n++;
  };
  for (const t of trades) {
    add(t.entryPrice);
    add(t.initialSl);
    add(t.tp);
  }
  for (const ch of charts) {
    add(ch.entry.price);
    add(ch.tp);
    for (const v of ch.high) add(v);
    for (const v of ch.low) add(v);
    for (const v of ch.close) add(v);
    for (const [, v] of ch.stopPath) add(v);
  }
  if (n === 0) return 2;
  const need = Math.ceil(n * PRICE_DECIMALS_COVERAGE);
  let seen = 0;
  for (let d = 0; d <= PRICE_DECIMALS_CAP; d++) {
    seen += hist[d] ?? 0;
    if (seen >= need) return d;
  }
  return PRICE_DECIMALS_CAP;
}

export function row(cells: readonly string[], tag = 'td'): string {
  return `<tr>${cells.map((x) => `<${tag}>${x}</${tag}>`).join('')}</tr>`;
}
