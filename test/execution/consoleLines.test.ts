// The console lines of a session, one at a time: the exact text of an intent's line (applied,
// refused, unknown then settled), a DTMS transition's, a position adopted and closed, and how the
// human console prints a console record. Records and intents are built by hand at a pinned instant.
import { describe, expect, it } from 'vitest';
import type { BrokerAnswer } from '../../src/brokers/brokerAnswer.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Intent, Position } from '../../src/domain/types.ts';
import { closedHow, formatsOf, intentWhy, SessionConsole, stepDecimals } from '../../src/execution/consoleLines.ts';
import type { SettledIntent } from '../../src/execution/intentExecutor.ts';
import { newDecisionRecord, startRecord, type DecisionRecord } from '../../src/exits/decisionRecord.ts';
import type { ExitPlan } from '../../src/exits/exitPlan.ts';
import { createLogger, prettyDestination } from '../../src/log.ts';
import { liveConfig, PINNED_NOW } from '../support/liveHarness.ts';

const XAU = instrumentFromConfig(liveConfig(), 'XAUUSDc', true);
const AT = PINNED_NOW + 42 * 60_000; // 10:42:00

type Json = Record<string, unknown>;

function capture(): { console: SessionConsole; records: Json[]; human: string[] } {
  const records: Json[] = [];
  const human: string[] = [];
  const pretty = prettyDestination((l) => void human.push(l.replace(/\n$/, '')));
  const log = createLogger({
    level: 'debug',
    destination: {
      write(chunk: string): void {
        for (const line of chunk.split('\n').filter((l) => l.trim() !== '')) {
          const rec = JSON.parse(line) as Json;
          records.push(rec);
          if ((rec.level as number) >= 30) pretty.write(`${line}\n`);
        }
      },
    },
  });
  return { console: new SessionConsole(log, (s) => (s === 'XAUUSDc' ? XAU : undefined)), records, human };
}

function intent(o: Partial<Intent> = {}): Intent {
  return {
    id: '100003#1:breakeven:1',
    positionId: '100003#1',
    symbol: 'XAUUSDc',
    kind: 'move_stop',
    rule: 'breakeven',
    episode: 1,
    newSl: 2034.55,
    oldSl: 2031.2,
    volume: 0,
    time: AT,
    price: 2040.1,
    reason: 'breakeven at 0.85R (trigger 0.80R)',
    targetId: '100003',
    side: 'buy',
    comment: '',
    action: '',
    ...o,
  };
}

function record(it: Intent, fill: (r: DecisionRecord) => void): DecisionRecord {
  const r = startRecord(
    newDecisionRecord(),
    it.time,
    { positionId: it.positionId, symbol: it.symbol, side: 'buy' },
    it.rule,
  );
  r.outcome = 'intent';
  r.reason = 'intent_sent';
  r.changed = true;
  r.intentId = it.id;
  r.oldSl = it.oldSl ?? Number.NaN;
  r.newSl = it.newSl;
  fill(r);
  return { ...r };
}

const breakevenRecord = (it: Intent) =>
  record(it, (r) => {
    r.progress = 0.425;
    r.trigger = 0.8;
    r.atr = 2.5;
    r.distance = 0.75;
    r.multiplier = 0.3;
  });

function settled(it: Intent, answer: BrokerAnswer | null, o: Partial<SettledIntent> = {}): SettledIntent {
  const outcome = answer === null ? 'rejected' : answer.outcome;
  return {
    intent: it,
    outcome,
    answer,
    sends: 1,
    duplicate: false,
    code: answer ? String(answer.code) : null,
    reason: answer && answer.outcome !== 'applied' ? answer.reason : 'applied',
    settled: outcome === 'unknown' ? 'unknown' : outcome,
    how: outcome === 'unknown' ? 'unsettled' : 'answer',
    openedId: '',
    ...o,
  };
}

