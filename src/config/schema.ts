// Warden's configuration: one zod schema with every default and every field's allowed range.
// An out-of-range value is refused with its field path and the allowed range; nothing is silently replaced.
// The exit decisions' sections (symbols, exits, features, dtms) are here; the broker, notify, instruments
// and running-service sections are in their own modules beside this one.
import { z } from 'zod';
import { accountsSchema } from './accountsSchema.ts';
import { brokerSchema } from './brokerSchema.ts';
import { DEFAULT_INSTRUMENTS, instrumentRules } from './instrumentsSchema.ts';
import { normaliseStrategyName, STRATEGY_NAME } from '../domain/strategyName.ts';
import { bufferMultiplier, percent, range, trailingMultiplier } from './ranges.ts';
import { notifySchema } from './notifySchema.ts';
import { executionSchema, proposalsSchema, serviceSchema } from './serviceSchema.ts';

// The brokers and replay read the built-in instrument table and its rule schema from here, with the rest.
export { DEFAULT_INSTRUMENTS, instrumentRules };

/** Breakeven at this many R of profit (exits.breakeven.atR and a strategy template's breakevenR). */
const breakevenAtR = () => range(0.05, 20);

export const TIMEFRAME_VALUES = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4'] as const;
export const SESSION_VALUES = ['ASIAN', 'LONDON', 'OVERLAP', 'NY', 'POST_NY'] as const;
export const TRADE_TYPE_VALUES = ['SCALP', 'INTRADAY', 'WEEKEND'] as const;

const sessionAdjustment = z.strictObject({
  trailingMultiplier: trailingMultiplier().optional(),
  bufferMultiplier: bufferMultiplier().optional(),
});

const symbolExitParams = z.strictObject({
  trailingMultiplier: trailingMultiplier(),
  bufferMultiplier: bufferMultiplier(),
  /** Minimum SL improvement for a trailing move, % of price. */
  minSlChangePct: range(0, 5),
  atrTimeframe: z.enum(TIMEFRAME_VALUES),
  sessions: z.partialRecord(z.enum(SESSION_VALUES), sessionAdjustment).default({}),
});

const tradeTypeBase = z.strictObject({
  breakevenPct: percent(),
  partialPct: percent(),
  partialClosePct: percent(),
});

/** A table keyed by canonical symbol that must hold a DEFAULT entry. */
const symbolTable = <T extends z.ZodType>(entry: T) =>
  z.record(z.string().min(1), entry).refine((t) => 'DEFAULT' in t, { error: 'must have a DEFAULT entry' });

export const DEFAULT_SESSION_ADJUSTMENTS = {
  BTCUSD: {
    ASIAN: { trailingMultiplier: 2.2, bufferMultiplier: 0.6 },
    LONDON: { trailingMultiplier: 2.0, bufferMultiplier: 0.5 },
    NY: { trailingMultiplier: 2.0, bufferMultiplier: 0.5 },
    OVERLAP: { trailingMultiplier: 1.8, bufferMultiplier: 0.4 },
  },
  XAUUSD: {
    ASIAN: { trailingMultiplier: 1.8, bufferMultiplier: 0.4 },
    LONDON: { trailingMultiplier: 1.5, bufferMultiplier: 0.3 },
    NY: { trailingMultiplier: 1.5, bufferMultiplier: 0.3 },
    OVERLAP: { trailingMultiplier: 1.3, bufferMultiplier: 0.25 },
  },
  EURUSD: {
    ASIAN: { trailingMultiplier: 1.4, bufferMultiplier: 0.25 },
    LONDON: { trailingMultiplier: 1.2, bufferMultiplier: 0.2 },
    NY: { trailingMultiplier: 1.2, bufferMultiplier: 0.2 },
    OVERLAP: { trailingMultiplier: 1.1, bufferMultiplier: 0.15 },
  },
  GBPUSD: {
    ASIAN: { trailingMultiplier: 1.5, bufferMultiplier: 0.3 },
    LONDON: { trailingMultiplier: 1.3, bufferMultiplier: 0.25 },
    NY: { trailingMultiplier: 1.3, bufferMultiplier: 0.25 },
    OVERLAP: { trailingMultiplier: 1.2, bufferMultiplier: 0.2 },
  },
  USDJPY: {
    ASIAN: { trailingMultiplier: 1.4, bufferMultiplier: 0.25 },
    LONDON: { trailingMultiplier: 1.2, bufferMultiplier: 0.2 },
    NY: { trailingMultiplier: 1.2, bufferMultiplier: 0.2 },
    OVERLAP: { trailingMultiplier: 1.1, bufferMultiplier: 0.15 },
  },
} as const;

