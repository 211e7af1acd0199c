// A played day in shadow mode on real bars (GBPUSD, FXCM, February 2012): Warden decides on the demo
// positions, sends nothing (the paper venue applied no request of Warden's), records its would-be intents
// as shadow decisions, and scores each position: a would-be stop exit is at the would-be stop (or the
// bar's open beyond it), a position Warden never acted on has the venue's result as its would-be result,
// and the totals are the paired means of the positions.
import { expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.ts';
import { playShadowDay } from '../../../src/study/shadowDay.ts';
import { describeShared, sharedFile } from '../../support/sharedData.ts';

describeShared('a played day in shadow mode on the shared data', () => {
  it('decides, sends nothing, and scores every position against what the venue did', { timeout: 120_000 }, async () => {
    const r = await playShadowDay({
      file: sharedFile('gbpusd_fxcm_m1_2012-02.csv'),
      symbol: 'GBPUSD',
      config: configSchema.parse({}),
    });
    expect(r.day).toBe('2012-02-07');
    expect(r.bars).toBeGreaterThan(1_000);
    expect(r.sentRequests).toBe(0);
    expect(r.shadowDecisions).toBeGreaterThan(0);
    expect(r.totals.decisions).toBe(r.shadowDecisions);
    expect(r.totals.positions).toBeGreaterThan(5);
    for (const s of r.scores) {
      if (s.decisions === 0 && s.final) {
        expect(s.shadowR, s.ticket).toBe(s.actualR);
        expect(s.shadowExit, s.ticket).toEqual(s.actualExit);
      }
      if (s.shadowExit?.how === 'stop' && s.shadowExit.by !== 'the venue stop') {
        // The would-be stop was the last one Warden would have placed, tighter than the venue's.
        expect(s.wouldBeSl, s.ticket).not.toBeNull();
        if (s.side === 'buy') expect(s.shadowExit.price).toBeLessThanOrEqual(s.wouldBeSl!);
        else expect(s.shadowExit.price).toBeGreaterThanOrEqual(s.wouldBeSl!);
      }
    }
    const paired = r.scores.filter((s) => !s.virtual && s.shadowR !== null && s.actualR !== null);
    const mean = paired.reduce((a, s) => a + s.shadowR! - s.actualR!, 0) / paired.length;
    expect(r.totals.diffMeanR).toBeCloseTo(mean, 3);
    expect(r.totals.better + r.totals.worse + r.totals.same).toBe(paired.length);
  });
});