describe('an intent line', () => {
  it('applied: time, symbol, ticket, side, volume, rule, old -> new stop, the why, the outcome', () => {
    const c = capture();
    const it = intent();
    c.console.stored([breakevenRecord(it)], () => 0.1);
    c.console.settled(settled(it, { outcome: 'applied', code: 10009, price: 2040.1, positionId: '100003' }));
    expect(c.human).toEqual([
      '10:42:00 XAUUSDc #100003 buy 0.10  breakeven: SL 2031.2 -> 2034.55 (breakeven at 0.85R (trigger 0.80R), ATR 2.5, buffer 0.75 (x0.3))  applied',
    ]);
    expect(c.records[0]).toMatchObject({
      level: 30,
      event: 'intent',
      at: AT,
      symbol: 'XAUUSDc',
      ticket: '100003',
      positionId: '100003#1',
      side: 'buy',
      volume: 0.1,
      rule: 'breakeven',
      kind: 'move_stop',
      oldSl: 2031.2,
      newSl: 2034.55,
      outcome: 'applied',
      how: 'answer',
      intent: it.id,
    });
    expect(c.records[0]!.why).toBe(
      'XAUUSDc buy #100003#1 breakeven: intent (intent_sent); progress 42.5% vs trigger 0.8%, ATR 2.5, buffer 0.75 (x0.3), SL 2031.2 -> 2034.55',
    );
    expect(c.records[0]).not.toHaveProperty('refusal');
  });

  it('refused: a warning that names the venue reason', () => {
    const c = capture();
    const it = intent();
    c.console.stored([breakevenRecord(it)], () => 0.1);
    c.console.settled(
      settled(it, {
        outcome: 'rejected',
        retryable: false,
        code: 10016,
        reason: 'invalid stops: inside the stops level',
      }),
    );
    expect(c.human[0]).toMatch(
      / {2}breakeven: SL 2031.2 -> 2034.55 \(.*\) {2}REJECTED: invalid stops: inside the stops level$/,
    );
    expect(c.records[0]).toMatchObject({
      level: 40,
      outcome: 'rejected',
      refusal: 'invalid stops: inside the stops level',
      code: '10016',
    });
  });

  it('unknown, then settled from the venue: two lines, the second after the step', () => {
    const c = capture();
    const it = intent({
      id: '100003#1:partial:1',
      kind: 'close_partial',
      rule: 'partial',
      volume: 0.07,
      newSl: Number.NaN,
      reason: 'partial 70% of 0.1 lots at 41.1% progress (trigger 40%)',
    });
    const r = record(it, (x) => {
      x.progress = 0.411;
      x.trigger = 40;
      x.volume = 0.07;
    });
    c.console.stored([r], () => 0.1);
    c.console.settled(settled(it, { outcome: 'unknown', code: 0, reason: 'paper: timeout' }));
    c.console.endStep();
    c.console.settledLater(
      it,
      'applied',
      'reconciled',
      "reconciled after an unknown answer: the broker's positions show it took effect",
    );
    expect(c.human).toEqual([
      "10:42:00 XAUUSDc #100003 buy 0.10  partial: close 0.07 lots (partial 70% of 0.1 lots at 41.1% progress (trigger 40%))  OUTCOME UNKNOWN: paper: timeout; settled from the venue's positions once they can be read",
      "10:42:00 XAUUSDc #100003 buy  partial: close 0.07 lots (partial 70% of 0.1 lots at 41.1% progress (trigger 40%))  applied (settled from the venue's positions)",
    ]);
    expect(c.records.map((x) => x.level)).toEqual([40, 30]);
  });

  it('a DTMS action: labelled with its action, its why the state it acts in', () => {
    const c = capture();
    const it = intent({
      id: '100003#1:dtms:2:close_instead_of_hedge',
      kind: 'close',
      rule: 'dtms',
      action: 'close_instead_of_hedge',
      volume: 0.1,
      newSl: Number.NaN,
      reason: 'close_instead_of_hedge in HEDGED: close 0.1',
    });
    const r = record(it, (x) => {
      x.dtmsState = 'HEDGED';
      x.note = 'close_instead_of_hedge in HEDGED (episode 2): close 0.1 in place of a hedge: opening positions is off';
    });
    c.console.stored([r], () => 0.1);
    c.console.settled(settled(it, { outcome: 'applied', code: 10009, price: 2029.75, positionId: '100003' }));
    expect(c.human[0]).toBe(
      '10:42:00 XAUUSDc #100003 buy 0.10  dtms close_instead_of_hedge: close 0.10 lots at 2029.75 (in HEDGED, episode 2; in place of a hedge: opening positions is off)  applied',
    );
    // Its position's end then says Warden closed it.
    const p: Position = {
      id: '100003#1',
      ticket: '100003',
      symbol: 'XAUUSDc',
      side: 'buy',
      volume: 0.1,
      entryPrice: 2030,
      sl: 2020,
      tp: 2050,
      openTime: PINNED_NOW,
      comment: '',
    };
    c.console.closed(p, AT, undefined, '');
    expect(c.human[1]).toBe('10:42:00 XAUUSDc #100003 buy 0.10  closed by Warden (dtms close_instead_of_hedge)');
  });

  it('without a stored record (shadow mode, a journal settled at start): the intent reason is the why', () => {
    const c = capture();
    const it = intent();
    c.console.notSent(it, `shadow, not sent: ${it.reason}`, 'info', '');
    c.console.settledLater(intent({ id: 'x' }), 'rejected', 'journal', 'invalid stops');
    expect(c.human).toEqual([
      '10:42:00 XAUUSDc #100003 buy  breakeven: SL 2031.2 -> 2034.55  shadow, not sent: breakeven at 0.85R (trigger 0.80R)',
      '10:42:00 XAUUSDc #100003 buy  breakeven: SL 2031.2 -> 2034.55 (breakeven at 0.85R (trigger 0.80R))  REJECTED: invalid stops',
    ]);
  });
});

