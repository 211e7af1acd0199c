// The scanned bars' binary columns: read back exactly as written, chunk by chunk, by any number of
// passes at once, and never left behind in the temporary folder (the file is unlinked when created).
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BarColumnsWriter } from '../../src/market/barColumnsFile.ts';
import { BarSeries } from '../../src/market/barSeries.ts';
import { generateSampleSeries, SAMPLE_SHAPES } from '../../src/market/sampleMarket.ts';

const leftovers = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`warden-bars-${process.pid}-`));

describe('BarColumnsWriter / BarColumnsFile', () => {
  it('plays the chunks back as written, two passes at once, with no file left in the temporary folder', () => {
    const { series } = generateSampleSeries({ seed: 5, bars: 5000, ...SAMPLE_SHAPES.XAUUSD! });
    series.spread[17] = NaN;
    const w = new BarColumnsWriter();
    const sizes = [1, 999, 2000, 1500, 500];
    let at = 0;
    for (const n of sizes) {
      const chunk = new BarSeries(n);
      for (let i = at; i < at + n; i++)
        chunk.push(
          series.time[i]!,
          series.open[i]!,
          series.high[i]!,
          series.low[i]!,
          series.close[i]!,
          series.volume[i]!,
          series.spread[i]!,
        );
      w.add(chunk);
      at += n;
    }
    expect(leftovers()).toEqual([]);
    const file = w.finish()!;
    expect(file.bars).toBe(5000);
    const a = file.open();
    const b = file.open();
    const gotA = new BarSeries(16);
    const gotB = new BarSeries(16);
    const seen: number[] = [];
    for (;;) {
      const ca = a.next();
      if (ca === null) break;
      seen.push(ca.length);
      gotA.append(ca);
      gotB.append(b.next()!);
    }
    expect(b.next()).toBeNull();
    expect(seen).toEqual(sizes);
    expect(gotA.toBars()).toEqual(series.toBars());
    expect(gotB.toBars()).toEqual(series.toBars());
  });
});
