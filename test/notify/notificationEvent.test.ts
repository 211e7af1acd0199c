// Events from decision records and execution results: which become messages, what they say, how
// severe they are; and over a real sample session, that every intent and state change is covered.
import { describe, expect, it } from 'vitest';
import { RETCODE } from '../../src/brokers/brokerAnswer.ts';
import { defaultConfig } from '../../src/config/load.ts';
import { runSampleSession } from '../../src/demo/sampleSession.ts';
import type { Intent } from '../../src/domain/types.ts';
import type { ExecutionResult } from '../../src/execution/intentExecutor.ts';
import { newDecisionRecord, type DecisionRecord } from '../../src/exits/decisionRecord.ts';
import { atLeast, eventFromDecision, eventFromExecution } from '../../src/notify/notificationEvent.ts';

const T = Date.UTC(2024, 4, 6, 12, 30);

function record(fill: Partial<DecisionRecord>): DecisionRecord {
  const r = newDecisionRecord();
  Object.assign(
    r,
    {
      time: T,
      positionId: '1001',
      symbol: 'XAUUSDc',
      side: 'buy',
      session: 'LONDON',
      price: 2410.2500000001,
      spread: 0.2,
    },
    fill,
  );
  return r;
}

function intent(fill: Partial<Intent>): Intent {
  return {
    id: '1001:breakeven:1',
    positionId: '1001',
    symbol: 'XAUUSDc',
    kind: 'move_stop',
    rule: 'breakeven',
    episode: 1,
    newSl: 2401.5,
    oldSl: 2390,
    volume: NaN,
    time: T,
    price: 2410.25,
    reason: 'breakeven at 31.2% progress (trigger 30%)',
    targetId: '1001',
    side: 'buy',
    comment: '',
    action: '',
    ...fill,
  };
}

function result(it: Intent, fill: Partial<ExecutionResult>): ExecutionResult {
  return {
    intent: it,
    outcome: 'applied',
    answer: { outcome: 'applied', code: RETCODE.DONE, price: 2410.3, positionId: it.positionId },
    sends: 1,
    duplicate: false,
    code: '10009',
    reason: 'applied',
    ...fill,
  };
}

