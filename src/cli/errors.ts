// Errors the CLI reports to the user as one clear message (no stack trace), with their exit code.
import { diskFullMessage, OutputDirError, StagedRunError } from '../replay/stagedOutput.ts';

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

/**
 * The error a command that writes output files ends with: a failure of a staged run keeps its note (what
 * became of OUT's files) under the message; a full disk (ENOSPC, EDQUOT) or an --out that cannot be a
 * folder is bad input like a missing file (exit 2: the trader frees space or picks another folder),
 * not an unexpected failure; `known` maps the command's own errors. Anything else is returned as it is.
 */
export function outputFailure(
  err: unknown,
  known: (e: unknown) => CliError | null = () => null,
  where?: string,
): unknown {
  if (err instanceof StagedRunError) {
    const inner = outputFailure(err.failure, known, err.dir);
    return inner instanceof CliError ? new CliError(`${inner.message}\n${err.note}`, inner.exitCode) : err;
  }
  if (err instanceof CliError) return err;
  if (err instanceof OutputDirError) return new CliError(`--out ${err.message}`);
  const full = diskFullMessage(err, where);
  if (full !== null) return new CliError(full);
  return known(err) ?? err;
}
