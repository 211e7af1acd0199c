// The terms the dashboard and the agents' tools use, explained once: the trade page's glossary shows
// the same list (a test keeps them equal), and the MCP server serves it as a resource.

export const GLOSSARY: readonly { term: string; meaning: string }[] = [
  {
    term: 'R',
    meaning:
      'The trade\'s initial risk: the distance from entry to the first stop. 1 R of profit is that distance in the trade\'s favour; "-0.5 R" is half of it lost.',
  },
  {
    term: 'BE / BE (buffered)',
    meaning:
      'Breakeven: the stop moved to the entry plus the spread, less a buffer of a fraction of ATR. "BE (buffered)": the stop is still a little on the losing side of the entry (that buffer), so a small loss remains possible.',
  },
  {
    term: 'ATR',
    meaning:
      "Average True Range: the market's typical bar range (14 bars). Buffers, trailing distances and stops are measured in it.",
  },
  {
    term: 'Progress',
    meaning:
      'How far the price has come from the entry toward the take profit, in % (triggers are set in it: "breakeven at 60% of the way to TP").',
  },
  {
    term: 'RMAG',
    meaning:
      "Relative magnitude: how stretched the price is from its mean, in ATRs. A large RMAG in the trade's direction moves breakeven and the partial earlier, and fails a trailing gate.",
  },
  {
    term: 'VWAP',
    meaning: 'Volume-weighted average price of the session; "outer" zones are far from it. A trailing gate.',
  },
  {
    term: 'HVN',
    meaning:
      'High-volume node: a price level where much volume traded (from the volume profile); a stop just behind one is weaker. A trailing gate.',
  },
  { term: 'MTF', meaning: "Multi-timeframe alignment: how many timeframes trend the trade's way. A trailing gate." },
  {
    term: 'CHOCH / BOS',
    meaning:
      "Change of character / break of structure: the market's swing highs and lows turning against (CHOCH) or with (BOS) the trade. DTMS scores them.",
  },
  {
    term: 'DTMS',
    meaning:
      'The defensive trade management system: it scores each open trade and, as the score falls through its states (HEALTHY, WARNING_L1, WARNING_L2, HEDGED, RECOVERING, CLOSED), tightens the stop, closes part, hedges or closes.',
  },
  {
    term: 'Stop owner',
    meaning:
      'Who moves the stop now: the exit plan (breakeven, trailing) or DTMS when it defends the trade. The other leaves it alone; it never loosens.',
  },
  {
    term: 'Repeat',
    meaning:
      'A decision whose rule gave the same outcome, reason and note just before (e.g. a trail still waiting for a tighter stop): hidden unless "show repeats" is ticked.',
  },
];

/** The glossary as Markdown (a definition per line). */
export function glossaryMarkdown(): string {
  return ['# Warden glossary', '', ...GLOSSARY.map((g) => `- **${g.term}**: ${g.meaning}`)].join('\n');
}
