// The shadow book: would-be stops and volumes seen through by the engine, would-be stops hit by the
// bars that cross them, actual exits read from the venue, promotion, totals, and a snapshot that
// restores the same book.
import { describe, expect, it } from 'vitest';
import type { Bar, Intent, Position } from '../../src/domain/types.ts';
import { ShadowBook, shadowTotals } from '../../src/execution/shadowBook.ts';

const T0 = Date.parse('2026-03-11T10:00:00Z');
const pos = (over: Partial<Position> = {}): Position => ({
  id: '7',
  symbol: 'XAUUSD',
  side: 'buy',
  volume: 1,
  entryPrice: 2000,
  sl: 1990,
  tp: 2020,
  openTime: T0,
  comment: '',
  ...over,
});
const bar = (time: number, o: number, h: number, l: number, c: number): Bar => ({
  time,
  open: o,
  high: h,
  low: l,
  close: c,
  volume: 0,
  spread: 0.2,
});
const intent = (over: Partial<Intent>): Intent => ({
  id: 'i',
  positionId: '7#1',
  symbol: 'XAUUSD',
  kind: 'move_stop',
  rule: 'breakeven',
  episode: 1,
  newSl: 2000.5,
  oldSl: 1990,
  volume: 0,
  time: T0,
  price: 2010,
  reason: 'test',
  targetId: '7',
  side: 'buy',
  comment: '',
  action: '',
  ...over,
});
const px =
  (b: Bar | null = null) =>
  () => ({ bid: 2010, ask: 2010.2, bar: b });

