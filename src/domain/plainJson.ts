// JSON for Warden's plain state (plans, DTMS state, engine snapshots). JSON has no NaN or Infinity
// (JSON.stringify writes null), but the state uses NaN for "not known" (no initial stop, no score yet),
// and null means something else there (no stop). Non-finite numbers are written as {"$num":"NaN"}
// (or "Infinity", "-Infinity") and read back as numbers.
const TAG = '$num';

export function toPlainJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? { [TAG]: String(v) } : v,
  );
}

export function fromPlainJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const tagged = o[TAG];
      if (typeof tagged === 'string' && Object.keys(o).length === 1) {
        if (tagged === 'NaN') return NaN;
        if (tagged === 'Infinity') return Infinity;
        if (tagged === '-Infinity') return -Infinity;
      }
    }
    return v;
  });
}