describe('events from decision records', () => {
  it('a breakeven intent: the stop move, progress, buffer and intent id; prices rounded', async () => {
    const e = eventFromDecision(
      record({
        rule: 'breakeven',
        outcome: 'intent',
        reason: 'intent_sent',
        changed: true,
        oldSl: 2390,
        newSl: 2401.5000000002,
        progress: 0.31234,
        trigger: 30,
        atr: 6.0987654,
        distance: 1.8296296,
        multiplier: 0.3,
        intentId: '1001:breakeven:1',
      }),
    );
    expect(e).toEqual({
      kind: 'action',
      severity: 'info',
      time: T,
      positionId: '1001',
      symbol: 'XAUUSDc',
      rule: 'breakeven',
      intentId: '1001:breakeven:1',
      title: 'XAUUSDc buy #1001: breakeven SL 2390 -> 2401.5 sent',
      text: 'Stop to breakeven at 31.2% of the way to target (trigger 30%), price 2410.25\nbuffer 1.82963 = ATR 6.09877 x 0.3\nintent 1001:breakeven:1',
    });
  });

  it("the symbol's digits, when known, set the decimals shown", async () => {
    const r = record({
      rule: 'trail',
      outcome: 'intent',
      reason: 'intent_sent',
      oldSl: 2401.5,
      newSl: 2405.123456,
      rAchieved: 1.456,
      atr: 6.1,
      distance: 9.15,
      multiplier: 1.5,
      advisoryFailures: 3,
      intentId: '1001:trail:1',
    });
    const e = eventFromDecision(r, { priceDigits: (s) => (s === 'XAUUSDc' ? 2 : undefined) });
    expect(e?.title).toBe('XAUUSDc buy #1001: trailing SL 2401.5 -> 2405.12 sent');
    expect(e?.text).toBe(
      'Trailing stop at 1.46 R, price 2410.25\ndistance 9.15 = ATR 6.1 x 1.5 (3 advisory gates failed)\nintent 1001:trail:1',
    );
  });

  it('a partial close: the volume and where it triggered', async () => {
    const e = eventFromDecision(
      record({
        rule: 'partial',
        outcome: 'intent',
        reason: 'intent_sent',
        volume: 0.05,
        progress: 0.6012,
        trigger: 60,
        rAchieved: 1.2,
        intentId: '1001:partial:1',
      }),
    );
    expect(e?.kind).toBe('action');
    expect(e?.title).toBe('XAUUSDc buy #1001: partial close 0.05 lots sent');
    expect(e?.text).toContain('at 60.1% of the way to target (trigger 60%)');
  });

  it('DTMS actions: named in trading words; a hedge or a close is a warning', async () => {
    const tighten = eventFromDecision(
      record({
        rule: 'dtms',
        outcome: 'intent',
        reason: 'intent_sent',
        dtmsState: 'WARNING_L1',
        oldSl: 2390,
        newSl: 2396.969,
        intentId: '1001:dtms:1:tighten_stop',
        note: 'tighten_stop in WARNING_L1 (episode 1): SL -> 2396.969',
      }),
    );
    expect(tighten).toMatchObject({
      kind: 'action',
      severity: 'info',
      rule: 'dtms',
      title: 'XAUUSDc buy #1001: DTMS tighten the stop (SL 2390 -> 2396.969) sent',
    });
    expect(tighten?.text).toBe(
      'DTMS WARNING_L1, price 2410.25\ntighten_stop in WARNING_L1 (episode 1): SL -> 2396.969\nintent 1001:dtms:1:tighten_stop',
    );

    const hedge = eventFromDecision(
      record({
        rule: 'dtms',
        outcome: 'intent',
        reason: 'intent_sent',
        dtmsState: 'HEDGED',
        newSl: 2415.5,
        volume: 0.05,
        intentId: '1001:dtms:2:open_hedge',
        note: 'open_hedge in HEDGED (episode 2): open hedge sell 0.05 SL 2415.5',
      }),
    );
    expect(hedge).toMatchObject({
      severity: 'warning',
      title: 'XAUUSDc buy #1001: DTMS open a hedge (SL 2415.5, 0.05 lots) sent',
    });

    const orphan = eventFromDecision(
      record({
        rule: 'dtms',
        outcome: 'intent',
        reason: 'intent_sent',
        dtmsState: 'CLOSED',
        volume: 0.05,
        intentId: '1001:dtms:orphan_hedge:2002',
        note: 'close_orphan_hedge: position #1001 is closed; its hedge #2002 (sell 0.05) protects nothing now',
      }),
    );
    expect(orphan?.title).toBe('XAUUSDc buy #1001: DTMS close a hedge left behind (0.05 lots) sent');
  });

  it('state changes: FROM -> TO with the score; HEDGED and WARNING_L2 warn, CLOSED is critical', async () => {
    const note =
      'deep check: score -6.5 <= -6; score -6.5 = structure -3, ...; actions: open_hedge (open hedge sell 0.05 SL 2415.5)';
    const hedged = eventFromDecision(
      record({
        rule: 'dtms',
        outcome: 'info',
        reason: 'dtms_transition',
        changed: true,
        dtmsFrom: 'WARNING_L2',
        dtmsState: 'HEDGED',
        score: -6.5,
        note,
      }),
    );
    expect(hedged).toEqual({
      kind: 'state_change',
      severity: 'warning',
      time: T,
      positionId: '1001',
      symbol: 'XAUUSDc',
      rule: 'dtms',
      intentId: '',
      title: 'XAUUSDc buy #1001: DTMS WARNING_L2 -> HEDGED (score -6.5)',
      text: `WARNING_L2 -> HEDGED at price 2410.25\n${note}`,
    });
    const sev = (from: string, to: string) =>
      eventFromDecision(
        record({ rule: 'dtms', outcome: 'info', reason: 'dtms_transition', dtmsFrom: from, dtmsState: to, score: 0 }),
      )?.severity;
    expect(sev('HEDGED', 'CLOSED')).toBe('critical');
    expect(sev('RECOVERING', 'CLOSED')).toBe('critical');
    expect(sev('WARNING_L1', 'WARNING_L2')).toBe('warning');
    expect(sev('HEALTHY', 'WARNING_L1')).toBe('info');
    expect(sev('HEDGED', 'RECOVERING')).toBe('info');
    expect(sev('RECOVERING', 'HEALTHY')).toBe('info');
  });

  it('stop hand-overs both ways', async () => {
    const toDtms = eventFromDecision(
      record({
        rule: 'dtms',
        outcome: 'info',
        reason: 'stop_to_dtms',
        dtmsState: 'WARNING_L2',
        score: -4.5,
        oldSl: 2390,
        note: 'DTMS takes the stop in WARNING_L2: breakeven and trailing stand aside',
      }),
    );
    expect(toDtms).toMatchObject({
      kind: 'ownership',
      severity: 'info',
      title: 'XAUUSDc buy #1001: DTMS takes the stop (WARNING_L2)',
    });
    expect(toDtms?.text).toBe(
      'SL 2390, price 2410.25, DTMS score -4.5\nDTMS takes the stop in WARNING_L2: breakeven and trailing stand aside',
    );
    const back = eventFromDecision(
      record({
        rule: 'dtms',
        outcome: 'info',
        reason: 'stop_to_exit_plan',
        dtmsState: 'HEALTHY',
        score: 1,
        oldSl: 2396,
      }),
    );
    expect(back).toMatchObject({ kind: 'ownership', title: 'XAUUSDc buy #1001: stop back to the exit plan (HEALTHY)' });
  });

  it('waits, skips, done, classifications, holds and skipped DTMS actions are not messages', async () => {
    const quiet: Partial<DecisionRecord>[] = [
      { rule: 'breakeven', outcome: 'wait', reason: 'trigger_not_reached' },
      { rule: 'breakeven', outcome: 'wait', reason: 'intent_in_flight' },
      { rule: 'breakeven', outcome: 'done', reason: 'confirmed' },
      { rule: 'trail', outcome: 'skip', reason: 'below_min_change' },
      { rule: 'trail', outcome: 'skip', reason: 'dtms_owns_stop' },
      { rule: 'partial', outcome: 'skip', reason: 'partial_below_min_lot' },
      { rule: 'classify', outcome: 'info', reason: 'classified', note: 'INTRADAY' },
      { rule: 'triggers', outcome: 'info', reason: 'triggers_set' },
      { rule: 'dtms', outcome: 'skip', reason: 'dtms_hold', note: 'stale: no bar for 400 s' },
      { rule: 'dtms', outcome: 'skip', reason: 'dtms_action_skipped', note: 'open_hedge: loss limit' },
    ];
    for (const q of quiet) expect(eventFromDecision(record(q)), `${q.rule}/${q.reason}`).toBeNull();
  });
});

