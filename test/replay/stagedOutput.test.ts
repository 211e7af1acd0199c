// `--out` is replaced whole or not at all: the files of a run are written into a folder beside it and
// moved in once every one is written. A run that fails part-way leaves the previous run's files byte
// for byte; a resumable run (--store) keeps its partial folder and goes on from it; a full disk is
// named as such, with exit 2.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.ts';
import type { CliIO } from '../../src/cli/io.ts';
import {
  abandonOutput,
  commitOutput,
  diskFullMessage,
  stagedDirOf,
  stageOutput,
  StagedRunError,
  withStagedOutput,
} from '../../src/replay/stagedOutput.ts';

const root = mkdtempSync(path.join(tmpdir(), 'warden-staged-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(root, `${name}${++n}`);
const NOW = Date.UTC(2025, 2, 14, 9, 30);

/** Every file under `dir` (relative path -> bytes). */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else out.set(r, readFileSync(path.join(dir, r)));
    }
  };
  walk('');
  return out;
}

/** Runs the CLI in process; `now` is its clock (the checkpoints' saved_at). */
async function warden(
  args: string[],
  now: () => number = () => NOW,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), now };
  const code = await run(['node', 'warden', ...args], io);
  return { code, stdout, stderr };
}

const sample = (out: string, seed: string, ...extra: string[]) => [
  'replay',
  '--sample',
  '--sample-bars',
  '6000',
  '--seed',
  seed,
  '--out',
  out,
  '--no-progress',
  ...extra,
];

describe('staged output folder', () => {
  it('commit moves every file in (sub-folders too), replaces the same names, keeps the others, removes the staged folder', () => {
    const out = fresh('out');
    mkdirSync(path.join(out, 'a'), { recursive: true });
    writeFileSync(path.join(out, 'report.json'), 'old');
    writeFileSync(path.join(out, 'notes.txt'), 'mine');
    const s = stageOutput(out, false, 4242);
    expect(s.dir).toBe(`${path.resolve(out)}.tmp-4242`);
    mkdirSync(path.join(s.dir, 'a'));
    writeFileSync(path.join(s.dir, 'report.json'), 'new');
    writeFileSync(path.join(s.dir, 'a', 'trades.csv'), 'rows');
    commitOutput(s);
    expect(Object.fromEntries([...snapshot(out)].map(([k, v]) => [k, v.toString()]))).toEqual({
      'report.json': 'new',
      'notes.txt': 'mine',
      [path.join('a', 'trades.csv')]: 'rows',
    });
    expect(existsSync(s.dir)).toBe(false);
  });

  it("commit with the run's file list moves only those (a partial folder's leftovers of another run stay out), and none when one is missing", () => {
    const out = fresh('out');
    mkdirSync(out);
    writeFileSync(path.join(out, 'report.json'), 'old');
    const s = stageOutput(out, true);
    mkdirSync(path.join(s.dir, 'seed-before'));
    writeFileSync(path.join(s.dir, 'seed-before', 'report.json'), 'stale, of an earlier --compare');
    writeFileSync(path.join(s.dir, 'report.json'), 'new');
    expect(() => commitOutput(s, ['report.json', 'trades.csv'])).toThrow(/trades\.csv not written/);
    expect(readFileSync(path.join(out, 'report.json'), 'utf8')).toBe('old');
    writeFileSync(path.join(s.dir, 'trades.csv'), 'rows');
    commitOutput(s, ['report.json', 'trades.csv']);
    expect(Object.fromEntries([...snapshot(out)].map(([k, v]) => [k, v.toString()]))).toEqual({
      'report.json': 'new',
      'trades.csv': 'rows',
    });
    expect(existsSync(s.dir)).toBe(false);
  });

  it('a failed write leaves the previous files byte-identical and removes the staged folder; the error says so', async () => {
    const out = fresh('out');
    mkdirSync(out);
    writeFileSync(path.join(out, 'report.json'), '{"old":true}\n');
    const before = snapshot(out);
    const err = await withStagedOutput(out, false, (dir) => {
      writeFileSync(path.join(dir, 'decisions.jsonl'), 'half a run\n');
      throw new Error('bad bar found late');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StagedRunError);
    expect((err as StagedRunError).message).toMatch(
      /^bad bar found late\nnothing in .* was replaced: its previous files are as they were \(the partial files were removed\)$/,
    );
    expect(snapshot(out)).toEqual(before);
    expect(readdirSync(root).filter((f) => f.startsWith(path.basename(out)))).toEqual([path.basename(out)]);
  });

  it('a resumable run keeps its partial folder on failure, and names it', () => {
    const out = fresh('out');
    const s = stageOutput(out, true);
    expect(s.dir).toBe(stagedDirOf(out, true));
    expect(abandonOutput(s)).toMatch(
      /the partial run is in .*\.partial, and the same command goes on from its last checkpoint/,
    );
    expect(existsSync(s.dir)).toBe(true);
    rmSync(s.dir, { recursive: true });
  });

  it('ENOSPC and EDQUOT are a full disk, with the file; other errors are not', () => {
    const e = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      path: '/x/decisions.jsonl',
    });
    expect(diskFullMessage(e)).toBe(
      'the disk is full (/x/decisions.jsonl): no space left; free some space and run again',
    );
    expect(diskFullMessage(Object.assign(new Error('quota'), { code: 'EDQUOT' }), '/x.tmp-7')).toMatch(
      /^the disk is full \(\/x\.tmp-7\): the disk quota is used up/,
    );
    expect(diskFullMessage(Object.assign(new Error('full'), { code: 'ENOSPC' }))).toMatch(
      /^the disk is full \(writing the outputs\)/,
    );
    expect(diskFullMessage(Object.assign(new Error('io'), { code: 'EIO' }))).toBeNull();
    expect(diskFullMessage('ENOSPC')).toBeNull();
  });
});

