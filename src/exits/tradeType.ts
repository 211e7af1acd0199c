// Trade-type classifier: SCALP / INTRADAY / WEEKEND, the type that decides a plan's base triggers.
// Order: weekend (crypto only), a `!force:scalp|intraday` comment, comment keywords as whole words,
// stop distance / ATR(H1) <= 1 means SCALP, session strategy (Asian range hours mean SCALP), else
// INTRADAY.
import { isWeekendWindow, sessionAt } from '../domain/sessions.ts';
import type { ExitsConfig } from '../config/schema.ts';

export type TradeType = 'SCALP' | 'INTRADAY' | 'WEEKEND';

export interface TradeTypeResult {
  type: TradeType;
  confidence: number;
  reason: string;
}

export interface ClassifyInput {
  comment: string;
  entryPrice: number;
  sl: number | null;
  /** ATR(14) on H1, NaN when not available. */
  atrH1: number;
  /** Epoch ms the session strategy is judged at (the position's open time). */
  openTime: number;
  /** Epoch ms "now" for the weekend window. */
  now: number;
  crypto: boolean;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whole-word keyword matcher: "breakfast" does not match "fast", "short-cut" does not match "shortcut". */
export function keywordMatcher(keywords: readonly string[]): (text: string) => string | null {
  if (keywords.length === 0) return () => null;
  const re = new RegExp(
    `(?:^|[^a-z0-9])(${keywords.map((k) => escapeRegExp(k.toLowerCase())).join('|')})(?=$|[^a-z0-9])`,
  );
  return (text) => {
    const m = re.exec(text.toLowerCase());
    return m ? m[1]! : null;
  };
}

export class TradeTypeClassifier {
  private readonly scalpWord: (t: string) => string | null;
  private readonly intradayWord: (t: string) => string | null;
  private readonly scalpRatio: number;

  constructor(exits: ExitsConfig) {
    this.scalpWord = keywordMatcher(exits.classifier.scalpKeywords);
    this.intradayWord = keywordMatcher(exits.classifier.intradayKeywords);
    this.scalpRatio = exits.classifier.scalpStopAtrRatio;
  }

  classify(i: ClassifyInput): TradeTypeResult {
    if (i.crypto && isWeekendWindow(i.now)) {
      return {
        type: 'WEEKEND',
        confidence: 1,
        reason: 'crypto position in the weekend window (Fri 23:00 - Mon 03:00 UTC)',
      };
    }
    const comment = i.comment.toLowerCase();
    if (comment.includes('!force:scalp'))
      return { type: 'SCALP', confidence: 1, reason: 'comment forces SCALP (!force:scalp)' };
    if (comment.includes('!force:intraday'))
      return { type: 'INTRADAY', confidence: 1, reason: 'comment forces INTRADAY (!force:intraday)' };
    const sw = this.scalpWord(comment);
    if (sw) return { type: 'SCALP', confidence: 0.85, reason: `comment keyword "${sw}"` };
    const iw = this.intradayWord(comment);
    if (iw) return { type: 'INTRADAY', confidence: 0.85, reason: `comment keyword "${iw}"` };
    if (i.sl !== null && Number.isFinite(i.atrH1) && i.atrH1 > 0) {
      const stop = Math.abs(i.entryPrice - i.sl);
      if (stop > 0) {
        const ratio = stop / i.atrH1;
        return ratio <= this.scalpRatio + 1e-9
          ? { type: 'SCALP', confidence: 0.75, reason: `stop ${ratio.toFixed(2)} x ATR(H1) <= ${this.scalpRatio}` }
          : { type: 'INTRADAY', confidence: 0.7, reason: `stop ${ratio.toFixed(2)} x ATR(H1) > ${this.scalpRatio}` };
      }
    }
    const session = sessionAt(i.openTime);
    if (session === 'ASIAN')
      return { type: 'SCALP', confidence: 0.65, reason: 'opened in Asian range hours (range trading)' };
    if (session !== 'POST_NY')
      return { type: 'INTRADAY', confidence: 0.65, reason: `opened in ${session} session (trend following)` };
    return { type: 'INTRADAY', confidence: 0.5, reason: 'default (no comment, stop/ATR or session signal)' };
  }
}
