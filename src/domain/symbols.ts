// Canonical symbols: the broker symbol minus configurable broker decorations.
// `XAUUSDc` and `XAUUSD` are the same instrument, `XAUUSD`. Index symbols pass through unchanged.

export interface SymbolRules {
  /** Suffixes stripped from broker symbols, longest first is not required: we try each. */
  decorations: readonly string[];
  passthrough: readonly string[];
}

/** `XAUUSDc` -> `XAUUSD`, `EURUSD.pro` -> `EURUSD`, `btcusdm` -> `BTCUSD`, `DXY` -> `DXY`. */
export function canonicalSymbol(brokerSymbol: string, rules: SymbolRules): string {
  const trimmed = brokerSymbol.trim();
  const upper = trimmed.toUpperCase();
  if (rules.passthrough.includes(upper)) return upper;
  let base = trimmed;
  // Strip one decoration; the longest matching one wins so `.raw` is not mistaken for a `w` suffix.
  let best = '';
  for (const d of rules.decorations) {
    if (d.length > best.length && base.length > d.length && base.endsWith(d)) {
      // A single-letter lower-case decoration (`c`, `m`) only counts after an upper-case base:
      // `XAUUSDc` is decorated, a symbol typed in lower case (`xauusd`) is not.
      if (d.length === 1 && /[a-z]/.test(d)) {
        const before = base[base.length - 2]!;
        if (before !== before.toUpperCase() || !/[A-Z0-9]/.test(before)) continue;
      }
      best = d;
    }
  }
  if (best) base = base.slice(0, base.length - best.length);
  return base.toUpperCase();
}

/** Reads a table keyed by canonical symbol, falling back to DEFAULT. */
export function bySymbol<T>(table: Readonly<Record<string, T>>, canonical: string): T {
  const hit = table[canonical];
  if (hit !== undefined) return hit;
  const fallback = table['DEFAULT'];
  if (fallback === undefined) throw new Error(`symbol table has no DEFAULT entry (looking up ${canonical})`);
  return fallback;
}
