// `warden replay --store` killed with SIGKILL at seeded random moments and started again each time, through
// the real CLI in a child process: the run that finally exits 0 has written the same decisions.jsonl and
// report.json, byte for byte, as a run that was never interrupted (without --store), and no intent id is
// applied twice. The kill moments are spread over an uninterrupted run's duration (measured first), so
// they land at start-up, mid-replay, at a checkpoint and while the reports are written; when a run
// completes before 20 kills, a new round starts in a fresh directory with a fresh store.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import { instrumentFromConfig } from '../../../src/domain/instruments.ts';
import { seededRandom } from '../../../src/market/sampleMarket.ts';
import { checkDecisionInvariants } from '../../support/decisionInvariants.ts';
import { describeShared, sharedFile } from '../../support/sharedData.ts';

const FILE = 'xauusd_oanda_m1_2014-05.csv';
const SYMBOL = 'XAUUSD';
const MIN_KILLS = 20;
const BIN = path.resolve('bin/warden.js');

const root = mkdtempSync(path.join(tmpdir(), 'warden-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const args = (out: string, extra: readonly string[]) => [
  BIN,
  'replay',
  '--bars',
  sharedFile(FILE),
  '--symbol',
  SYMBOL,
  '--entry-every',
  '60',
  '--seed',
  '3',
  '--out',
  out,
  '--no-progress',
  ...extra,
];

interface Attempt {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; kills it with SIGKILL after `killAfterMs` unless it has exited by then. */
function attempt(argv: string[], killAfterMs: number): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const lines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n');

describeShared('replay --store killed with SIGKILL and restarted', () => {
  const inst = instrumentFromConfig(defaultConfig(), SYMBOL, true);

  for (const [name, extra, seed] of [
    ['no broker faults', [] as string[], 11],
    ['20% broker faults', ['--faults', '0.2', '--fault-seed', '7'], 12],
  ] as const) {
    it(`${name}: ${MIN_KILLS}+ kills, the same decisions.jsonl and report.json as the uninterrupted run`, async () => {
      const dir = path.join(root, name.replace(/\W+/g, '-'));
      const ref = path.join(dir, 'ref');
      mkdirSync(dir, { recursive: true });
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args(ref, extra), { encoding: 'utf8' });
      const duration = performance.now() - t0;
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const refDecisions = readFileSync(path.join(ref, 'decisions.jsonl'));
      const refReport = readFileSync(path.join(ref, 'report.json'));
      const refInv = checkDecisionInvariants(lines(path.join(ref, 'decisions.jsonl')), inst);
      expect(refInv.violations.slice(0, 5)).toEqual([]);

      // Start-up alone (tsx, the CLI's modules): the same command refused for a missing --bars file.
      const s0 = performance.now();
      const st = spawnSync(
        process.execPath,
        args(path.join(dir, 'none'), extra).map((x) => (x === sharedFile(FILE) ? path.join(dir, 'missing.csv') : x)),
        { encoding: 'utf8' },
      );
      const startup = Math.min(performance.now() - s0, duration * 0.8);
      expect(st.status).toBe(2);

      const rnd = seededRandom(seed);
      let kills = 0;
      let resumes = 0;
      let rounds = 0;
      const killedAt: number[] = [];
      while (kills < MIN_KILLS) {
        rounds++;
        const out = path.join(dir, `round${rounds}`);
        const store = path.join(dir, `round${rounds}.db`);
        const argv = args(out, [...extra, '--store', store, '--checkpoint-every', '500']);
        for (let tries = 0; ; tries++) {
          expect(tries).toBeLessThan(200);
          // A quarter spread over the whole run (start-up included), the rest over the replay and the
          // report writing after start-up; a little past the end, so some attempts finish.
          const u = rnd();
          const delay =
            kills >= MIN_KILLS
              ? 600_000
              : rnd() < 0.25
                ? u * duration * 1.05
                : startup + u * (duration - startup) * 1.05;
          const a = await attempt(argv, delay);
          // Printed first thing after loading (before the replay): killed attempts count too.
          resumes += (a.stdout.match(/^resuming from bar [\d,]+ of 15,222 \(checkpoint saved at \d{4}-.+Z\)$/gm) ?? [])
            .length;
          if (a.signal === 'SIGKILL') {
            kills++;
            killedAt.push(Math.round(delay));
            continue;
          }
          expect(a.stderr).toBe('');
          expect(a.code).toBe(0);
          break;
        }
        expect(
          readFileSync(path.join(out, 'decisions.jsonl')).equals(refDecisions),
          `round ${rounds}: decisions.jsonl`,
        ).toBe(true);
        expect(readFileSync(path.join(out, 'report.json')).equals(refReport), `round ${rounds}: report.json`).toBe(
          true,
        );
        const decided = lines(path.join(out, 'decisions.jsonl'));
        const inv = checkDecisionInvariants(decided, inst);
        expect(inv.violations.slice(0, 5)).toEqual([]);
        // No intent id applied twice (the invariants check it too; here on its own, plainly).
        const applied = decided
          .map((l) => JSON.parse(l) as { intentId: string; result: string })
          .filter((l) => l.intentId !== '' && l.result === 'applied');
        expect(new Set(applied.map((l) => l.intentId)).size).toBe(applied.length);
      }
      expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
      expect(resumes).toBeGreaterThan(0);
      console.log(
        `${name}: uninterrupted ${Math.round(duration)} ms (start-up ${Math.round(startup)} ms); ${kills} kills in ${rounds} round(s), ${resumes} attempt(s) resumed from a checkpoint; kill delays (ms): ${killedAt.join(' ')}`,
      );
    }, 150_000);
  }
});