/**
 * The per-symbol defaults, with `minSlChangePct` 0: a minimum change of 0.05-0.1% of price is 0.4-1.8 x
 * ATR(M15) on these instruments (most on FX), and on real data it kept 40-80% of breakeven trades from
 * ever trailing. The minimum change is `exits.trailing.minChangeAtr` now; a % of price can still be
 * set per symbol (the larger of the two applies).
 */
export const DEFAULT_SYMBOL_PARAMS = {
  BTCUSD: {
    trailingMultiplier: 2.0,
    bufferMultiplier: 0.5,
    minSlChangePct: 0,
    atrTimeframe: 'M15',
    sessions: DEFAULT_SESSION_ADJUSTMENTS.BTCUSD,
  },
  XAUUSD: {
    trailingMultiplier: 1.5,
    bufferMultiplier: 0.3,
    minSlChangePct: 0,
    atrTimeframe: 'M15',
    sessions: DEFAULT_SESSION_ADJUSTMENTS.XAUUSD,
  },
  EURUSD: {
    trailingMultiplier: 1.2,
    bufferMultiplier: 0.2,
    minSlChangePct: 0,
    atrTimeframe: 'M15',
    sessions: DEFAULT_SESSION_ADJUSTMENTS.EURUSD,
  },
  GBPUSD: {
    trailingMultiplier: 1.3,
    bufferMultiplier: 0.25,
    minSlChangePct: 0,
    atrTimeframe: 'M15',
    sessions: DEFAULT_SESSION_ADJUSTMENTS.GBPUSD,
  },
  USDJPY: {
    trailingMultiplier: 1.2,
    bufferMultiplier: 0.2,
    minSlChangePct: 0,
    atrTimeframe: 'M15',
    sessions: DEFAULT_SESSION_ADJUSTMENTS.USDJPY,
  },
  DEFAULT: { trailingMultiplier: 1.5, bufferMultiplier: 0.3, minSlChangePct: 0, atrTimeframe: 'M15', sessions: {} },
} as const;

/**
 * A named parameter template of the exit plan (a strategy type's profile). Every field is optional:
 * what a template leaves out comes from the exits settings as for a position without one. The
 * template sets the base; the advanced trigger rules and the session adjustments then work from it.
 */
export const strategyTemplate = z
  .strictObject({
    /** Base breakeven trigger, % of the way to TP (2R without one); set alone, it replaces a breakeven in R. */
    breakevenPct: percent().optional(),
    /** Base breakeven trigger in R of profit (wins over breakevenPct for a position with a stop). */
    breakevenR: breakevenAtR().optional(),
    /** Base partial trigger, % of the way to TP (2R without one). */
    partialPct: percent().optional(),
    /** Share of the original volume the partial closes, %. */
    partialClosePct: percent().optional(),
    trailingEnabled: z.boolean().optional(),
    /** Trail distance in ATR, in place of the symbol's multiplier (the session adjusts it by the same ratio). */
    trailingMultiplier: trailingMultiplier().optional(),
    /** Timeframe of the ATR the trail distance is measured in (a timeframe finer than the bars fed reads the bars' own). */
    trailingTimeframe: z.enum(TIMEFRAME_VALUES).optional(),
    /** Breakeven buffer in ATR, in place of the symbol's (the session adjusts it by the same ratio). */
    bufferMultiplier: bufferMultiplier().optional(),
  })
  .superRefine((t, ctx) => {
    if (t.breakevenPct !== undefined && t.partialPct !== undefined && !(t.partialPct > t.breakevenPct)) {
      ctx.addIssue({
        code: 'custom',
        path: ['partialPct'],
        message: `must be above breakevenPct (${t.breakevenPct}): the partial close comes after breakeven`,
      });
    }
  });