describe('the why of a trail', () => {
  it('keeps the critical gate and the advisory gates that failed, drops the ones that passed', () => {
    const it = intent({ rule: 'trail', reason: 'trail 1.500 x ATR 4.5' });
    const r = record(it, (x) => {
      x.criticalGate = 1;
      x.rAchieved = 1.2;
      x.trigger = 0.6;
      x.gateVolatility = 1;
      x.gateMtf = 0;
      x.mtfAligned = 1;
      x.gateRmag = 1;
      x.rmag = 1.1;
      x.threshold = 4;
      x.gateVwap = -1;
      x.gateHvn = 1;
      x.hvnDistAtr = 2;
      x.advisoryFailures = 2;
      x.multiplier = 2;
      x.distance = 9;
    });
    expect(intentWhy(r, it)).toBe(
      'critical ok (R 1.2 vs 0.6), mtf FAIL (1), vwap no data, failures 2 -> x2, distance 9',
    );
  });
});

describe('a DTMS record line', () => {
  it('a transition: states, score, the note without its score breakdown (the JSON keeps it)', () => {
    const c = capture();
    const r = startRecord(newDecisionRecord(), AT, { positionId: '100003#1', symbol: 'XAUUSDc', side: 'sell' }, 'dtms');
    r.outcome = 'info';
    r.reason = 'dtms_transition';
    r.dtmsFrom = 'HEALTHY';
    r.dtmsState = 'WARNING_L1';
    r.score = -6.4;
    r.note =
      'deep check: score -6.4 <= -5 (4 layers against the trade); score -6.4 = structure 0, momentum -4.5; adverse confluence; actions: tighten_stop (SL -> 2031.2)';
    c.console.stored([{ ...r }], () => 0.1);
    expect(c.human).toEqual([
      '10:42:00 XAUUSDc #100003 sell 0.10  DTMS HEALTHY -> WARNING_L1 (score -6.4): deep check: score -6.4 <= -5 (4 layers against the trade); adverse confluence; actions: tighten_stop (SL -> 2031.2)',
    ]);
    expect(c.records[0]).toMatchObject({
      event: 'dtms',
      reason: 'dtms_transition',
      from: 'HEALTHY',
      state: 'WARNING_L1',
      score: -6.4,
      note: r.note,
    });
  });

  it('records that are not worth a line get none', () => {
    const c = capture();
    const r = startRecord(
      newDecisionRecord(),
      AT,
      { positionId: '100003#1', symbol: 'XAUUSDc', side: 'sell' },
      'trail',
    );
    r.outcome = 'wait';
    r.reason = 'not_tighter';
    c.console.stored([{ ...r }], () => 0.1);
    expect(c.records).toEqual([]);
  });
});

