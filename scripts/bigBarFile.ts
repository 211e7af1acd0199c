// `npm run soak:bigfile [-- --gb 3]`: a bar file of any size replays in flat memory. Writes a generated
// uniform M1 file of the given size (default 3 GB) and one a tenth of it, replays each with
// `warden replay` in a child process (entries spread so both books hold the same number of trades), and
// prints the time and the peak resident memory of each. Exit code 1 when the big file's peak exceeds the
// small one's by more than 64 MB (memory that grows with the file), or a replay failed.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { replayWithPeak, writeBigBarFile } from '../test/soak/bigBarFile.ts';

const { values } = parseArgs({
  options: { gb: { type: 'string', default: '3' }, keep: { type: 'boolean', default: false } },
});
const gb = Number(values.gb);
if (!(gb > 0)) throw new Error('--gb must be a positive number of gigabytes');
const dir = mkdtempSync(path.join(tmpdir(), 'warden-bigfile-'));
const TRADES = 400;
let failed = false;
try {
  const results = [];
  for (const bytes of [Math.round((gb * 1e9) / 10), Math.round(gb * 1e9)]) {
    const file = path.join(dir, `xauusd-m1-${bytes}.csv`);
    const t0 = process.hrtime.bigint();
    const big = writeBigBarFile(file, bytes);
    const writeS = Number(process.hrtime.bigint() - t0) / 1e9;
    const run = await replayWithPeak(file, path.join(dir, `out-${bytes}`), Math.max(1, Math.floor(big.bars / TRADES)));
    const size = statSync(file).size;
    rmSync(file);
    console.log(
      `${(size / 1e9).toFixed(2)} GB, ${big.bars.toLocaleString('en-US')} M1 bars (written in ${writeS.toFixed(0)} s): replay ${run.seconds.toFixed(1)} s ` +
        `(${(big.bars / run.seconds / 1e6).toFixed(2)} M bars/s), peak RSS ${run.peakRssMb.toFixed(0)} MB, exit ${run.code}`,
    );
    if (run.code !== 0) {
      console.log(run.stderr.slice(0, 2000));
      failed = true;
    }
    results.push(run);
  }
  const growth = results[1]!.peakRssMb - results[0]!.peakRssMb;
  console.log(`peak RSS growth for 10x the file: ${growth.toFixed(0)} MB (flat: at most 64 MB)`);
  if (growth > 64) failed = true;
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
process.exitCode = failed ? 1 : 0;