describe('events from execution results', () => {
  it('applied: the action confirmed, with the broker price', async () => {
    const e = eventFromExecution(result(intent({}), {}), T + 500);
    expect(e).toEqual({
      kind: 'action',
      severity: 'info',
      time: T + 500,
      positionId: '1001',
      symbol: 'XAUUSDc',
      rule: 'breakeven',
      intentId: '1001:breakeven:1',
      title: 'XAUUSDc buy #1001: breakeven done: SL 2390 -> 2401.5',
      text: 'Confirmed by the broker, broker price 2410.3\nasked: SL 2390 -> 2401.5 at price 2410.25 (breakeven at 31.2% progress (trigger 30%))\nintent 1001:breakeven:1',
    });
  });

  it('a hedge opened: the new ticket, no side of the managed position in the title', async () => {
    const it = intent({
      id: '1001:dtms:2:open_hedge',
      kind: 'open',
      rule: 'dtms',
      action: 'open_hedge',
      side: 'sell',
      volume: 0.05,
      newSl: 2415.5,
      targetId: '',
      reason: 'open_hedge in HEDGED: open hedge sell 0.05 SL 2415.5',
    });
    const e = eventFromExecution(
      result(it, { answer: { outcome: 'applied', code: RETCODE.DONE, price: 2410.1, positionId: '2002' } }),
    );
    expect(e?.title).toBe('XAUUSDc #1001: DTMS open a hedge done: open sell 0.05 lots SL 2415.5');
    expect(e?.text).toContain('new position #2002');
    expect(e?.time).toBe(T);
  });

  it('rejected: a failed intent with the code and reason; a refused protective DTMS action is critical', async () => {
    const e = eventFromExecution(
      result(intent({}), {
        outcome: 'rejected',
        answer: { outcome: 'rejected', retryable: false, code: RETCODE.INVALID_STOPS, reason: 'invalid stops' },
        code: '10016',
        reason: 'invalid stops',
      }),
    );
    expect(e).toMatchObject({
      kind: 'failed_intent',
      severity: 'warning',
      title: 'XAUUSDc buy #1001: breakeven REJECTED: SL 2390 -> 2401.5',
    });
    expect(e?.text.split('\n')[0]).toBe('Refused by the broker: code 10016: invalid stops');

    const closeAll = intent({
      id: '1001:dtms:2:close_all',
      kind: 'close',
      rule: 'dtms',
      action: 'close_all',
      volume: 0.1,
      newSl: NaN,
    });
    const c = eventFromExecution(
      result(closeAll, {
        outcome: 'rejected',
        sends: 3,
        code: '10018',
        reason: 'market closed (after 3 sends)',
        answer: null,
      }),
    );
    expect(c).toMatchObject({
      kind: 'failed_intent',
      severity: 'critical',
      title: 'XAUUSDc buy #1001: DTMS close the position REJECTED: close 0.1 lots',
    });
    expect(c?.text).toContain('Refused by the broker after 3 sends: code 10018: market closed (after 3 sends)');
  });

  it('unknown: a failed intent that Warden reconciles', async () => {
    const hedgeClose = intent({
      id: '1001:dtms:2:close_hedge',
      kind: 'close',
      rule: 'dtms',
      action: 'close_hedge',
      volume: 0.05,
      newSl: NaN,
      targetId: '2002',
    });
    const e = eventFromExecution(
      result(hedgeClose, {
        outcome: 'unknown',
        code: '10012',
        reason: 'timeout',
        answer: { outcome: 'unknown', code: RETCODE.TIMEOUT, reason: 'timeout' },
      }),
    );
    expect(e).toMatchObject({
      kind: 'failed_intent',
      severity: 'warning',
      title: 'XAUUSDc #1001: DTMS close the hedge outcome UNKNOWN: close hedge #2002 (0.05 lots)',
    });
    expect(e?.text).toContain("reads the broker's positions");
  });

  it('pending and duplicates (settled in an earlier run) are not messages', async () => {
    expect(eventFromExecution(result(intent({}), { outcome: 'pending', answer: null }))).toBeNull();
    expect(eventFromExecution(result(intent({}), { duplicate: true, sends: 0, answer: null }))).toBeNull();
  });
});