/**
 * The original bot's 13 strategy types as templates: the five its stop manager had parameters for, and
 * the eight SMC types its API also accepted. Its breakeven triggers are in R; its trailing methods other
 * than ATR (structure, micro CHOCH, displacement) are ATR trailing here, on the timeframe it trailed on.
 * Its breakout partial at 1.5R is 75% of the way to a 2R target (the reference without a TP). The SMC
 * types had no parameters of their own and took its default rules: here they set nothing and take
 * Warden's exits defaults, its counterpart of those.
 */
export const DEFAULT_STRATEGIES = {
  breakout_ib_volatility_trap: {
    breakevenR: 1,
    partialPct: 75,
    partialClosePct: 50,
    trailingMultiplier: 1.5,
    trailingTimeframe: 'M5',
  },
  trend_continuation_pullback: { breakevenR: 1, trailingTimeframe: 'M5' },
  liquidity_sweep_reversal: { breakevenR: 0.5, trailingTimeframe: 'M1' },
  order_block_rejection: { breakevenR: 1, trailingTimeframe: 'M5' },
  mean_reversion_range_scalp: { breakevenR: 0.5, trailingEnabled: false },
  breaker_block: {},
  market_structure_shift: {},
  fvg_retracement: {},
  mitigation_block: {},
  inducement_reversal: {},
  premium_discount_array: {},
  session_liquidity_run: {},
  kill_zone: {},
} as const;

/** A template named where one is chosen (a symbol's entry): normalised, then a name's shape. */
const strategyRef = z
  .string()
  .transform(normaliseStrategyName)
  .pipe(
    z.string().regex(STRATEGY_NAME, {
      error: 'a strategy template name is lower-case letters, digits and _ (e.g. breakout_ib_volatility_trap)',
    }),
  );

export const symbolsSchema = z
  .strictObject({
    /** Broker decorations stripped to get the canonical symbol (suffixes, matched case-sensitively). */
    decorations: z.array(z.string().min(1)).default(['c', 'm', '.pro', '.raw', '.ecn', '-ecn', '.a', '.r']),
    /** Symbols that pass through unchanged (indices). */
    passthrough: z.array(z.string().min(1)).default(['DXY', 'VIX', 'US10Y', 'SPX']),
  })
  .prefault({});

