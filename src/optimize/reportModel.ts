// report.json of `warden optimize`, described by zod: what was searched, every trial's in-sample scores,
// each walk-forward fold's chosen config in sample and out of sample beside the trader's own config on
// the same entries, the probability of backtest overfitting, and the config written to best.yaml.
// Times are ISO-8601 UTC. Nothing in it depends on when or on how many threads it ran.
import { z } from 'zod';
import { bookSummarySchema, OBJECTIVES } from './objective.ts';
import { pboSchema } from './pbo.ts';
import { trialParamsSchema } from './searchSpace.ts';

const meanSe = z.object({ n: z.number().int(), mean: z.number().nullable(), se: z.number().nullable() });

export const windowSchema = z.object({
  index: z.number().int(),
  firstBar: z.string(),
  lastBar: z.string(),
  bars: z.number().int(),
  entries: z.number().int(),
});

export const optimizeReportSchema = z.object({
  generatedBy: z.string(),
  tunedOn: z.object({
    files: z.array(z.string()),
    symbol: z.string(),
    canonical: z.string(),
    timeframe: z.string(),
    bars: z.number().int(),
    first: z.string(),
    last: z.string(),
    entries: z.string(),
    entryCount: z.number().int(),
  }),
  objective: z.enum(OBJECTIVES),
  seed: z.number().int(),
  trialCount: z.number().int(),
  warmupBars: z.number().int(),
  searchSpace: z.array(
    z.object({
      name: z.string(),
      label: z.string(),
      kind: z.enum(['float', 'int', 'bool']),
      paths: z.array(z.string()),
      min: z.number(),
      max: z.number(),
    }),
  ),
  baselineParams: trialParamsSchema,
  windows: z.array(windowSchema),
  trials: z.array(
    z.object({
      index: z.number().int(),
      params: trialParamsSchema,
      /** Per fold: the share of the training window it was last scored on, and that score. */
      inSample: z.array(z.object({ fold: z.number().int(), fraction: z.number(), score: z.number().nullable() })),
    }),
  ),
  folds: z.array(
    z.object({
      fold: z.number().int(),
      trainWindow: z.number().int(),
      testWindow: z.number().int(),
      rungs: z.array(z.object({ fraction: z.number(), trials: z.number().int() })),
      chosenTrial: z.number().int(),
      params: trialParamsSchema,
      inSample: bookSummarySchema,
      outOfSample: bookSummarySchema,
      baseline: z.object({ inSample: bookSummarySchema, outOfSample: bookSummarySchema }),
      /** R(chosen) - R(baseline) per entry traded by both, mean and standard error. */
      pairedOutOfSample: meanSe,
      pairedInSample: meanSe,
    }),
  ),
  gap: z.object({
    meanInSample: z.number().nullable(),
    meanOutOfSample: z.number().nullable(),
    meanBaselineOutOfSample: z.number().nullable(),
    /** meanInSample - meanOutOfSample: how much of the in-sample score did not carry over. */
    gap: z.number().nullable(),
  }),
  pbo: pboSchema.extend({ computedOn: z.string() }),
  best: z.object({
    trial: z.number().int(),
    rule: z.string(),
    params: trialParamsSchema,
    /** Its objective on every window, in window order, and the trader's own config's. */
    windowScores: z.array(z.number().nullable()),
    baselineWindowScores: z.array(z.number().nullable()),
    /**
     * Its mean over the training windows beside the trader's own config's: when the search found
     * nothing better than the config it started from, best.yaml and the command say so (keep yours).
     */
    meanTraining: z.number().nullable(),
    baselineMeanTraining: z.number().nullable(),
    beatsBaseline: z.boolean(),
  }),
});

export type OptimizeReport = z.infer<typeof optimizeReportSchema>;