describe('events over a real sample session', () => {
  it('every intent, state change and hand-over the engine records is a one-line event', async () => {
    const session = await runSampleSession(defaultConfig(), { symbol: 'XAUUSDc', seed: 1, bars: 12_000, every: 240 });
    const records = session.journal.recent(1_000_000);
    let intents = 0;
    let transitions = 0;
    for (const r of records) {
      const e = eventFromDecision(r, { priceDigits: () => 3 });
      const expected =
        r.outcome === 'intent' ||
        r.reason === 'dtms_transition' ||
        r.reason === 'stop_to_dtms' ||
        r.reason === 'stop_to_exit_plan';
      expect(e !== null, `${r.rule}/${r.outcome}/${r.reason}`).toBe(expected);
      if (e === null) continue;
      if (r.outcome === 'intent') intents++;
      if (e.kind === 'state_change') transitions++;
      expect(e.title).not.toContain('\n');
      expect(e.title).not.toContain('NaN');
      expect(e.text).not.toContain('NaN');
      expect(e.positionId).toBe(r.positionId);
      expect(e.time).toBe(r.time);
      if (e.kind === 'state_change') expect(e.title).toContain(`${r.dtmsFrom} -> ${r.dtmsState}`);
    }
    expect(intents).toBe(session.intents.length);
    expect(transitions).toBeGreaterThan(0);
  });
});

describe('severity order', () => {
  it('atLeast compares info < warning < critical', async () => {
    expect(atLeast('critical', 'warning')).toBe(true);
    expect(atLeast('warning', 'warning')).toBe(true);
    expect(atLeast('info', 'warning')).toBe(false);
  });
});