export const exitsSchema = z
  .strictObject({
    /** Register an exit plan for every position Warden sees (however it was opened). */
    autoEnable: z.boolean().default(true),
    /** `buffered`: entry + spread - ATR buffer. `lock`: entry + spread + offset. */
    breakevenMode: z.enum(['buffered', 'lock']).default('buffered'),
    /** Lock mode offset beyond entry + spread, in points. */
    lockOffsetPoints: z.number().min(0, { error: 'must be 0 or more' }).default(0),
    /** Fallback buffer when ATR is unavailable, % of entry. */
    fallbackBufferPct: range(0, 5).default(0.1),
    /**
     * Whether a trailing gate or an advanced trigger rule whose input is missing (a feature still
     * warming up) counts as passed. null: by the account (see config/accountDefaults.ts): false on a
     * real account (the trail waits and its record names the gate without data), true on the paper
     * account and in replay (the original's behaviour, which the replay results are made with).
     */
    noDataPasses: z.boolean().nullable().default(null),
    tradeTypes: z.strictObject({ SCALP: tradeTypeBase, INTRADAY: tradeTypeBase, WEEKEND: tradeTypeBase }).prefault({
      SCALP: { breakevenPct: 25, partialPct: 40, partialClosePct: 70 },
      INTRADAY: { breakevenPct: 30, partialPct: 60, partialClosePct: 50 },
      WEEKEND: { breakevenPct: 25, partialPct: 50, partialClosePct: 60 },
    }),
    classifier: z
      .strictObject({
        scalpKeywords: z
          .array(z.string().min(1))
          .default([
            'scalp',
            'scalping',
            'scalper',
            'micro',
            'quick',
            'fast',
            'rapid',
            'short',
            'brief',
            'momentum',
            'quick trade',
            'fast exit',
            'take profits',
          ]),
        intradayKeywords: z
          .array(z.string().min(1))
          .default([
            'swing',
            'intraday',
            'hold',
            'position',
            'trend',
            'runner',
            'daily',
            'session',
            'full target',
            'let it run',
          ]),
        /** Stop distance / ATR(H1) at or below this means SCALP. */
        scalpStopAtrRatio: z.number().positive().default(1.0),
      })
      .prefault({}),
    rmag: z
      .strictObject({
        thresholds: symbolTable(range(0.5, 20)).default({ BTCUSD: 4.0, XAUUSD: 2.0, DEFAULT: 2.0 }),
        /**
         * VWAP distance counts as stretched above this share of the threshold. 1.5: the session VWAP
         * is a short anchor whose distance in ATR(M15) grows through every day; at the original's 0.9
         * it flagged a further 3-6% of trades on the FX and gold sets as stretched.
         */
        vwapFactor: range(0.1, 2).default(1.5),
        tightenBreakevenPct: percent().default(20),
        tightenPartialPct: percent().default(40),
      })
      .prefault({}),
    /**
     * Each advanced trigger rule can be switched off (a classic policy such as "breakeven at exactly
     * 1R" has none of them). A rule that is off never changes the trade-type percentages.
     */
    triggers: z
      .strictObject({
        rmagStretched: z.boolean().default(true),
        qualityTrend: z.boolean().default(true),
        squeeze: z.boolean().default(true),
        fakeMomentum: z.boolean().default(true),
        mtfAligned: z.boolean().default(true),
        liquidityRisk: z.boolean().default(true),
        vwapOuter: z.boolean().default(true),
      })
      .prefault({}),
    breakeven: z
      .strictObject({
        /** Off: the stop is never moved to breakeven (trailing then starts from the trail's critical gate alone). */
        enabled: z.boolean().default(true),
        /**
         * Trigger breakeven at this many R of profit, scaled as the advanced rules scale the trade
         * type's percent (RMAG stretched on an INTRADAY trade: 20/30 of it, 0.67R; a quality trend:
         * 40/30, 1.33R). null: the trade type's % of the way to TP decides (exits.tradeTypes).
         * 1R by default, from the study on six real data sets with generated entries: the trade types'
         * 25-30% of the way to a 2R target (0.5-0.6R, pulled to 0.4R by the advanced rules) stopped
         * 7% of trades near breakeven whose untouched twin went on to take profit (1% at 1R), and on
         * the trending USDJPY set cost -0.076 +/- 0.046 R per trade against no management at all
         * (-0.029 +/- 0.036 at 1R).
         */
        atR: breakevenAtR().nullable().default(1),
      })
      .prefault({}),
    partial: z
      .strictObject({
        /** Off: no partial profit is taken. */
        enabled: z.boolean().default(true),
      })
      .prefault({}),
    /** Advanced trigger refresh cadence before breakeven, seconds of engine time. */
    refreshIntervalSec: z.number().int().min(0).max(86_400).default(300),
    trailing: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Critical gate: partial done or R achieved at least this. */
        criticalRAchieved: range(0, 10).default(0.6),
        /** Up to this many advisory failures keep the symbol multiplier; more use the wide one. */
        maxAdvisoryFailures: z.number().int().min(0).max(5).default(2),
        /** Wide multiplier = symbol multiplier x this (1.5 becomes 2.0). */
        wideFactor: range(1, 3).default(4 / 3),
        mtfMinAligned: z.number().int().min(0).max(3).default(2),
        hvnMinDistAtr: range(0, 10).default(0.3),
        /**
         * The smallest stop improvement worth a trail move, in ATR of the symbol's ATR timeframe (0: any
         * tick). Measured in ATR because the old minimum, a % of price, was 0.4-1.8 ATR(M15) depending on
         * the instrument and kept FX trades from ever trailing (USDJPY trailed on 7% of breakeven trades).
         * At 0.05 ATR a stop moves at most 20 times per ATR of favourable move, not every tick (0.1
         * left 19-21% of breakeven trades untrailed on XAUUSD and EURUSD, 0.05 16-19%).
         */
        minChangeAtr: range(0, 2).default(0.05),
        /**
         * After breakeven, the trail's distance is at most the distance the breakeven stop had from
         * price when breakeven triggered (the profit at the trigger + the breakeven buffer): every further
         * favourable move steps the stop up from the breakeven stop, instead of waiting for price to get
         * a full ATR trail distance beyond it. Without it, 32-55% of breakeven trades never trailed
         * (5-19% with it), and a quarter of all trades closed at the breakeven stop (6% with it).
         */
        fromBreakevenStop: z.boolean().default(true),
        /**
         * The trail distance shrinks by this share for each R of profit beyond 1R, down to half
         * (0: a constant distance): a trade far in profit gives back less of it.
         */
        tightenPerR: range(0, 1).default(0.2),
        /**
         * Each gate can be switched off (an off gate always passes and is reported as passed). The
         * critical gate's R threshold is never above the R at which breakeven triggered: a breakeven
         * pulled early by the advanced rules (0.4-0.5R) no longer leaves the trail waiting for 0.6R.
         */
        gates: z
          .strictObject({
            critical: z.boolean().default(true),
            volatility: z.boolean().default(true),
            mtf: z.boolean().default(true),
            rmag: z.boolean().default(true),
            vwap: z.boolean().default(true),
            hvn: z.boolean().default(true),
          })
          .prefault({}),
      })
      .prefault({}),
    symbolParams: symbolTable(symbolExitParams).prefault(DEFAULT_SYMBOL_PARAMS as never),
    /** Strategy templates by name (see strategyTemplate); yours merge over the built-in ones, field by field. */
    strategies: z
      .record(
        z.string().regex(STRATEGY_NAME, {
          error: 'a strategy template name is lower-case letters, digits and _ (e.g. breakout_ib_volatility_trap)',
        }),
        strategyTemplate,
      )
      .prefault(DEFAULT_STRATEGIES as never),
    /**
     * The template a position on this symbol gets when neither the API nor its comment names one
     * (null: none, the exits defaults).
     */
    strategyBySymbol: symbolTable(strategyRef.nullable()).default({ DEFAULT: null }),
  })
  .superRefine((x, ctx) => {
    // A symbol naming a template that does not exist would silently run on the defaults.
    if (typeof x.strategies !== 'object' || typeof x.strategyBySymbol !== 'object') return;
    const known = Object.keys(x.strategies);
    for (const [symbol, name] of Object.entries(x.strategyBySymbol)) {
      if (name === null || Object.hasOwn(x.strategies, name)) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['strategyBySymbol', symbol],
        input: name,
        message: `unknown strategy template "${name}": known are ${known.join(', ')}`,
      });
    }
  })
  .prefault({});

