// Bar files of any size replay in flat memory: a generated uniform CSV of a chosen size (gigabytes),
// replayed by `warden replay` in a child process whose peak resident memory is read from the kernel
// (VmHWM), against a file a tenth of its size. Used by `npm run soak:bigfile` (3 GB) and, smaller, by
// the shared suite.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isoTime } from '../../src/replay/decisionLog.ts';
import { generateSampleSeries, SAMPLE_SHAPES } from '../../src/market/sampleMarket.ts';
import { UNIFORM_HEADER } from '../../src/market/uniformCsv.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Bars of the block the file repeats: March to September of one year (no Feb 29, whatever the year). */
const BLOCK_BARS = 200_000;
const BLOCK_YEAR = 2024;

export interface BigBarFile {
  file: string;
  bytes: number;
  bars: number;
}

/**
 * Writes a uniform M1 file of at least `targetBytes`: a generated XAUUSD block of 200,000 bars
 * (1 March onwards) repeated one calendar year after another from 2030, so the times rise strictly and
 * every date is valid. Only the year differs between repetitions (prices repeat: what is measured is
 * the reading, not the market).
 */
export function writeBigBarFile(file: string, targetBytes: number, seed = 7): BigBarFile {
  const { series } = generateSampleSeries({
    seed,
    bars: BLOCK_BARS,
    ...SAMPLE_SHAPES.XAUUSD!,
    start: Date.UTC(BLOCK_YEAR, 2, 1),
  });
  const rows: string[] = [];
  for (let i = 0; i < series.length; i++)
    rows.push(
      `${isoTime(series.time[i]!)},${series.open[i]},${series.high[i]},${series.low[i]},${series.close[i]},${series.volume[i]},${series.spread[i]}`,
    );
  const block = `\n${rows.join('\n')}`;
  const fd = openSync(file, 'w');
  let bytes = 0;
  let bars = 0;
  try {
    bytes += writeSync(fd, UNIFORM_HEADER);
    for (let year = 2030; bytes < targetBytes; year++) {
      if (year > 9999) throw new Error(`writeBigBarFile: ${targetBytes} bytes need years past 9999`);
      bytes += writeSync(fd, block.replaceAll(`\n${BLOCK_YEAR}-`, `\n${String(year).padStart(4, '0')}-`));
      bars += series.length;
    }
    bytes += writeSync(fd, '\n');
  } finally {
    closeSync(fd);
  }
  return { file, bytes, bars };
}

export interface ReplayPeak {
  seconds: number;
  /** Peak resident memory of the replay process (kernel's VmHWM), MB. */
  peakRssMb: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

/** The peak resident set so far of process `pid` (MB), or NaN when it is gone. */
function peakOf(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * `warden replay --bars FILE` in a child process, entries generated every `entryEvery` bars; the peak
 * resident memory is polled from /proc (Linux) until the process ends.
 */
export function replayWithPeak(
  file: string,
  outDir: string,
  entryEvery: number,
  extra: readonly string[] = [],
): Promise<ReplayPeak> {
  return processWithPeak([
    path.join(ROOT, 'bin/warden.js'),
    'replay',
    '--bars',
    file,
    '--symbol',
    'XAUUSD',
    '--entry-every',
    String(entryEvery),
    '--out',
    outDir,
    '--no-progress',
    ...extra,
  ]);
}

/** `node ...args` in a child process (from the repository's root): its wall time and peak resident memory. */
export function processWithPeak(args: readonly string[]): Promise<ReplayPeak> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let peak = 0;
    const poll = setInterval(() => {
      const p = peakOf(child.pid!);
      if (p > peak) peak = p;
    }, 20);
    child.on('error', (err) => {
      clearInterval(poll);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: peak, stdout, stderr, code });
    });
  });
}
