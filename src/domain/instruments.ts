// Builds an Instrument from the config's instrument table (used by the paper broker, replay and
// tests; a real broker adapter reports its own rules).
import type { InstrumentRules, WardenConfig } from '../config/schema.ts';
import { bySymbol, canonicalSymbol } from './symbols.ts';
import type { Instrument } from './types.ts';

export function instrumentFromConfig(config: WardenConfig, brokerSymbol: string, hedging = true): Instrument {
  const canonical = canonicalSymbol(brokerSymbol, config.symbols);
  return instrumentFromRules(brokerSymbol, canonical, bySymbol(config.instruments, canonical), hedging);
}

/** An Instrument from one row of instrument rules (the config's, or replay's with its overrides). */
export function instrumentFromRules(
  brokerSymbol: string,
  canonical: string,
  r: InstrumentRules,
  hedging: boolean,
): Instrument {
  return {
    symbol: brokerSymbol,
    canonical,
    tickSize: r.tickSize,
    digits: r.digits,
    point: Number((10 ** -r.digits).toFixed(r.digits)),
    lotStep: r.lotStep,
    minLot: r.minLot,
    maxLot: r.maxLot,
    contractSize: r.contractSize,
    stopsLevelPoints: r.stopsLevelPoints,
    freezeLevelPoints: r.freezeLevelPoints,
    hedging,
    crypto: r.crypto,
  };
}