export const featuresSchema = z
  .strictObject({
    /** Timeframe the trigger features (RMAG, slopes, squeeze, RSI/ADX) are read from (original: M15). */
    timeframe: z.enum(TIMEFRAME_VALUES).default('M15'),
    /** Timeframe of the volume profile (original: M5) and its window in bars. */
    volumeProfileTimeframe: z.enum(TIMEFRAME_VALUES).default('M5'),
    volumeProfileBars: z.number().int().min(20).max(2000).default(200),
    volumeProfileBins: z.number().int().min(5).max(200).default(20),
    /** Hour (UTC) the VWAP session starts each day. */
    vwapAnchorHourUtc: z.number().int().min(0).max(23).default(0),
  })
  .prefault({});

/** DTMS score thresholds (the original bot's); the ordering below is what the state machine needs to make sense. */
const dtmsScores = z
  .strictObject({
    /** Enter WARNING_L1 at a score at or below this (the original's -2 acted on 50-60% of random entries, mostly in their first hour). */
    warningL1: range(-30, 30).default(-5),
    /** Leave WARNING_L1 back to HEALTHY at or above this. */
    healthyFromL1: range(-30, 30).default(0),
    /** Enter WARNING_L2 at or below this (original: -4). */
    warningL2: range(-30, 30).default(-8),
    /** Leave WARNING_L2 back to WARNING_L1 at or above this (original: -2). */
    l1FromL2: range(-30, 30).default(-5),
    /**
     * Hedge (or close, on a netting account) at or below this (original: -6); also the score that
     * lets DTMS act inside the grace period. At -6 to -12 a structure break (-9) plus a momentum
     * reading (-4.8) against a 15-minute-old trade, routine on BTC, tightened it on 19-27% of BTC
     * trades in their first hour (17-18% at -14).
     */
    hedge: range(-30, 30).default(-14),
    /** Recovery (from HEDGED) and a healthy end of the recovery need at least this. */
    recover: range(-30, 30).default(1),
  })
  .superRefine((s, ctx) => {
    // Escalation goes down the scale, and each way back sits strictly above its way in (hysteresis).
    // A value already refused (wrong type, out of range) is reported once, by its own field.
    if (!Object.values(s).every((v) => typeof v === 'number' && v >= -30 && v <= 30)) return;
    const rules: [lower: keyof typeof s, upper: keyof typeof s, why: string][] = [
      ['hedge', 'warningL2', 'escalation order hedge < warningL2 < warningL1'],
      ['warningL2', 'warningL1', 'escalation order hedge < warningL2 < warningL1'],
      ['warningL1', 'healthyFromL1', 'hysteresis: leaving WARNING_L1 needs a better score than entering it'],
      ['warningL2', 'l1FromL2', 'hysteresis: leaving WARNING_L2 needs a better score than entering it'],
    ];
    for (const [lower, upper, why] of rules) {
      if (!(s[lower] < s[upper])) {
        ctx.addIssue({
          code: 'custom',
          input: s,
          message: `${lower} (${s[lower]}) must be less than ${upper} (${s[upper]}) (${why})`,
        });
      }
    }
  });

