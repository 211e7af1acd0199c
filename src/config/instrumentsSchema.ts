// The instruments section: a symbol's contract (tick, digits, lot steps, contract size, the venue's stop
// and freeze distances) and the built-in table of them, for where no venue supplies its own.
import { z } from 'zod';

export const instrumentRules = z.strictObject({
  tickSize: z.number().positive({ error: 'must be greater than 0' }),
  digits: z.number().int().min(0).max(10),
  lotStep: z.number().positive({ error: 'must be greater than 0' }),
  minLot: z.number().positive({ error: 'must be greater than 0' }),
  maxLot: z.number().positive({ error: 'must be greater than 0' }),
  contractSize: z.number().positive({ error: 'must be greater than 0' }),
  stopsLevelPoints: z.number().min(0, { error: 'must be 0 or more' }),
  freezeLevelPoints: z.number().min(0, { error: 'must be 0 or more' }),
  crypto: z.boolean(),
  /**
   * Replay only: the spread (in points) of a bar file whose spreads are all 0 or missing, as MT5 exports
   * often are; replay without it then needs --spread-points. A typical retail spread, not a best case.
   */
  defaultSpreadPoints: z.number().min(0, { error: 'must be 0 or more' }).optional(),
});

/** Instrument rules for the paper broker and replay when the broker does not supply them. */
// Default spreads (points; a point is 10^-digits): gold 0.25 USD (the Oanda 2014 M1 median is 0.26),
// EURUSD 1.0 pip, GBPUSD 1.2 pips, USDJPY 1.0 pip, BTCUSD 10 USD: a standard retail account's usual
// spread, so a replay of spread-less data is not free. DEFAULT has none: an instrument Warden does not
// know has no sensible guess.
export const DEFAULT_INSTRUMENTS = {
  XAUUSD: {
    tickSize: 0.001,
    digits: 3,
    lotStep: 0.01,
    minLot: 0.01,
    maxLot: 100,
    contractSize: 100,
    stopsLevelPoints: 0,
    freezeLevelPoints: 0,
    crypto: false,
    defaultSpreadPoints: 250,
  },
  EURUSD: {
    tickSize: 0.00001,
    digits: 5,
    lotStep: 0.01,
    minLot: 0.01,
    maxLot: 100,
    contractSize: 100_000,
    stopsLevelPoints: 0,
    freezeLevelPoints: 0,
    crypto: false,
    defaultSpreadPoints: 10,
  },
  GBPUSD: {
    tickSize: 0.00001,
    digits: 5,
    lotStep: 0.01,
    minLot: 0.01,
    maxLot: 100,
    contractSize: 100_000,
    stopsLevelPoints: 0,
    freezeLevelPoints: 0,
    crypto: false,
    defaultSpreadPoints: 12,
  },
  USDJPY: {
    tickSize: 0.001,
    digits: 3,
    lotStep: 0.01,
    minLot: 0.01,
    maxLot: 100,
    contractSize: 100_000,
    stopsLevelPoints: 0,
    freezeLevelPoints: 0,
    crypto: false,
    defaultSpreadPoints: 10,
  },
  BTCUSD: {
    tickSize: 0.01,
    digits: 2,
    lotStep: 0.01,
    minLot: 0.01,
    maxLot: 50,
    contractSize: 1,
    stopsLevelPoints: 0,
    freezeLevelPoints: 0,
    crypto: true,
    defaultSpreadPoints: 1000,
  },
  DEFAULT: {
    tickSize: 0.00001,
    digits: 5,
    lotStep: 0.01,
    minLot: 0.01,
    maxLot: 100,
    contractSize: 100_000,
    stopsLevelPoints: 0,
    freezeLevelPoints: 0,
    crypto: false,
  },
} as const;
