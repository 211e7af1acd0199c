// Warden's command line. `bin/warden.js` runs this file's `run(process.argv)` (compiled, or through tsx).
//
// Adding a command: create `src/cli/commands/<name>.ts` exporting `register(program: Command): void` (see
// `commands/config.ts`) and append it to COMMANDS with its name. Inside an action, write with `writeOut`/`writeErr`
// from `./io.ts`, and throw `CliError` (from `./errors.ts`) for anything the user can fix: it is printed as a clear
// message with exit code 2, never with a stack trace. Anything else thrown is reported as unexpected (exit 1).
import { Command, CommanderError } from 'commander';
import { CliError, EXIT_BAD_INPUT, EXIT_OK, EXIT_UNEXPECTED } from './errors.ts';
import { processIO, setClock } from './io.ts';
import type { CliIO } from './io.ts';
import { readVersion } from './version.ts';

export { readVersion } from './version.ts';

/** A command module: registers its command(s) on the program. */
export interface CommandModule {
  register(program: Command): void;
}

/** A command of the CLI: its name and how to load its module (only the command run is loaded). */
export interface CommandEntry {
  name: string;
  load(): Promise<CommandModule>;
}

/**
 * Every command of the CLI, in help order. Append new command modules here. Modules load on demand:
 * `warden replay` loads the replay command alone, not the server, the MCP SDK or the brokers' clients
 * (measured here: start-up of a replay 0.64 s with every module, 0.2 s with its own).
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'config', load: () => import('./commands/config.ts') },
  { name: 'demo', load: () => import('./commands/demo.ts') },
  { name: 'replay', load: () => import('./commands/replay.ts') },
  { name: 'study', load: () => import('./commands/study.ts') },
  { name: 'optimize', load: () => import('./commands/optimize.ts') },
  { name: 'import-legacy', load: () => import('./commands/importLegacy.ts') },
  { name: 'health', load: () => import('./commands/health.ts') },
  { name: 'serve', load: () => import('./commands/serve.ts') },
  { name: 'shadow', load: () => import('./commands/shadow.ts') },
  { name: 'openapi', load: () => import('./commands/openapi.ts') },
  { name: 'broker', load: () => import('./commands/broker.ts') },
  { name: 'mcp', load: () => import('./commands/mcp.ts') },
];

/**
 * The command modules `argv` needs: the named command's alone, or every one (help, a mistyped command:
 * commander lists or suggests from all of them).
 */
export async function loadCommands(argv: readonly string[] = []): Promise<CommandModule[]> {
  const named = COMMANDS.find((c) => c.name === argv[2]);
  return Promise.all((named ? [named] : COMMANDS).map((c) => c.load()));
}

/** Builds the `warden` program with the given command modules. Output goes to `io` (default: stdout/stderr). */
export function buildProgram(io: CliIO = processIO, modules: readonly CommandModule[] = []): Command {
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
  for (const mod of modules) mod.register(program);
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
    program = buildProgram(io, await loadCommands(argv));
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
