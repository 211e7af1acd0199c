// The live soak, short: `warden serve` in a child process driving the real adapters (ccxt over the fake
// Binance USD-M API, MetaApi over the fake SDK connection) whose venue lives in the test process, fed a
// day of real XAUUSD M1 bars from ../shared/data a bar at a time, with a trader's hand at the venue
// (opens, closes, reopens of the same side, stop moves), SIGKILLs and restarts on the same store, and a
// tenth of the venue's write requests failing. After every step: nothing applied twice, every intent
// settled, every flag true at the venue, no stop loosened, the venue's stop equal to Warden's view
// (test/soak/soakChecks.ts). The long run: `node --import tsx scripts/soak.ts` (5 days per venue, 20 kills).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readBars, sharedFile, describeShared } from '../support/sharedData.ts';
import { runSoak, SoakFailure, type SoakFigures } from '../soak/soakRun.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-soak-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A day of market time per venue, after 1,000 bars of history. */
const HISTORY = 1000;
const PLAY = 1440;

async function soak(venue: 'binance' | 'metaapi', seed: number, offset: number): Promise<SoakFigures> {
  const bars = readBars(sharedFile('xauusd_oanda_m1_2014-05.csv')).slice(offset);
  try {
    return await runSoak({
      venue,
      bars,
      historyBars: HISTORY,
      playBars: PLAY,
      kills: 5,
      faultRate: 0.1,
      seed,
      dir: join(dir, venue),
      stopOnViolation: true,
    });
  } catch (err) {
    // The failure says what the checks saw; the figures say how far the run got.
    if (err instanceof SoakFailure)
      throw new Error(`${err.message}\nfigures: ${JSON.stringify({ ...err.figures, violations: undefined })}`);
    throw err;
  }
}

function expectSound(f: SoakFigures): void {
  expect(f.violations).toEqual([]);
  expect(f.barsPlayed).toBe(PLAY);
  // Five kills, every one followed by a start that came up; a step cut short by a kill is not counted.
  expect(f.killsTotal).toBe(5);
  expect(f.restarts).toBe(5);
  expect(f.steps).toBeGreaterThanOrEqual(PLAY - 5);
  expect(f.cleanStopExitCode).toBe(0);
  expect(f.intents.stillOpen).toBe(0);
  // The soak did soak: the trader traded, Warden decided and sent, the venue failed some of it.
  expect(f.trader.opens).toBeGreaterThan(10);
  expect(f.trader.reopens).toBeGreaterThan(0);
  expect(f.intents.applied).toBeGreaterThan(10);
  expect(f.faultsTotal).toBeGreaterThan(0);
  expect(f.checks['flags']).toBeGreaterThan(PLAY / 2);
  expect(f.checks['view_equals_venue']).toBeGreaterThan(PLAY);
}

describeShared('live soak through the real adapters (short: a day per venue, 5 kills each, 10% faults)', () => {
  it.concurrent('ccxt over the fake Binance USD-M API', async () => {
    const f = await soak('binance', 11, 0);
    expectSound(f);
    // Binance: one position per symbol and side, so a reopen is the same position id, a new lifetime.
    expect(f.lifetimes.reusedTicket).toBeGreaterThan(0);
  }, 240_000);

  // On Binance a stop move places the new stop, then cancels the old one. `warden serve` killed between the
  // two leaves the position with two stops, never none: the restarted session reads the newest as the stop
  // (the adapter cancels the older one), so no move is found cut short and nothing needs putting back. (When
  // moves were cancel, then place, this run found a kill leaving no stop, and a DTMS tighten placing 1281.41
  // where the trader's stop was 1281.78.) Breakeven at 30% of the way to TP and the original bot's
  // DTMS thresholds move stops often, so the kills land between a new stop and the old one's cancel.
  it.concurrent('a kill between the new stop and the cancel of the old one in a Binance stop move: never without a stop, never looser', async () => {
    const bars = readBars(sharedFile('xauusd_oanda_m1_2014-05.csv'));
    const configExtra = {
      exits: { breakeven: { atR: null }, rmag: { vwapFactor: 0.9 } },
      dtms: {
        graceMinutes: 0,
        minAdverseLayers: 1,
        scores: { warningL1: -2, healthyFromL1: 0, warningL2: -4, l1FromL2: -2, hedge: -6 },
      },
    };
    const f = await runSoak({
      venue: 'binance',
      bars,
      historyBars: HISTORY,
      playBars: 144,
      kills: 2,
      killKinds: ['after_write'],
      faultRate: 0,
      seed: 5,
      dir: join(dir, 'window'),
      stopOnViolation: false,
      configExtra,
    });
    expect(f.violations).toEqual([]);
    expect(f.intents.byKind['move_stop:restore'] ?? 0).toBe(0);
  }, 240_000);

  it.concurrent('MetaApi over the fake SDK connection', async () => {
    const f = await soak('metaapi', 12, 3000);
    expectSound(f);
    expect(f.lifetimes.total).toBeGreaterThan(10);
  }, 240_000);
});
