// The CLI in-process: buildProgram/run with captured output, and the command-module pattern.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram, COMMANDS, loadCommands, readVersion, run, runProgram } from '../../src/cli/main.ts';
import { CliError } from '../../src/cli/errors.ts';
import { writeOut } from '../../src/cli/io.ts';
import type { CliIO } from '../../src/cli/io.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-cli-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): CliIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stdout: () => out,
    stderr: () => err,
  };
}

const argv = (...args: string[]) => ['node', 'warden', ...args];

describe('run()', () => {
  it('returns 0 and prints the version', async () => {
    const io = capture();
    expect(await run(argv('--version'), io)).toBe(0);
    expect(io.stdout().trim()).toBe(readVersion());
    expect(readVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('config check: 0 for a good file, 2 with path: message lines for a bad one', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'features:\n  timeframe: M5\n');
    const io = capture();
    expect(await run(argv('config', 'check', good), io)).toBe(0);
    expect(io.stdout()).toContain('timeframe: M5');
    expect(io.stdout()).toContain('bufferMultiplier: 0.3');

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ exits: { symbolParams: { DEFAULT: { bufferMultiplier: 0.05 } } } }));
    const io2 = capture();
    expect(await run(argv('config', 'check', bad), io2)).toBe(2);
    expect(io2.stdout()).toBe('');
    expect(io2.stderr()).toContain(
      'exits.symbolParams.DEFAULT.bufferMultiplier: 0.05 is out of range: must be between 0.1 and 1',
    );
  });

  it('buildProgram registers every command module, each under the name COMMANDS gives it', async () => {
    const names = buildProgram(undefined, await loadCommands()).commands.map((c) => c.name());
    expect(names).toEqual(COMMANDS.map((c) => c.name));
  });

  it('loads only the command named on the line, and every command otherwise (help, a mistyped command)', async () => {
    expect(buildProgram(undefined, await loadCommands(argv('replay', '--help'))).commands.map((c) => c.name())).toEqual(
      ['replay'],
    );
    expect(await loadCommands(argv('--help'))).toHaveLength(COMMANDS.length);
    expect(await loadCommands(argv('replya'))).toHaveLength(COMMANDS.length);
  });
});

describe('command modules', () => {
  // A module as another engineer would write it in src/cli/commands/<name>.ts.
  const demo = {
    register(program: Command): void {
      program
        .command('hello')
        .argument('<who>')
        .action((who: string, _opts: unknown, cmd: Command) => {
          if (who === 'nobody') throw new CliError('nobody is not a name');
          if (who === 'crash') throw new Error('boom');
          writeOut(cmd, `hello ${who}`);
        });
    },
  };

  function programWithDemo() {
    const io = capture();
    const program = buildProgram(io);
    demo.register(program);
    return { io, program };
  }

  it('an added module gets the shared output and error handling', async () => {
    const { io, program } = programWithDemo();
    expect(await runProgram(program, argv('hello', 'trader'), io)).toBe(0);
    expect(io.stdout()).toBe('hello trader\n');
    const usage = programWithDemo();
    expect(await runProgram(usage.program, argv('hello'), usage.io)).toBe(2);
    expect(usage.io.stderr()).toContain("missing required argument 'who'");
  });

  it('CliError is one clear message with exit 2', async () => {
    const { io, program } = programWithDemo();
    expect(await runProgram(program, argv('hello', 'nobody'), io)).toBe(2);
    expect(io.stderr()).toBe('warden: nobody is not a name\n');
  });

  it('any other error is exit 1, reported without a stack trace', async () => {
    const before = process.env.WARDEN_DEBUG;
    delete process.env.WARDEN_DEBUG;
    try {
      const { io, program } = programWithDemo();
      expect(await runProgram(program, argv('hello', 'crash'), io)).toBe(1);
      expect(io.stderr()).toContain('warden: unexpected error: boom');
      expect(io.stderr()).not.toMatch(/^\s{4}at /m);
    } finally {
      if (before !== undefined) process.env.WARDEN_DEBUG = before;
    }
  });
});
