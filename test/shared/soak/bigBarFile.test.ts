// The short CI variant of `npm run soak:bigfile` (which replays a generated 3 GB file): a bar file five
// times larger replays with about the same peak memory, because bar files are read in steps and played
// from disk by each pass, never held whole. Generated data: it needs nothing from ../shared, and runs
// with the shared suites because it takes a minute. Linux only (the peak is the kernel's VmHWM).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayWithPeak, writeBigBarFile } from '../../soak/bigBarFile.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'warden-bigfile-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Both books hold the same number of trades: only the bars grow. */
const TRADES = 200;

describe.skipIf(!existsSync('/proc/self/status'))('a bar file five times larger replays in the same memory', () => {
  it('60 MB and 300 MB of M1 bars: the peak grows by at most 64 MB', { timeout: 600_000 }, async () => {
    const peaks: number[] = [];
    for (const mb of [60, 300]) {
      const file = path.join(dir, `m1-${mb}.csv`);
      const big = writeBigBarFile(file, mb * 1e6);
      const run = await replayWithPeak(file, path.join(dir, `out-${mb}`), Math.floor(big.bars / TRADES));
      rmSync(file);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/trades/);
      peaks.push(run.peakRssMb);
      console.log(
        `${mb} MB, ${big.bars.toLocaleString('en-US')} bars: replay ${run.seconds.toFixed(1)} s, peak RSS ${run.peakRssMb.toFixed(0)} MB`,
      );
    }
    expect(peaks[1]! - peaks[0]!).toBeLessThanOrEqual(64);
  });
});
