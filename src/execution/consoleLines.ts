// The trader's console: one human sentence per thing Warden did to a position or saw happen to it,
// written through the session's logger. Each line is one log record whose message is the sentence and
// whose fields say the same in structured form (`event`, `at` and the numbers), so the JSON log keeps
// everything and the human console (log.ts, prettyDestination) prints `HH:MM:SS <message>` alone.
//
// What gets a line (at info; a refusal, an unknown answer or an abandoned action at warn):
//   - every intent once it has an outcome: applied, rejected, outcome unknown, or not sent (a stale
//     decision, shadow mode, an id another decision holds), with the old -> new stop or the volume,
//     and the why of its decision record (explainDecision, less what the line already says);
//   - every DTMS state transition, stop hand-over between DTMS and the exit plan, and action given up;
//   - every position the session adopts (sees open for the first time) and every position that
//     leaves the venue (its stop or target reached, closed by Warden, or gone otherwise), and DTMS
//     hedges that close.
// Positions the embedded demo trader opened are adopted at debug level: its own summary line says
// that they opened (engineLoop.ts), so a busy demo does not bury the actions.
// `at` is the market's time of the event (the bar's close, or the quote's time): on the played
// market it runs faster than the wall clock, and the trader reads the chart in its time.
import type { Logger } from 'pino';
import type { BrokerAnswer } from '../brokers/brokerAnswer.ts';
import { decimalText } from '../domain/decimalText.ts';
import { closesHedge, ticketOfKey } from '../domain/lifetime.ts';
import type { Bar, Instrument, Intent, Position, Side } from '../domain/types.ts';
import { explainDecision, type DecisionRecord } from '../exits/decisionRecord.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import type { SettledIntent } from './intentExecutor.ts';

/** What a console line is about: its `event` field. */
export type ConsoleEvent = 'intent' | 'dtms' | 'position' | 'demo_openings';

/** Two spaces between who, what and the outcome: the columns a trader's eye follows down the console. */
const GAP = '  ';

/** Decimals of a step (0.01 -> 2): lots are printed to the instrument's lot step. */
export function stepDecimals(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 2;
  let d = 0;
  while (d < 8 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-9) d++;
  return d;
}

/** `HH:MM:SS` (UTC) of an epoch ms: the time a console line starts with. */
export function clockText(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString().slice(11, 19) : '--:--:--';
}

/** How the console prints prices and lots of an instrument (its digits and lot step; 5 and 2 when unknown). */
export interface Formats {
  price(x: number | null): string;
  lots(x: number): string;
}

export function formatsOf(inst: Pick<Instrument, 'digits' | 'lotStep'> | undefined): Formats {
  const digits = inst?.digits ?? 5;
  const lotDecimals = inst ? stepDecimals(inst.lotStep) : 2;
  return {
    price: (x) => (x === null || !Number.isFinite(x) ? 'none' : decimalText(x, digits)),
    lots: (x) => (Number.isFinite(x) ? x.toFixed(lotDecimals) : '?'),
  };
}

/** The position a line is about: `XAUUSDc #100003 buy 0.10` (the venue's ticket, as the trader knows it). */
export function whoText(symbol: string, positionId: string, side: Side, volume: number, f: Formats): string {
  return `${symbol} #${ticketOfKey(positionId)} ${side}${Number.isFinite(volume) && volume > 0 ? ` ${f.lots(volume)}` : ''}`;
}

/** The intent's rule as the line names it: the exit plan's rule, or `dtms <action>`. */
export function intentLabel(it: Pick<Intent, 'rule' | 'action'>): string {
  return it.rule === 'dtms' && it.action !== '' ? `dtms ${it.action}` : it.rule;
}

