// Replay's tallies for the report, by prefix then name ('intents' -> 'trail' -> n), flattened to
// 'intents.trail' at the end: building the joined key per event cost a string and a hash lookup each time.

export class ReplayTallies {
  private readonly byPrefix = new Map<string, Record<string, number>>();

  count(prefix: string, name: string): void {
    let t = this.byPrefix.get(prefix);
    if (t === undefined) this.byPrefix.set(prefix, (t = {}));
    t[name] = (t[name] ?? 0) + 1;
  }

  /** A copy, for a checkpoint. */
  copy(): [string, Record<string, number>][] {
    return [...this.byPrefix].map(([k, v]) => [k, { ...v }]);
  }

  /** Picks up a checkpoint's copy (copied again: the checkpoint stays as it is). */
  restore(tallies: readonly [string, Record<string, number>][]): void {
    for (const [k, v] of tallies) this.byPrefix.set(k, { ...v });
  }

  /** Every tally as 'prefix.name', in the order first counted, but those under the prefixes in `except`. */
  flat(except: ReadonlySet<string>): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [prefix, t] of this.byPrefix) {
      if (except.has(prefix)) continue;
      for (const name of Object.keys(t)) counts[`${prefix}.${name}`] = t[name]!;
    }
    return counts;
  }

  /** One prefix's tallies by name, names in sorted order. */
  sorted(prefix: string): Record<string, number> {
    const t = this.byPrefix.get(prefix) ?? {};
    const o: Record<string, number> = {};
    for (const k of Object.keys(t).sort()) o[k] = t[k]!;
    return o;
  }
}