describe('positions', () => {
  const plan = {
    tradeType: 'SCALP',
    tradeTypeReason: 'comment keyword "scalp"',
    breakevenPct: 25,
    partialPct: 40,
  } as ExitPlan;
  const p: Position = {
    id: '100001',
    symbol: 'XAUUSDc',
    side: 'buy',
    volume: 0.1,
    entryPrice: 1852.009,
    sl: 1841.258,
    tp: 1873.509,
    openTime: PINNED_NOW,
    comment: 'scalp',
  };

  it("adopted: one line; the demo trader's adoption is at debug level", () => {
    const c = capture();
    c.console.adopted(p, '100001#1', plan, AT, false);
    c.console.openedByDemoTrader('100002');
    c.console.adopted({ ...p, id: '100002' }, '100002#1', plan, AT, false);
    expect(c.human).toEqual([
      '10:42:00 XAUUSDc #100001 buy 0.10  adopted: entry 1852.009, SL 1841.258, TP 1873.509; SCALP (comment keyword "scalp"), breakeven 25%, partial 40%',
    ]);
    expect(c.records.map((r) => [r.level, r.ticket, r.demo])).toEqual([
      [30, '100001', false],
      [20, '100002', true],
    ]);
  });

  it('closed: by its stop, its target, either, or neither, as the bar it went with shows', () => {
    const f = formatsOf(XAU);
    const bar = (low: number, high: number) => ({
      time: AT - 60_000,
      open: 1850,
      high,
      low,
      close: 1850,
      volume: 1,
      spread: 0.5,
    });
    expect(closedHow(p, bar(1841, 1855), '', f)).toBe('closed at the venue: SL 1841.258 reached');
    expect(closedHow(p, bar(1845, 1874), '', f)).toBe('closed at the venue: TP 1873.509 reached');
    expect(closedHow(p, bar(1840, 1874), '', f)).toBe(
      'closed at the venue: SL 1841.258 or TP 1873.509 (the last bar reached both)',
    );
    expect(closedHow(p, bar(1845, 1855), '', f)).toBe('closed at the venue');
    expect(closedHow(p, undefined, '', f)).toBe('closed at the venue');
    // A sell's stop is reached by the ask: the bar's high plus its spread.
    const sell: Position = { ...p, side: 'sell', sl: 1860, tp: 1840 };
    expect(closedHow(sell, bar(1845, 1859.6), '', f)).toBe('closed at the venue: SL 1860 reached');
  });
});

describe('the human console', () => {
  it('prints a console record as its market time and message; any other record as before', () => {
    const out: string[] = [];
    const d = prettyDestination((l) => void out.push(l));
    d.write(
      `${JSON.stringify({ level: 30, time: PINNED_NOW, name: 'warden', event: 'intent', at: AT, symbol: 'XAUUSDc', msg: 'XAUUSDc #1 buy 0.10  trail: SL 1 -> 2  applied' })}\n`,
    );
    d.write(
      `${JSON.stringify({ level: 30, time: PINNED_NOW, name: 'warden', event: 'intent', at: null, msg: 'no market time' })}\n`,
    );
    d.write(
      `${JSON.stringify({ level: 30, time: PINNED_NOW, name: 'warden', restored: 0, msg: 'session started' })}\n`,
    );
    expect(out).toEqual([
      '10:42:00 XAUUSDc #1 buy 0.10  trail: SL 1 -> 2  applied\n',
      '10:00:00 no market time\n',
      '10:00:00.000 INFO  [warden] session started restored=0\n',
    ]);
  });

  it('lots to the lot step', () => {
    expect(stepDecimals(0.01)).toBe(2);
    expect(stepDecimals(0.001)).toBe(3);
    expect(stepDecimals(1)).toBe(0);
    expect(formatsOf(XAU).lots(0.1)).toBe('0.10');
  });

  it('gives a manual change one line: what changed, from what to what, and its source', () => {
    const c = capture();
    const r = startRecord(
      newDecisionRecord(),
      AT,
      { positionId: '100003#1', symbol: 'XAUUSDc', side: 'buy' },
      'manual',
    );
    r.outcome = 'info';
    r.reason = 'manual_change';
    r.note = 'intelligent exits: on -> off; source: page';
    c.console.stored([r], () => 0.1);
    expect(c.human).toEqual(['10:42:00 XAUUSDc #100003 buy 0.10  by hand: intelligent exits: on -> off; source: page']);
    expect(c.records.at(-1)).toMatchObject({
      event: 'manual',
      ticket: '100003',
      note: 'intelligent exits: on -> off; source: page',
    });
  });
});
