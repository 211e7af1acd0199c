// Errors the CLI reports to the user as one clear message (no stack trace), with their exit code.

/** Exit codes: 0 ok, 1 unexpected failure, 2 bad input (bad arguments, missing file, invalid config). */
export const EXIT_OK = 0;
export const EXIT_UNEXPECTED = 1;
export const EXIT_BAD_INPUT = 2;
/** `warden health`: the report says degraded (the report itself is on stdout). */
export const EXIT_DEGRADED = 3;

/**
 * Thrown by a command for a problem the user caused and can fix (or, with an empty message, to end
 * with `exitCode` after the command has said everything itself). `run()` prints `message` (which may span
 * several lines, e.g. one per config error) to stderr and exits with `exitCode`; never a stack trace.
 */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_BAD_INPUT) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
