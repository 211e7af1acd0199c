// Output helpers for commands. They write through commander's output configuration, which `buildProgram()` sets
// and every subcommand inherits, so tests can capture a command's output in-process.
import type { Command } from 'commander';

/** Where the CLI writes, and the clock it reads. Defaults to the process's stdout and stderr, and the wall clock. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Epoch ms now (default Date.now): tests pin it, so no command's output depends on the day or hour they run. */
  now?: () => number;
}

export const processIO: CliIO = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
};

const clocks = new WeakMap<Command, () => number>();

/** Sets the clock the program's commands read (`clockOf`); `buildProgram` calls it. */
export function setClock(program: Command, now: () => number): void {
  clocks.set(program, now);
}

/** The clock of the program `cmd` belongs to (the wall clock unless the caller gave one). */
export function clockOf(cmd: Command): () => number {
  let c: Command | null = cmd;
  while (c !== null) {
    const now = clocks.get(c);
    if (now !== undefined) return now;
    c = c.parent;
  }
  return Date.now;
}

const withNewline = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);

/** Writes `text` (a newline is added if missing) to the command's standard output. */
export function writeOut(cmd: Command, text: string): void {
  const write = cmd.configureOutput().writeOut ?? processIO.out;
  write(withNewline(text));
}

/** Writes `text` (a newline is added if missing) to the command's error output. */
export function writeErr(cmd: Command, text: string): void {
  const write = cmd.configureOutput().writeErr ?? processIO.err;
  write(withNewline(text));
}
