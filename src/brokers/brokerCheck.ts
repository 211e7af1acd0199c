// `warden broker check`: connect to the configured account and read what Warden would work from (the
// account mode, each symbol's rules, a quote and the last closed bar, the open positions), sending
// nothing. Each symbol is read on its own, so one the account lacks is reported and the rest still are.
import type { Instrument, Position } from '../domain/types.ts';
import type { AccountMode, BrokerQuote } from './brokerPort.ts';
import type { ConfiguredBroker } from './brokerFromConfig.ts';

export interface SymbolCheck {
  symbol: string;
  instrument: Instrument | null;
  /** Null on the paper account (its quotes come from the played market) or when unreadable. */
  quote: BrokerQuote | null;
  /** Open time of the last closed M1 bar (epoch ms), null when none or unreadable. */
  lastBarAt: number | null;
  /** What could not be read, '' when all was. */
  problem: string;
}

export interface BrokerCheckReport {
  account: string;
  mode: AccountMode;
  symbols: SymbolCheck[];
  positions: (Position & { managed: boolean })[];
  /** Every problem, one line each: empty when the account is ready for Warden. */
  problems: string[];
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Reads the account; throws when it cannot be reached at all (the mode or the positions unreadable). */
export async function checkBroker(c: ConfiguredBroker): Promise<BrokerCheckReport> {
  const b = c.broker;
  const mode = await b.accountMode();
  const symbols: SymbolCheck[] = [];
  const problems: string[] = [];
  for (const symbol of c.symbols) {
    const s: SymbolCheck = { symbol, instrument: null, quote: null, lastBarAt: null, problem: '' };
    const failed: string[] = [];
    try {
      s.instrument = await b.instrument(symbol);
    } catch (err) {
      failed.push(`rules: ${message(err)}`);
    }
    if (s.instrument !== null && c.paper === null) {
      try {
        s.quote = await b.quote(symbol);
      } catch (err) {
        failed.push(`quote: ${message(err)}`);
      }
      try {
        const bars = await b.candles(symbol, 'M1', 3);
        const last = bars[bars.length - 1];
        if (last) s.lastBarAt = last.time;
        else failed.push('bars: the venue returned no closed M1 bar');
      } catch (err) {
        failed.push(`bars: ${message(err)}`);
      }
    }
    s.problem = failed.join('; ');
    if (s.problem !== '') problems.push(`${symbol}: ${s.problem}`);
    symbols.push(s);
  }
  const managed = new Set(symbols.filter((s) => s.instrument !== null).map((s) => s.symbol));
  const positions = (await b.positions()).map((p) => ({ ...p, managed: managed.has(p.symbol) }));
  return { account: c.describe, mode, symbols, positions, problems };
}

const at = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const price = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));

/** The report for a person. */
export function formatBrokerCheck(r: BrokerCheckReport): string {
  const lines = [`account: ${r.account}`, `mode: ${r.mode}`, '', `symbols (${r.symbols.length}):`];
  const digits = new Map<string, number>();
  for (const s of r.symbols) {
    if (s.instrument === null) {
      lines.push(`  ${s.symbol}: NOT USABLE: ${s.problem}`);
      continue;
    }
    const i = s.instrument;
    digits.set(s.symbol, i.digits);
    lines.push(
      `  ${s.symbol} (${i.canonical}): tick ${i.tickSize}, ${i.digits} digits, lots ${i.minLot}..${i.maxLot} step ${i.lotStep}, contract ${i.contractSize}, stops level ${i.stopsLevelPoints} pt, freeze level ${i.freezeLevelPoints} pt, ${i.hedging ? 'hedging' : 'netting'}${i.crypto ? ', crypto' : ''}`,
    );
    if (s.quote !== null)
      lines.push(
        `    quote ${s.quote.bid.toFixed(i.digits)} / ${s.quote.ask.toFixed(i.digits)} at ${at(s.quote.time)}`,
      );
    if (s.lastBarAt !== null) lines.push(`    last closed M1 bar opened ${at(s.lastBarAt)}`);
    if (s.problem !== '') lines.push(`    problem: ${s.problem}`);
  }
  lines.push('', `open positions (${r.positions.length}):`);
  for (const p of r.positions) {
    const d = digits.get(p.symbol) ?? 5;
    lines.push(
      `  ${p.id}  ${p.symbol}  ${p.side} ${p.volume} @ ${price(p.entryPrice, d)}  SL ${price(p.sl, d)}  TP ${price(p.tp, d)}${p.comment !== '' ? `  "${p.comment}"` : ''}  ${p.managed ? 'managed' : 'not managed (symbol not in broker.symbols)'}`,
    );
  }
  lines.push(
    '',
    r.problems.length === 0
      ? 'ready: Warden can manage these symbols. Nothing was changed at the broker.'
      : `${r.problems.length} problem(s) above. Nothing was changed at the broker.`,
  );
  return lines.join('\n');
}
