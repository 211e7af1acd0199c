// The instrument a replay trades: its contract from the config's `instruments` table, adjusted by
// `--instrument key=value,...`. Replay refuses a symbol whose canonical form has no entry there: the
// DEFAULT entry is an FX contract (100,000 units, 5 digits), and replaying gold, an index or a coin on
// it gets every profit, lot and stop wrong without a word. (`serve` on a real account reads the venue's
// rules and never comes here.)
//
// USDT- and USDC-quoted crypto (BTCUSDT) is refused too, with a pointer: Warden's Binance adapter
// manages BTC/USDT:USDT as BTCUSD, but the built-in BTCUSD contract is a CFD's (lot step 0.01, tick
// 0.01), not the perpetual's (lot step 0.001, tick 0.1); which one the trader means is theirs to say.
import type { z } from 'zod';
import { instrumentRules, type InstrumentRules, type WardenConfig } from '../config/schema.ts';
import { canonicalSymbol } from '../domain/symbols.ts';
import { instrumentFromRules } from '../domain/instruments.ts';
import { isStepMultiple } from '../domain/rounding.ts';
import type { Instrument } from '../domain/types.ts';
import { ReplayInputError } from './replayInputs.ts';

/** The fields an instrument's contract cannot be guessed without; the others default to the DEFAULT entry's. */
export const CONTRACT_FIELDS = ['tickSize', 'digits', 'lotStep', 'contractSize'] as const;

const overridesSchema = instrumentRules.partial();

export type InstrumentOverrides = z.infer<typeof overridesSchema>;

const FIELDS = Object.keys(instrumentRules.shape);

/**
 * `tickSize=0.01,digits=2,contractSize=100,lotStep=0.01` -> the fields, validated with the config's own
 * rules. Throws ReplayInputError naming the field (or the malformed pair).
 */
export function parseInstrumentFlag(text: string): InstrumentOverrides {
  const raw: Record<string, unknown> = {};
  for (const pair of text.split(',')) {
    const p = pair.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq <= 0)
      throw new ReplayInputError(
        `--instrument: "${p}" is not key=value (e.g. --instrument tickSize=0.01,digits=2,lotStep=0.01,contractSize=100)`,
      );
    const key = p.slice(0, eq).trim();
    const value = p.slice(eq + 1).trim();
    if (!FIELDS.includes(key))
      throw new ReplayInputError(`--instrument: unknown field "${key}"; the fields are ${FIELDS.join(', ')}`);
    if (Object.hasOwn(raw, key)) throw new ReplayInputError(`--instrument: ${key} is given twice`);
    // Booleans as words, numbers as numbers; anything else goes to the schema as text and is refused there by field.
    raw[key] =
      value === 'true'
        ? true
        : value === 'false'
          ? false
          : value !== '' && Number.isFinite(Number(value))
            ? Number(value)
            : value;
  }
  const parsed = overridesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new ReplayInputError(`--instrument ${field}: ${issue.message} (got "${String(raw[field] ?? '')}")`);
  }
  return parsed.data;
}

