// Runs the `warden` CLI in-process, capturing what it writes: its exit code, stdout and stderr. Its
// clock is pinned (PINNED_NOW unless the test gives another instant): no output depends on when it runs.
import type { CliIO } from '../../src/cli/io.ts';
import { run } from '../../src/cli/main.ts';
import { PINNED_NOW } from './liveHarness.ts';

export function wardenCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return wardenCliAt(PINNED_NOW, ...args);
}

/** The CLI with its clock pinned at `now` (epoch ms). */
export async function wardenCliAt(
  now: number,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), now: () => now };
  const code = await run(['node', 'warden', ...args], io);
  return { code, stdout: out, stderr: err };
}
