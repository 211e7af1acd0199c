// Warden's command line. `bin/warden.js` runs this file's `run(process.argv)` through tsx.
//
// Adding a command: create `src/cli/commands/<name>.ts` exporting `register(program: Command): void` (see
// `commands/config.ts`), import it below and append it to COMMANDS. Inside an action, write with `writeOut`/`writeErr`
// from `./io.ts`, and throw `CliError` (from `./errors.ts`) for anything the user can fix: it is printed as a clear
// message with exit code 2, never with a stack trace. Anything else thrown is reported as unexpected (exit 1).
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliError, EXIT_BAD_INPUT, EXIT_OK, EXIT_UNEXPECTED } from './errors.ts';
import { processIO, setClock } from './io.ts';
import type { CliIO } from './io.ts';
import * as brokerCommand from './commands/broker.ts';
import * as configCommand from './commands/config.ts';
import * as demoCommand from './commands/demo.ts';
import * as healthCommand from './commands/health.ts';
import * as importLegacyCommand from './commands/importLegacy.ts';
import * as openapiCommand from './commands/openapi.ts';
import * as optimizeCommand from './commands/optimize.ts';
import * as replayCommand from './commands/replay.ts';
import * as serveCommand from './commands/serve.ts';
import * as shadowCommand from './commands/shadow.ts';
import * as studyCommand from './commands/study.ts';
import * as mcpCommand from './commands/mcp.ts';
// A new command: import it like the ones above, then list it in COMMANDS.

/** A command module: registers its command(s) on the program. */
export interface CommandModule {
  register(program: Command): void;
}

/** Every command of the CLI, in help order. Append new command modules here. */
export const COMMANDS: readonly CommandModule[] = [
  configCommand,
  demoCommand,
  replayCommand,
  studyCommand,
  optimizeCommand,
  importLegacyCommand,
  healthCommand,
  serveCommand,
  shadowCommand,
  openapiCommand,
  brokerCommand,
  mcpCommand,
];

/** The version in package.json. */
export function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // fall through
  }
  return '0.0.0-unknown';
}

/** Builds the `warden` program with every command of COMMANDS. Output goes to `io` (default: stdout/stderr). */
export function buildProgram(io: CliIO = processIO): Command {
  const program = new Command();
  program
    .name('warden')
    .description('Warden manages the exits of open trading positions.')
    .version(readVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  setClock(program, io.now ?? Date.now);
  // Settings above are inherited by the subcommands the modules create with `program.command(...)`.
  for (const mod of COMMANDS) mod.register(program);
  return program;
}

function exitCodeOfCommanderError(err: CommanderError): number {
  switch (err.code) {
    case 'commander.version':
    case 'commander.helpDisplayed':
      return EXIT_OK;
    case 'commander.help':
      // Help shown because no command was given: usage error unless it exited 0.
      return err.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    default:
      // Unknown command or option, missing or excess argument: commander has already printed the message.
      return EXIT_BAD_INPUT;
  }
}

/**
 * Runs the CLI on `argv` (as in `process.argv`: node, script, args...) and returns the exit code (the caller sets
 * `process.exitCode`, see bin/warden.js). Never throws: user errors are one clear message, never a stack trace.
 */
export async function run(argv: readonly string[] = process.argv, io: CliIO = processIO): Promise<number> {
  let program: Command;
  try {
    program = buildProgram(io);
  } catch (err) {
    return reportError(err, io);
  }
  return runProgram(program, argv, io);
}

/** Parses `argv` with `program` (built by `buildProgram(io)`) and maps what happens to an exit code. */
export async function runProgram(program: Command, argv: readonly string[], io: CliIO = processIO): Promise<number> {
  try {
    await program.parseAsync([...argv], { from: 'node' });
    return EXIT_OK;
  } catch (err) {
    return reportError(err, io);
  }
}

function reportError(err: unknown, io: CliIO): number {
  if (err instanceof CommanderError) {
    // Commander has already printed its message (or the help/version).
    return exitCodeOfCommanderError(err);
  }
  if (err instanceof CliError) {
    if (err.message !== '') io.err(`warden: ${err.message}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.err(`warden: unexpected error: ${message}\n`);
  if (process.env.WARDEN_DEBUG && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
  else io.err('(set WARDEN_DEBUG=1 to see the stack trace)\n');
  return EXIT_UNEXPECTED;
}
