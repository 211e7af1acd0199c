// What replay keeps of the engine's decision records: the skips worth knowing and DTMS's decisions
// become lines of decisions.jsonl (and DTMS's are tallied for the report), RMAG tightenings and the
// trail's critical gate mark their trades, and each intent's explanation waits for its answer's line.
import { TRIGGER_FACTORS } from '../exits/advancedTriggers.ts';
import { explainDecision, type DecisionRecord, type DecisionSink } from '../exits/decisionRecord.ts';
import { rounded, type DecisionLineBuilder } from './decisionLog.ts';
import type { ReplayTallies } from './replayTallies.ts';
import type { TradeState } from './tradeBook.ts';

/**
 * Skips written to decisions.jsonl: a broker constraint or missing data stopped a rule that would
 * have acted. Routine trailing outcomes (candidate not tighter, or below the minimum change) are not
 * written: they flip bar by bar and would be a third of the file (they stay in the live journal).
 */
const SKIP_WORTH_KNOWING = new Set([
  'stops_level',
  'freeze_level',
  'atr_unavailable',
  'partial_below_min_lot',
  'remainder_below_min_lot',
  'already_protected',
]);

/** Writes the skips worth knowing and DTMS's decisions, marks RMAG-tightened trades, keeps intent explanations. */
export class ReplaySink implements DecisionSink {
  readonly keepsUnchanged = false;
  readonly explained = new Map<string, string>();
  constructor(
    private readonly trades: Map<string, TradeState>,
    private readonly lines: DecisionLineBuilder,
    private readonly digits: number,
    private readonly tallies: ReplayTallies,
    /** Plans are enabled (exits.autoEnable): an RMAG tightening of a plan that manages nothing changes nothing, and is not counted. */
    private readonly plansEnabled: boolean,
  ) {}

  record(r: DecisionRecord): void {
    if (r.rule === 'dtms' && r.outcome !== 'intent') {
      this.dtms(r);
      return;
    }
    if (r.rule === 'triggers') {
      if (this.plansEnabled && (r.factors & TRIGGER_FACTORS.rmag_stretched) !== 0) {
        const t = this.trades.get(r.positionId);
        if (t) t.rmag = true;
      }
      return;
    }
    if (r.rule === 'trail' && r.criticalGate === 1) {
      const t = this.trades.get(r.positionId);
      if (t) t.trailGatePassed = true;
    }
    if (r.outcome === 'intent') {
      this.explained.set(r.intentId, explainDecision(r));
      return;
    }
    if (!r.changed || !SKIP_WORTH_KNOWING.has(r.reason)) return;
    if (r.rule !== 'breakeven' && r.rule !== 'partial' && r.rule !== 'trail') return;
    const t = this.trades.get(r.positionId);
    const d = this.digits;
    const l = this.lines.begin(r.time, r.positionId, r.side, r.rule, 'skipped');
    l.oldSl = rounded(r.oldSl, d);
    l.newSl = rounded(r.newSl, d);
    l.volume = rounded(r.volume, 8);
    l.openVolume = t ? rounded(t.openVolume, 8) : null;
    l.price = rounded(r.price, d);
    l.reason = r.reason;
    l.detail = explainDecision(r);
    this.lines.emit();
  }

  // The last transition written: the skips it names in its detail (same bar, same position) are not
  // written again. Only ever compared within one bar, so a checkpoint between bars needs none of it.
  private transitionTime = NaN;
  private transitionOf = '';

  /** A DTMS transition, hold, skip or stop hand-over: one line each, tallied for the report. */
  private dtms(r: DecisionRecord): void {
    const t = this.trades.get(r.positionId);
    let reason: string;
    if (r.reason === 'dtms_transition') {
      this.transitionTime = r.time;
      this.transitionOf = r.positionId;
      reason = `${r.dtmsFrom} -> ${r.dtmsState}`;
      this.tallies.count('dtms_transitions', `${r.dtmsFrom}->${r.dtmsState}`);
      if (t && r.dtmsFrom === 'HEALTHY' && Number.isNaN(t.dtmsWarningTime)) t.dtmsWarningTime = r.time;
      if (t?.charted)
        t.events.push({
          time: r.time,
          kind: 'dtms',
          price: r.price,
          label: `DTMS ${reason} (score ${Number.isFinite(r.score) ? r.score.toFixed(2) : 'n/a'})`,
        });
    } else if (r.reason === 'dtms_hold') {
      reason = `dtms_hold: ${r.note.slice(0, r.note.indexOf(':'))}`;
      this.tallies.count('dtms_holds', r.note.slice(0, r.note.indexOf(':')));
    } else if (r.reason === 'dtms_action_skipped' || r.reason === 'dtms_action_abandoned') {
      reason = `${r.reason}: ${r.note}`;
      // Tallied by action and reason code ('open_hedge: loss_limit'), not by the figures in the detail.
      const action = r.note.slice(0, r.note.indexOf(':'));
      const code = r.note.slice(action.length + 2).split(':', 1)[0]!;
      this.tallies.count(
        'dtms_skipped',
        r.reason === 'dtms_action_abandoned' ? `${action}: given up` : `${action}: ${code}`,
      );
      // Skipped when the transition asked for it: its line names it already (tallied all the same).
      if (r.reason === 'dtms_action_skipped' && r.time === this.transitionTime && r.positionId === this.transitionOf)
        return;
    } else reason = r.reason;
    const l = this.lines.begin(r.time, r.positionId, r.side, 'dtms', r.outcome === 'skip' ? 'skipped' : 'info');
    l.openVolume = t ? rounded(t.openVolume, 8) : null;
    l.oldSl = rounded(r.oldSl, this.digits);
    l.price = rounded(r.price, this.digits);
    l.reason = reason;
    l.detail = r.note;
    this.lines.emit();
  }
}
