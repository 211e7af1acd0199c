// Replay runs the live engine, so strategy templates apply there as they do live: named in the
// entries' comments (`!strategy:NAME`) or per symbol in the config, with the same result either way,
// and the same bytes twice.
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config/load.ts';
import type { WardenConfig } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { DEFAULT_GENERATED, generateEntries, parseEntriesCsv, type ReplayEntry } from '../../src/replay/entries.ts';
import { sampleBars } from '../../src/replay/replayInputs.ts';
import { runReplayJob } from '../../src/replay/replayRun.ts';

const base = defaultConfig();
const instrument = instrumentFromConfig(base, 'EURUSD');
const data = sampleBars(instrument, 7, 12_000);
const generated = generateEntries(data.source, 'M1', { ...DEFAULT_GENERATED, every: 120, seed: 3, side: 'random' });

async function replay(config: WardenConfig, entries: readonly ReplayEntry[]) {
  const run = await runReplayJob({
    config,
    instrument,
    bars: data.source,
    timeframe: 'M1',
    data: data.data,
    entries: [...entries],
    entriesSource: 'generated',
    broker: { accountMode: 'hedging' },
    startingBalance: 10_000,
    outDir: null,
    version: 'test',
  });
  return { trades: run.report.trades, lines: run.decisions.lines! };
}

const outcome = (trades: Awaited<ReturnType<typeof replay>>['trades']) =>
  trades.map((t) => [t.entryTime, t.exitTime, t.exitPrice, t.trailMoves, t.flags.filter((f) => f !== 'rmag')]);

describe('strategy templates in replay', () => {
  it('an entry comment naming mean_reversion_range_scalp, or the symbol configured with it: no trailing, the same trades both ways, the same bytes twice', async () => {
    const plain = await replay(base, generated);
    expect(plain.trades.some((t) => t.trailMoves > 0)).toBe(true);

    const commented = generated.map((e) => ({ ...e, comment: 'fade !strategy:mean_reversion_range_scalp' }));
    const byComment = await replay(base, commented);
    expect(byComment.trades.length).toBe(plain.trades.length);
    expect(byComment.trades.every((t) => t.trailMoves === 0)).toBe(true);
    expect(byComment.trades.map((t) => t.comment)).toContain('fade !strategy:mean_reversion_range_scalp');

    const configured = parseConfig({ exits: { strategyBySymbol: { EURUSD: 'mean_reversion_range_scalp' } } }, 'test');
    if (!configured.ok) throw new Error('config refused');
    const byConfig = await replay(configured.config, generated);
    expect(outcome(byConfig.trades)).toEqual(outcome(byComment.trades));

    const again = await replay(base, commented);
    expect(again.lines).toEqual(byComment.lines);
  }, 120_000);

  it('an entries file carries the comment through to the position', () => {
    const { entries } = parseEntriesCsv(
      'time,symbol,side,volume,sl,tp,comment\n2024-01-02T10:00:00Z,EURUSD,buy,0.1,1.09,1.12,!strategy:kill_zone\n',
      'entries.csv',
      instrument,
      base.symbols,
    );
    expect(entries[0]?.comment).toBe('!strategy:kill_zone');
  });
});