function unknownSymbolMessage(brokerSymbol: string, canonical: string, config: WardenConfig): string {
  const known = Object.keys(config.instruments).filter((k) => k !== 'DEFAULT');
  const head =
    `${brokerSymbol}${canonical !== brokerSymbol ? ` (canonical ${canonical})` : ''} has no instrument rules: the config's instruments table knows ${known.join(', ')}, ` +
    `and replaying on the DEFAULT rules (an FX contract of ${(config.instruments['DEFAULT']?.contractSize ?? 100_000).toLocaleString('en-US')} units) would get its profits, lots and stops wrong.`;
  const define =
    ` Define it under instruments.${canonical} in a config (${CONTRACT_FIELDS.join(', ')}; minLot, maxLot, stopsLevelPoints, freezeLevelPoints, crypto and ` +
    `defaultSpreadPoints come from instruments.DEFAULT when left out), or with --instrument, e.g. --instrument tickSize=0.01,digits=2,lotStep=0.01,contractSize=100. ` +
    `If ${brokerSymbol} is a known instrument with a broker suffix, add the suffix to symbols.decorations instead.`;
  const stable = /^([A-Z0-9]{2,})(USDT|USDC)$/.exec(canonical);
  if (stable && known.includes(`${stable[1]}USD`)) {
    const usd = `${stable[1]}USD`;
    const r = config.instruments[usd]!;
    return (
      `${head} ${canonical} is quoted in ${stable[2]}: Warden's Binance adapter manages it as ${usd}. Pass --symbol ${usd} to replay it with the ${usd} contract ` +
      `(lot step ${r.lotStep}, tick ${r.tickSize}, contract ${r.contractSize}) and ${usd}'s exit settings; for the venue's own contract ` +
      `(e.g. Binance's perpetual: --instrument tickSize=0.1,digits=1,lotStep=0.001,contractSize=1,crypto=true) keep --symbol ${brokerSymbol}.${define}`
    );
  }
  return `${head}${define}`;
}

/**
 * The contract replay uses for `brokerSymbol`: the config's entry for its canonical symbol with the
 * overrides on top; for a symbol the config does not know, the overrides must name every contract
 * field (the rest come from DEFAULT, as a config entry's do). Throws ReplayInputError otherwise.
 */
export function replayInstrumentRules(
  config: WardenConfig,
  brokerSymbol: string,
  overrides: InstrumentOverrides = {},
): InstrumentRules {
  const canonical = canonicalSymbol(brokerSymbol, config.symbols);
  const known = canonical !== 'DEFAULT' && Object.hasOwn(config.instruments, canonical);
  let base: InstrumentRules;
  if (known) base = config.instruments[canonical]!;
  else {
    const given = Object.keys(overrides);
    const missing = CONTRACT_FIELDS.filter((f) => !given.includes(f));
    if (given.length === 0) throw new ReplayInputError(unknownSymbolMessage(brokerSymbol, canonical, config));
    if (missing.length > 0) {
      throw new ReplayInputError(
        `--instrument: ${canonical} is not in the config's instruments table, so its contract needs ${missing.join(', ')} too (${CONTRACT_FIELDS.join(', ')} define it)`,
      );
    }
    base = config.instruments['DEFAULT']!;
  }
  const rules: InstrumentRules = { ...base, ...overrides };
  // A spread in points is a price only with its point: new digits keep the entry's spread in price.
  if (
    overrides.digits !== undefined &&
    overrides.defaultSpreadPoints === undefined &&
    base.defaultSpreadPoints !== undefined &&
    overrides.digits !== base.digits
  ) {
    rules.defaultSpreadPoints = Number((base.defaultSpreadPoints * 10 ** (overrides.digits - base.digits)).toFixed(6));
  }
  if (Object.keys(overrides).length > 0) {
    const point = Number((10 ** -rules.digits).toFixed(rules.digits));
    if (!isStepMultiple(rules.tickSize, point))
      throw new ReplayInputError(
        `--instrument tickSize: ${rules.tickSize} is not a multiple of the point ${point} that digits=${rules.digits} gives`,
      );
    if (rules.minLot > rules.maxLot)
      throw new ReplayInputError(`--instrument minLot: ${rules.minLot} is above maxLot ${rules.maxLot}`);
    if (!isStepMultiple(rules.minLot, rules.lotStep))
      throw new ReplayInputError(
        `--instrument minLot: ${rules.minLot} is not a multiple of lotStep ${rules.lotStep} (set minLot too)`,
      );
  }
  return rules;
}

/** replayInstrumentRules as the Instrument the paper broker and the engine take. */
export function replayInstrument(
  config: WardenConfig,
  brokerSymbol: string,
  hedging: boolean,
  overrides: InstrumentOverrides = {},
): Instrument {
  return instrumentFromRules(
    brokerSymbol,
    canonicalSymbol(brokerSymbol, config.symbols),
    replayInstrumentRules(config, brokerSymbol, overrides),
    hedging,
  );
}
