// The history the engine needs before it decides on a symbol: its exit rules' market features, and
// DTMS's layers when DTMS is on.
import type { EngineConfig } from '../config/schema.ts';
import type { Timeframe } from '../domain/types.ts';
import { dtmsFeatureRequirements } from '../dtms/dtmsFeatures.ts';
import { strategyTimeframes } from '../exits/strategyTemplates.ts';
import { resolveSymbolParams } from '../exits/symbolParams.ts';
import { symbolFeatureRequirements } from '../features/featureRequirements.ts';
import type { FeatureRequirement } from '../features/warmUp.ts';

/**
 * What the engine's features need of history for a symbol (canonical name), per feature and timeframe:
 * the exit rules' market features at the symbol's ATR timeframe, plus the DTMS layers when DTMS is on.
 * A live start asks the venue for barsPerTimeframe(...) of these.
 */
export function featureRequirements(
  config: EngineConfig,
  canonical: string,
  baseTimeframe: Timeframe = 'M1',
): FeatureRequirement[] {
  const params = resolveSymbolParams(config.exits, canonical);
  const own = symbolFeatureRequirements(
    config.features,
    params.atrTimeframe,
    baseTimeframe,
    strategyTimeframes(config.exits),
  );
  return config.dtms.enabled ? [...own, ...dtmsFeatureRequirements(baseTimeframe)] : own;
}
