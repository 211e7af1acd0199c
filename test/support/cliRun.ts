// Runs the `warden` CLI in-process, capturing what it writes: its exit code, stdout and stderr.
import type { CliIO } from '../../src/cli/io.ts';
import { run } from '../../src/cli/main.ts';

export async function wardenCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await run(['node', 'warden', ...args], io);
  return { code, stdout: out, stderr: err };
}