export const dtmsSchema = z
  .strictObject({
    /** Defend every position Warden sees (auto-enable), as the original's auto-registration intends. */
    enabled: z.boolean().default(true),
    /** Deep check (regime, score, one state-machine step) every this many seconds (original: 900). */
    deepCheckSec: z.number().int().min(60).max(3600).default(900),
    /** Fast check (VWAP flip) every this many seconds, and when hedged (original: 30 and 60). */
    fastCheckSec: z.number().int().min(5).max(900).default(30),
    hedgedFastCheckSec: z.number().int().min(5).max(900).default(60),
    /** An event-triggered deep check waits at least this long after the last one (original: 600). */
    cooldownSec: z.number().int().min(0).max(3600).default(600),
    /** No check on data older than this many seconds (original rail: bar age 300 s). */
    staleDataSec: z.number().int().min(10).max(86_400).default(300),
    /** No check while the spread is above this multiple of its recent median (original rail: 2x). */
    spreadSpikeFactor: range(1, 20).default(2),
    /** No new risk (hedge, re-add) past these losses, % of the balance (original rails: 2% a day, 1% an hour). */
    dailyLossLimitPct: percent().default(2),
    hourlyLossLimitPct: percent().default(1),
    /** No new risk after this many stops in a row (original rail: 3); 0 = no limit. */
    maxConsecutiveStops: z.number().int().min(0).max(100).default(3),
    scores: dtmsScores.prefault({}),
    /** Hedged this many minutes without recovering: close everything (original: 75 = 5 x M15). */
    hedgedFlatMinutes: range(1, 1440).default(75),
    /** A recovery is judged after this many minutes (original: 30 = 2 x M15). */
    recoveryMinutes: range(1, 1440).default(30),
    /** No transition out of a state sooner than this many minutes after entering it (CLOSED excepted). */
    minTimeInStateMinutes: range(0, 1440).default(15),
    /**
     * No warning in a trade's first this-many minutes unless the score reaches the hedge threshold.
     * Measured on random entries: half of the stop moves came in the first hour, from momentum and EMA
     * layers that point against any fresh entry, and the trade's remaining result after such a warning
     * was the same as without it.
     */
    graceMinutes: range(0, 1440).default(30),
    /**
     * Layers that must score against the trade before DTMS escalates: with 1, one momentum reading
     * alone warned; with 2 a momentum reading and the slightest tick-volume delta still did.
     */
    minAdverseLayers: z.number().int().min(1).max(6).default(3),
    actions: z
      .strictObject({
        /** WARNING_L1 tightens the stop to this many R behind the price (original: 0.3). */
        tightenR: range(0, 5).default(0.3),
        /** WARNING_L2 closes this % of the open volume (original: 50). */
        partialClosePct: percent().default(50),
        /** The hedge is this share of the open volume (original: 0.5) ... */
        hedgeShare: range(0.01, 1).default(0.5),
        /** ... with its stop this many ATR away (original: 0.5). */
        hedgeStopAtr: range(0.1, 10).default(0.5),
        /** A recovery re-adds this share of the volume closed defensively (original: 0.5). */
        reAddShare: range(0, 1).default(0.5),
        /**
         * DTMS may open positions (a hedge, a re-add). Off, a hedge is a close instead (as on a netting
         * account) and a re-add is skipped, each with its reason recorded. null: by the account (see
         * config/accountDefaults.ts): on for the embedded paper account and in replay, off on a real one.
         */
        openPositions: z.boolean().nullable().default(null),
      })
      .prefault({}),
    /** Base VWAP slope threshold per symbol (the original bot's values), scaled by session, volatility and structure. */
    vwapSlopeBase: symbolTable(range(0.000001, 0.1)).default({
      XAUUSD: 0.001,
      BTCUSD: 0.002,
      EURUSD: 0.0005,
      GBPUSD: 0.0005,
      USDJPY: 0.0007,
      GBPJPY: 0.0007,
      EURJPY: 0.0007,
      DEFAULT: 0.001,
    }),
  })
  .prefault({});