describe('warden replay --out: replaced whole or not at all', () => {
  it('a successful run replaces the previous files and leaves no staged folder', async () => {
    const out = fresh('replay');
    const a = await warden(sample(out, '1'));
    expect(a.code, a.stderr).toBe(0);
    const first = snapshot(out);
    const b = await warden(sample(out, '2'));
    expect(b.code, b.stderr).toBe(0);
    const second = snapshot(out);
    expect([...second.keys()].sort()).toEqual(['decisions.jsonl', 'report.html', 'report.json', 'trades.csv']);
    expect(second.get('decisions.jsonl')!.equals(first.get('decisions.jsonl')!)).toBe(false);
    // The same as a run into an empty folder.
    const clean = fresh('clean');
    expect((await warden(sample(clean, '2'))).code).toBe(0);
    expect(snapshot(clean)).toEqual(second);
    expect(readdirSync(root).filter((f) => f.includes('.tmp-') || f.endsWith('.partial'))).toEqual([]);
  });

  it('a run stopped part-way (--store) leaves the previous files byte-identical; run again, it resumes and replaces them', async () => {
    const out = fresh('replay');
    const store = `${out}.db`;
    expect((await warden(sample(out, '1'))).code).toBe(0);
    const before = snapshot(out);
    // The clock is read when the store opens and at each checkpoint: the second checkpoint fails, as a crash would.
    let reads = 0;
    const failing = () => {
      if (++reads === 3) throw new Error('stopped at a checkpoint');
      return NOW;
    };
    const args = sample(out, '2', '--store', store, '--checkpoint-every', '1500');
    const r = await warden(args, failing);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stopped at a checkpoint');
    expect(r.stderr).toContain(
      `nothing in ${out} was replaced: its previous files are as they were; the partial run is in ${out}.partial, and the same command goes on from its last checkpoint`,
    );
    expect(snapshot(out)).toEqual(before);
    expect(existsSync(path.join(`${out}.partial`, 'decisions.jsonl'))).toBe(true);

    const again = await warden(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^resuming from bar 1,500 of 6,000 /m);
    expect(existsSync(`${out}.partial`)).toBe(false);
    const clean = fresh('clean');
    expect((await warden(sample(clean, '2'))).code).toBe(0);
    expect(snapshot(out)).toEqual(snapshot(clean));
  });

  it('a full disk while writing is named, with exit 2, and leaves the previous files byte-identical', async () => {
    if (!existsSync('/dev/full')) return;
    const out = fresh('replay');
    expect((await warden(sample(out, '1'))).code).toBe(0);
    const before = snapshot(out);
    // The resumable run's partial folder is found by name: its decisions.jsonl leads to a device that is always full.
    mkdirSync(`${out}.partial`);
    symlinkSync('/dev/full', path.join(`${out}.partial`, 'decisions.jsonl'));
    const r = await warden(sample(out, '2', '--store', `${out}.db`));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^warden: the disk is full \\(${`${out}.partial/decisions.jsonl`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): no space left; free some space and run again\\nnothing in `,
      ),
    );
    expect(r.stderr).not.toContain('unexpected');
    expect(snapshot(out)).toEqual(before);
  });

  it("--compare writes each config's folder and the study page the same way", async () => {
    const out = fresh('compare');
    const r = await warden([
      'replay',
      '--sample',
      '--sample-bars',
      '6000',
      '--compare',
      'examples/seed-before.yaml',
      'defaults',
      '--out',
      out,
      '--no-progress',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect([...snapshot(out).keys()].sort()).toEqual(
      [
        'study.html',
        ...['defaults', 'seed-before'].flatMap((c) =>
          ['decisions.jsonl', 'report.html', 'report.json', 'trades.csv'].map((f) => path.join(c, f)),
        ),
      ].sort(),
    );
    expect(r.stdout).toContain(`paired comparison: ${path.join(out, 'study.html')}`);
    expect(existsSync(`${out}.tmp-${process.pid}`)).toBe(false);
  });
});
