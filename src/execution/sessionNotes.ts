// The decision records a live session writes of its own (beside the engine's): lifetimes begun and
// ended, journal conflicts, clock jumps, decisions refused as stale, a trader's manual changes. Each is
// buffered with the engine's records and stored with them in the step's transaction.
import type { Position } from '../domain/types.ts';
import { newDecisionRecord, startRecord, type DecisionRecord, type DecisionSink } from '../exits/decisionRecord.ts';

/** Keeps only the records whose outcome changed and the intents (as replay's log does), copied: the engine reuses its record. */
export class BufferedSink implements DecisionSink {
  readonly keepsUnchanged = false;
  readonly buffer: DecisionRecord[] = [];
  record(r: DecisionRecord): void {
    this.buffer.push({ ...r });
  }
}

/** A 'lifetime' record (the session's own: lifetimes, journal conflicts, clock jumps). */
export function sessionNote(
  time: number,
  positionId: string,
  symbol: string,
  side: Position['side'],
  reason: DecisionRecord['reason'],
  note: string,
  intentId = '',
  price = Number.NaN,
): DecisionRecord {
  const r = startRecord(newDecisionRecord(), time, { positionId, symbol, side }, 'lifetime');
  r.outcome = 'info';
  r.reason = reason;
  r.changed = true;
  r.intentId = intentId;
  r.price = price;
  r.note = note;
  return r;
}

/**
 * A trader's change to the position managed under `key`, as a `manual` decision at `time`: `change` says
 * what changed, from what to what; `source` where the request came from (the page, the API, Telegram, an
 * agent). `plan` and `position` as the engine has them (undefined: not managed); `quote`: the symbol's
 * last price (null without a position), the price the change was made at.
 */
export function manualNote(
  time: number,
  key: string,
  plan: { positionId: string; symbol: string; side: Position['side'] } | undefined,
  position: Position | undefined,
  quote: { bid: number; ask: number } | null,
  change: string,
  source: string,
): DecisionRecord {
  const who = plan ?? { positionId: key, symbol: position?.symbol ?? '', side: position?.side ?? 'buy' };
  const r = startRecord(newDecisionRecord(), time, who, 'manual');
  r.outcome = 'info';
  r.reason = 'manual_change';
  r.changed = true;
  if (position !== undefined && quote !== null) {
    r.price = position.side === 'buy' ? quote.bid : quote.ask;
    r.oldSl = position.sl ?? Number.NaN;
    r.volume = position.volume;
  }
  r.note = `${change}; source: ${source}`;
  return r;
}

/** The session's clock going back more than this between two steps is a clock jump (recorded). */
const CLOCK_BACK_TOLERANCE_MS = 1_000;
/** ...and moving this much more than the market did between two steps. */
const CLOCK_AHEAD_TOLERANCE_MS = 10 * 60_000;

/**
 * Watches the session's clock against the market's: a step whose clock went back, or moved far more
 * than the market did since the last step (a suspended machine, a corrected clock), is a jump. The
 * step goes on: the engine runs on the bars' time; journal stamps and health read the session's clock.
 */
export class ClockWatch {
  /** The session's clock at the last step. */
  private lastClock = Number.NaN;
  /** The latest market time stepped on (a bar's close or a quote's time; NaN: none yet). */
  lastClose = Number.NaN;

  /** Takes a step at market time `closeTime` with the session's clock at `now`: the jump since the last step, or null. */
  step(now: number, closeTime: number): ClockJump | null {
    const clockMoved = now - this.lastClock;
    const marketMoved = closeTime - this.lastClose;
    let jump: ClockJump | null = null;
    if (Number.isFinite(clockMoved)) {
      let what = '';
      if (clockMoved < -CLOCK_BACK_TOLERANCE_MS) what = `went back ${Math.round(-clockMoved / 1000)} s`;
      else if (Number.isFinite(marketMoved) && clockMoved - Math.max(0, marketMoved) > CLOCK_AHEAD_TOLERANCE_MS)
        what = `moved ${Math.round(clockMoved / 1000)} s while the market moved ${Math.round(marketMoved / 1000)} s`;
      if (what !== '') {
        const note = `the session clock ${what} (from ${new Date(this.lastClock).toISOString()} to ${new Date(now).toISOString()}): journal and health times around here follow the clock; decisions follow the bars`;
        jump = { note, from: this.lastClock, to: now, marketMs: marketMoved };
      }
    }
    this.lastClock = now;
    this.lastClose = Math.max(Number.isFinite(this.lastClose) ? this.lastClose : closeTime, closeTime);
    return jump;
  }
}

/** A jump of the session's clock: the record's note, and the clocks and market move for the log. */
export interface ClockJump {
  note: string;
  from: number;
  to: number;
  marketMs: number;
}
