// Output helpers for commands. They write through commander's output configuration, which `buildProgram()` sets
// and every subcommand inherits, so tests can capture a command's output in-process.
import type { Command } from 'commander';

/** Where the CLI writes. Defaults to the process's stdout and stderr. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIO: CliIO = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
};

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