describe('ShadowBook', () => {
  it('shows the engine the would-be stop and volume, and keeps the venue as it is', () => {
    const book = new ShadowBook(['XAUUSD']);
    expect(book.overlay([pos()], T0, px())).toEqual([pos()]);
    book.apply(intent({}), T0 + 60_000, 2010, 2010.2);
    book.apply(intent({ id: 'p', kind: 'close_partial', rule: 'partial', volume: 0.4 }), T0 + 120_000, 2012, 2012.2);
    const seen = book.overlay([pos()], T0 + 180_000, px());
    expect(seen).toEqual([pos({ sl: 2000.5, volume: 0.6 })]);
    const s = book.position('7')!;
    expect(s).toMatchObject({
      wouldBeSl: 2000.5,
      venueSl: 1990,
      wouldBeVolume: 0.6,
      venueVolume: 1,
      decisions: 2,
      final: false,
    });
  });

  it('a bar crossing the would-be stop ends the would-be position at the stop (or the open beyond it); the venue exit is read later', () => {
    const book = new ShadowBook(['XAUUSD']);
    book.overlay([pos()], T0, px());
    book.apply(intent({}), T0 + 60_000, 2010, 2010.2);
    expect(book.onBar('XAUUSD', bar(T0 + 120_000, 2005, 2006, 2001, 2003), T0 + 180_000)).toEqual([]);
    expect(book.onBar('XAUUSD', bar(T0 + 180_000, 2003, 2004, 1999, 2000), T0 + 240_000)).toEqual(['7']);
    expect(book.position('7')!.shadowExit).toMatchObject({
      price: 2000.5,
      how: 'stop',
      by: expect.stringContaining('breakeven'),
    });
    // Hidden from the engine from now on; the venue still holds the position.
    expect(book.overlay([pos()], T0 + 240_000, px())).toEqual([]);
    expect(book.endReason('7')).toMatch(
      /would-be stop \(breakeven.*\) was hit at 2000.5; the position is still open at the venue/,
    );
    // The venue's stop is hit later: the actual exit, and the comparison is final.
    const stopBar = bar(T0 + 600_000, 1992, 1993, 1989, 1990);
    book.overlay([], T0 + 660_000, px(stopBar));
    const s = book.position('7')!;
    expect(s.actualExit).toMatchObject({ price: 1990, how: 'stop' });
    expect(s.final).toBe(true);
    expect(s.shadowR).toBeCloseTo(0.05, 6);
    expect(s.actualR).toBeCloseTo(-1, 6);
    const gapped = new ShadowBook(['XAUUSD']);
    gapped.overlay([pos({ side: 'sell', sl: 2010, tp: 1980 })], T0, px());
    gapped.apply(intent({ side: 'sell', newSl: 2001 }), T0, 1995, 1995.2);
    gapped.onBar('XAUUSD', bar(T0 + 60_000, 2003, 2004, 2002, 2003), T0 + 120_000);
    // A sell's stop is hit on the ask (bid + spread); the bar opened beyond it: filled at the open.
    expect(gapped.position('7')!.shadowExit!.price).toBeCloseTo(2003.2, 9);
  });

  it("a position never acted on has the venue's result as its would-be result", () => {
    const book = new ShadowBook(['XAUUSD']);
    book.overlay([pos()], T0, px());
    book.overlay([], T0 + 60_000, px(bar(T0, 2015, 2021, 2014, 2019)));
    const s = book.position('7')!;
    expect(s.actualExit).toMatchObject({ price: 2020, how: 'target' });
    expect(s.shadowR).toBe(2);
    expect(s.actualR).toBe(2);
    expect(shadowTotals(book.scores())).toMatchObject({ positions: 1, final: 1, acted: 0, diffMeanR: 0, same: 1 });
  });

  it('a would-be hedge is a position of its own until its close; live symbols pass through untouched', () => {
    const book = new ShadowBook(['XAUUSD', 'EURUSD']);
    const eur = pos({ id: '9', symbol: 'EURUSD', entryPrice: 1.1, sl: 1.09, tp: 1.12 });
    book.overlay([pos(), eur], T0, px());
    const hedge = book.apply(
      intent({
        id: 'h',
        kind: 'open',
        rule: 'dtms',
        side: 'sell',
        volume: 0.5,
        newSl: 2015,
        targetId: '',
        comment: 'DTMS_hedge',
        action: 'open_hedge',
      }),
      T0,
      2010,
      2010.2,
    );
    expect(hedge).toBe('shadow:1');
    const seen = book.overlay([pos(), eur], T0 + 60_000, px());
    expect(seen.map((p) => p.id)).toEqual(['7', '9', 'shadow:1']);
    expect(seen[2]).toMatchObject({ side: 'sell', volume: 0.5, entryPrice: 2010, sl: 2015 });
    book.apply(
      intent({ id: 'hc', kind: 'close', rule: 'dtms', targetId: 'shadow:1', action: 'close_hedge' }),
      T0 + 120_000,
      2005,
      2005.2,
    );
    expect(book.overlay([pos(), eur], T0 + 180_000, px()).map((p) => p.id)).toEqual(['7', '9']);
    // A would-be sell from 2010 closed at the ask 2005.2: +4.8 x 0.5 lots.
    expect(book.position('shadow:1')!.shadowMove).toBeCloseTo(2.4, 9);
  });

  it('promotion ends the would-be copies of the symbol and lets the venue through; the book survives a snapshot', () => {
    const book = new ShadowBook(['XAUUSD', 'EURUSD']);
    book.overlay([pos()], T0, px());
    book.apply(intent({}), T0, 2010, 2010.2);
    const restored = new ShadowBook(['XAUUSD', 'EURUSD'], JSON.parse(JSON.stringify(book.snapshot())));
    expect(restored.overlay([pos()], T0 + 60_000, px())).toEqual([pos({ sl: 2000.5 })]);
    expect(restored.promote('XAUUSD', T0 + 60_000)).toEqual(['7']);
    expect(restored.promote('XAUUSD', T0 + 60_000)).toEqual([]);
    expect(restored.shadows('XAUUSD')).toBe(false);
    expect(restored.shadowed()).toEqual(['EURUSD']);
    expect(restored.overlay([pos()], T0 + 120_000, px())).toEqual([pos()]);
    expect(restored.position('7')!.shadowExit).toMatchObject({ how: 'promoted' });
    expect(new ShadowBook(['XAUUSD', 'EURUSD'], restored.snapshot()).shadows('XAUUSD')).toBe(false);
  });

  it('a ticket holding another position ends the one before', () => {
    const book = new ShadowBook(['XAUUSD']);
    book.overlay([pos()], T0, px());
    book.overlay([pos({ openTime: T0 + 3_600_000, entryPrice: 2030, sl: 2020 })], T0 + 3_600_000, px());
    const scores = book.scores();
    expect(scores).toHaveLength(2);
    expect(scores.filter((s) => s.actualExit !== null)).toHaveLength(1);
  });
});