export const configSchema = z.strictObject({
  symbols: symbolsSchema,
  exits: exitsSchema,
  features: featuresSchema,
  dtms: dtmsSchema,
  execution: executionSchema,
  service: serviceSchema,
  notify: notifySchema.prefault({}),
  broker: brokerSchema,
  /** The accounts `warden serve` manages on a PostgreSQL store (none: the one account of `broker:`). */
  accounts: accountsSchema,
  proposals: proposalsSchema,
  instruments: symbolTable(instrumentRules).prefault(DEFAULT_INSTRUMENTS as never),
});

export type WardenConfig = z.infer<typeof configSchema>;
export type ExitsConfig = WardenConfig['exits'];
/**
 * What the exit engine and the rest of the core (exits, features, DTMS) read of the config: a replay or
 * a study builds an engine from these sections alone, and the engine sees no service, broker or notify setting.
 */
export type EngineConfig = Pick<WardenConfig, 'symbols' | 'exits' | 'features' | 'dtms'>;

export type SymbolExitParams = z.infer<typeof symbolExitParams>;
export type TradeTypeBase = z.infer<typeof tradeTypeBase>;
export type StrategyTemplate = z.infer<typeof strategyTemplate>;
export type InstrumentRules = z.infer<typeof instrumentRules>;
export type FeaturesConfig = WardenConfig['features'];
export type DtmsConfig = WardenConfig['dtms'];
export type ExecutionConfig = WardenConfig['execution'];
export type BrokerConfig = WardenConfig['broker'];