/** What the intent asks the venue for; `answer` adds what it did (a fill price, a new ticket). */
export function intentWhat(it: Intent, answer: BrokerAnswer | null, f: Formats): string {
  const done = answer !== null && answer.outcome === 'applied' ? answer : null;
  const at = done !== null && Number.isFinite(done.price) ? ` at ${f.price(done.price)}` : '';
  switch (it.kind) {
    case 'move_stop':
      return `SL ${f.price(it.oldSl)} -> ${f.price(it.newSl)}`;
    case 'close_partial':
      return `close ${f.lots(it.volume)} lots${at}`;
    case 'close':
      return closesHedge(it) ? `close hedge #${it.targetId}${at}` : `close ${f.lots(it.volume)} lots${at}`;
    case 'open':
      return `open ${it.side} ${f.lots(it.volume)}${done !== null ? ` (#${done.positionId})${at}` : ''}${Number.isFinite(it.newSl) ? `, SL ${f.price(it.newSl)}` : ''}`;
  }
}

/** Advisory trailing gates that passed: left out of a line (the JSON keeps them), the ones that failed or had no data stay. */
const PASSED_ADVISORY_GATE = /^(volatility|mtf|rmag|vwap|hvn) ok\b/;

/** explainDecision without its head (`<symbol> <side> #<id> <rule>: <outcome> (<reason>)`), which a line says its own way. */
export function explainDetail(r: DecisionRecord): string {
  const full = explainDecision(r);
  const head = `${r.symbol} ${r.side} #${r.positionId} ${r.rule}: ${r.outcome} (${r.reason})`;
  return full.startsWith(head) ? full.slice(head.length).replace(/^;?\s*/, '') : full;
}

/**
 * The why of an intent, for its line: its decision record explained (explainDecision), less what the
 * line already says (the head, the stop move, a partial's volume, a DTMS action's name and order) and
 * the trail's advisory gates that passed. Breakeven and partial lead with the intent's own reason: it
 * names the trigger in its unit (R or % of the way to TP), where the record's explanation gives the
 * trigger as a percentage either way. Without a record: the intent's reason.
 */
export function intentWhy(r: DecisionRecord | undefined, it: Pick<Intent, 'rule' | 'reason'>): string {
  if (r === undefined) return it.reason;
  const detail = explainDetail(r);
  if (r.rule === 'dtms') {
    // `<action> in <STATE> (episode n): <order>[ in place of a hedge: ...]`: the label and the what say the action and the order.
    const m = /^[a-z_]+ (in \S+) \(episode (\d+)\): (.*)$/.exec(detail);
    if (m === null) return detail;
    const instead = m[3]!.indexOf(' in place of a hedge');
    return `${m[1]}, episode ${m[2]}${instead >= 0 ? `;${m[3]!.slice(instead)}` : ''}`;
  }
  const parts = detail.split(', ').filter((p) => !(r.rule === 'trail' && PASSED_ADVISORY_GATE.test(p)));
  // The stop move is the line's own "SL a -> b"; a partial's volume its own "close x lots".
  if (parts.length > 1 && /^SL \S+ -> \S+$/.test(parts[parts.length - 1]!)) parts.pop();
  if (r.rule === 'partial' && parts.length > 0 && parts[parts.length - 1]!.startsWith('volume ')) parts.pop();
  if ((r.rule === 'breakeven' || r.rule === 'partial') && it.reason !== '') {
    // The record's first part is `progress X% vs trigger Y%`: the intent's reason says it in the trigger's unit.
    if (parts.length > 0 && parts[0]!.startsWith('progress ')) parts.shift();
    parts.unshift(it.reason);
  }
  return parts.join(', ');
}

/** A transition's note without its score breakdown (`score X = structure ...`): the line gives the score, the JSON the breakdown. */
function transitionNote(note: string): string {
  return note
    .split('; ')
    .filter((p) => !/^score \S+ = /.test(p))
    .join('; ');
}

/** The outcome at the end of an intent's line. */
export function outcomeText(s: Pick<SettledIntent, 'settled' | 'how' | 'duplicate' | 'sends' | 'reason'>): string {
  if (s.settled === 'applied')
    return `applied${s.how === 'reconciled' ? " (the venue's positions show it took effect)" : s.sends > 1 ? ` (at send ${s.sends})` : ''}`;
  if (s.settled === 'rejected')
    return `REJECTED: ${s.how === 'reconciled' ? "the venue's positions show no effect; decided afresh" : s.reason}`;
  if (s.duplicate) return `NOT SENT: ${s.reason}`;
  return `OUTCOME UNKNOWN: ${s.reason}; settled from the venue's positions once they can be read`;
}

/** The line of a DTMS record worth a line ('' for the others): a transition, a stop hand-over, an action given up. */
export function dtmsRecordText(r: DecisionRecord): string {
  const score = Number.isFinite(r.score) ? ` (score ${decimalText(r.score, 2)})` : '';
  if (r.reason === 'dtms_transition')
    return `DTMS ${r.dtmsFrom || '?'} -> ${r.dtmsState}${score}: ${transitionNote(r.note)}`;
  if (r.reason === 'stop_to_dtms' || r.reason === 'stop_to_exit_plan') return r.note;
  if (r.reason === 'dtms_action_abandoned') return `DTMS action given up: ${r.note}`;
  return '';
}

/**
 * How a position left the venue, as far as the session can tell: its stop or target inside the bar
 * it went with (the venue fills them within a bar), Warden's own close, or neither (by hand, a stop
 * out of the bar's range, or a venue that does not say).
 */
export function closedHow(
  p: Pick<Position, 'side' | 'sl' | 'tp'>,
  bar: Bar | undefined,
  closedByWarden: string,
  f: Formats,
): string {
  if (closedByWarden !== '') return `closed by Warden (${closedByWarden})`;
  if (bar !== undefined) {
    // Bars are bid prices: a sell's stop and target are reached by the ask (bid + spread).
    const spread = p.side === 'sell' && Number.isFinite(bar.spread) && bar.spread > 0 ? bar.spread : 0;
    const low = bar.low + spread;
    const high = bar.high + spread;
    const slHit = p.sl !== null && (p.side === 'buy' ? low <= p.sl : high >= p.sl);
    const tpHit = p.tp !== null && (p.side === 'buy' ? high >= p.tp : low <= p.tp);
    if (slHit && tpHit)
      return `closed at the venue: SL ${f.price(p.sl)} or TP ${f.price(p.tp)} (the last bar reached both)`;
    if (slHit) return `closed at the venue: SL ${f.price(p.sl)} reached`;
    if (tpHit) return `closed at the venue: TP ${f.price(p.tp)} reached`;
  }
  return 'closed at the venue';
}

type Level = 'debug' | 'info' | 'warn';

/**
 * The session's console lines (one per AccountSession). The session calls it where it learns things:
 * `stored` with the decision records once they are kept, `settled` with each intent's outcome,
 * `adopted` / `closed` / `hedgeClosed` when it takes the venue's positions, and `endStep`.
 */
export class SessionConsole {
  /** Per intent decided and not yet settled: its record's why and the position's volume when it was decided. */
  private readonly decided = new Map<string, { record: DecisionRecord; volume: number }>();
  /** Tickets the demo trader opened and the session has not adopted yet. */
  private readonly quiet = new Set<string>();
  /** Positions (lifetime keys) a close of Warden's emptied, with the close's label: their end says so. */
  private readonly closing = new Map<string, string>();

  constructor(
    private readonly log: Logger | undefined,
    private readonly instrument: (symbol: string) => Instrument | undefined,
  ) {}

  /**
   * The embedded demo trader opened `ticket`: its adoption is a debug line, since the trader's own
   * summary says it opened (engineLoop.ts). Forgotten once adopted.
   */
  openedByDemoTrader(ticket: string): void {
    // A ticket never adopted (closed within its first bar) would stay: the set is kept small.
    if (this.quiet.size > 10_000) this.quiet.clear();
    this.quiet.add(ticket);
  }

  /** Decision records just stored: DTMS lines now; each intent's why kept for its outcome's line. */
  stored(records: readonly DecisionRecord[], volumeOf: (positionId: string) => number): void {
    // Nothing to build for a logger that writes no warning (a silent one: tests, the API's tools).
    if (!this.on('warn')) return;
    for (const r of records) {
      if (r.outcome === 'intent' && r.intentId !== '') {
        if (this.decided.size > 10_000) this.decided.clear();
        // The records are the session's copies (its sink copies what the engine reuses): kept as they are.
        this.decided.set(r.intentId, { record: r, volume: volumeOf(r.positionId) });
        continue;
      }
      if (r.rule === 'manual') {
        // A trader's change by hand: what changed, from what to what, and from where (the record's note).
        const volume = volumeOf(r.positionId);
        this.write(
          'info',
          {
            event: 'manual',
            at: r.time,
            symbol: r.symbol,
            ticket: ticketOfKey(r.positionId),
            positionId: r.positionId,
            side: r.side,
            ...num('volume', volume),
            note: r.note,
          },
          `${whoText(r.symbol, r.positionId, r.side, volume, formatsOf(this.instrument(r.symbol)))}${GAP}by hand: ${r.note}`,
        );
        continue;
      }
      if (r.rule !== 'dtms') continue;
      const text = dtmsRecordText(r);
      if (text === '') continue;
      const f = formatsOf(this.instrument(r.symbol));
      const volume = volumeOf(r.positionId);
      const level: Level = r.reason === 'dtms_action_abandoned' ? 'warn' : 'info';
      this.write(
        level,
        {
          event: 'dtms',
          at: r.time,
          symbol: r.symbol,
          ticket: ticketOfKey(r.positionId),
          positionId: r.positionId,
          side: r.side,
          ...num('volume', volume),
          reason: r.reason,
          from: r.dtmsFrom,
          state: r.dtmsState,
          ...num('score', r.score),
          note: r.note,
        },
        `${whoText(r.symbol, r.positionId, r.side, volume, f)}${GAP}${text}`,
      );
    }
  }

  /** An intent's outcome, as the executor settled it (or left it unknown). */
  settled(s: SettledIntent): void {
    this.intentLine(s.intent, s.answer, outcomeText(s), s.settled === 'applied' ? 'info' : 'warn', {
      outcome: s.settled,
      how: s.how,
      sends: s.sends,
      code: s.code,
      ...(s.settled !== 'applied' ? { refusal: s.reason } : {}),
      ...(s.openedId !== '' ? { opened: s.openedId } : {}),
    });
    if (s.settled === 'applied' && s.intent.kind === 'close' && !closesHedge(s.intent))
      this.closing.set(s.intent.positionId, intentLabel(s.intent));
  }

  /** An intent settled later than its step: from the journal (the venue had answered) or from the venue's positions. */
  settledLater(it: Intent, outcome: 'applied' | 'rejected', how: 'journal' | 'reconciled', reason: string): void {
    const text =
      outcome === 'applied'
        ? `applied (settled ${how === 'journal' ? 'from the journal' : "from the venue's positions"})`
        : `REJECTED: ${reason}`;
    this.intentLine(it, null, text, outcome === 'applied' ? 'info' : 'warn', {
      outcome,
      how,
      ...(outcome !== 'applied' ? { refusal: reason } : {}),
    });
    if (outcome === 'applied' && it.kind === 'close' && !closesHedge(it))
      this.closing.set(it.positionId, intentLabel(it));
  }

  /**
   * An intent that was not sent (its decision went stale, or shadow mode keeps it): `outcome` ends the
   * line; `why` replaces the decision's why in it when given ('' for none).
   */
  notSent(it: Intent, outcome: string, level: Level = 'warn', why?: string): void {
    this.intentLine(it, null, outcome, level, { outcome: 'not_sent', refusal: outcome }, why);
  }

  /** The step is over: what it decided is settled or said (an intent left unknown gets its line when settled). */
  endStep(): void {
    this.decided.clear();
  }

  /** A position the session manages from now on (seen open for the first time), with its plan. */
  adopted(p: Position, key: string, plan: ExitPlan, at: number, fromLegacy: boolean): void {
    const ticket = ticketOfKey(key);
    const demo = this.quiet.delete(ticket);
    if (!this.on(demo ? 'debug' : 'info')) return;
    const f = formatsOf(this.instrument(p.symbol));
    const how = fromLegacy ? 'adopted with its imported rule' : demo ? 'opened by the demo trader, managed' : 'adopted';
    this.write(
      demo ? 'debug' : 'info',
      {
        event: 'position',
        at,
        symbol: p.symbol,
        ticket,
        positionId: key,
        side: p.side,
        volume: p.volume,
        change: 'adopted',
        entry: p.entryPrice,
        sl: p.sl,
        tp: p.tp,
        tradeType: plan.tradeType,
        breakevenPct: plan.breakevenPct,
        partialPct: plan.partialPct,
        ...(plan.strategy ? { strategy: plan.strategy } : {}),
        demo,
      },
      `${whoText(p.symbol, key, p.side, p.volume, f)}${GAP}${how}: entry ${f.price(p.entryPrice)}, SL ${f.price(p.sl)}, TP ${f.price(p.tp)}; ` +
        `${plan.tradeType} (${plan.tradeTypeReason}), ${plan.strategy ? `template ${plan.strategy} (${plan.strategySource}), ` : ''}breakeven ${decimalText(plan.breakevenPct, 1)}%, partial ${decimalText(plan.partialPct, 1)}%`,
    );
  }

  /**
   * A managed position left the venue (`p`: the session's last view of it). `why`: the session's
   * own reason when it knows one (a reused ticket, shadow mode), else '' and the line tells from
   * `bar` (the bar it went with) whether its stop or target was reached.
   */
  closed(p: Position, at: number, bar: Bar | undefined, why: string): void {
    const by = this.closing.get(p.id) ?? '';
    this.closing.delete(p.id);
    if (!this.on('info')) return;
    const f = formatsOf(this.instrument(p.symbol));
    const text = why !== '' ? `ended: ${why}` : closedHow(p, bar, by, f);
    this.write(
      'info',
      {
        event: 'position',
        at,
        symbol: p.symbol,
        ticket: ticketOfKey(p.id),
        positionId: p.id,
        side: p.side,
        volume: p.volume,
        change: 'closed',
        sl: p.sl,
        tp: p.tp,
        how: text,
      },
      `${whoText(p.symbol, p.id, p.side, p.volume, f)}${GAP}${text}`,
    );
  }

  /** A DTMS hedge left the venue (its own stop, or a close). */
  hedgeClosed(hedgeId: string, parent: Position | undefined, at: number): void {
    if (!this.on('info')) return;
    const symbol = parent?.symbol ?? '';
    const of = parent !== undefined ? ` of #${ticketOfKey(parent.id)}` : '';
    this.write(
      'info',
      {
        event: 'position',
        at,
        symbol,
        ticket: hedgeId,
        change: 'hedge_closed',
        ...(parent !== undefined ? { hedged: parent.id } : {}),
      },
      `${symbol === '' ? '' : `${symbol} `}#${hedgeId}${GAP}DTMS hedge${of} closed at the venue`,
    );
  }

  private intentLine(
    it: Intent,
    answer: BrokerAnswer | null,
    outcome: string,
    level: Level,
    extra: Record<string, unknown>,
    whyInLine?: string,
  ): void {
    const d = this.decided.get(it.id);
    this.decided.delete(it.id);
    if (!this.on(level)) return;
    const f = formatsOf(this.instrument(it.symbol));
    const volume = d?.volume ?? Number.NaN;
    // An open's side is the new order's (a hedge's is the other way): the line names the managed position's.
    const side: Side = d?.record.side ?? it.side;
    const why = whyInLine ?? intentWhy(d?.record, it);
    this.write(
      level,
      {
        event: 'intent',
        at: it.time,
        symbol: it.symbol,
        ticket: ticketOfKey(it.positionId),
        positionId: it.positionId,
        side,
        ...num('volume', volume),
        rule: it.rule,
        ...(it.action !== '' ? { action: it.action } : {}),
        kind: it.kind,
        ...(it.kind === 'move_stop' ? { oldSl: it.oldSl, newSl: it.newSl } : num('closeVolume', it.volume)),
        intent: it.id,
        ...extra,
        why: d !== undefined ? explainDecision(d.record) : it.reason,
      },
      `${whoText(it.symbol, it.positionId, side, volume, f)}${GAP}${intentLabel(it)}: ${intentWhat(it, answer, f)}${why !== '' ? ` (${why})` : ''}${GAP}${outcome}`,
    );
  }

  private on(level: Level): boolean {
    return this.log?.isLevelEnabled(level) === true;
  }

  private write(level: Level, fields: Record<string, unknown>, line: string): void {
    this.log?.[level](fields, line);
  }
}

/** `{name: x}` when x is a number, else nothing: JSON would write NaN as null. */
function num(name: string, x: number): Record<string, number> {
  return Number.isFinite(x) ? { [name]: x } : {};
}
