// The output folder of a command that writes several files together (`warden replay --out`, `warden
// study --out`). The rule: the files of one run are written into a temporary folder beside OUT (same
// parent, so the same file system and every rename is atomic) and moved into OUT only once all of
// them are written. A run that fails or is killed before that leaves OUT's previous files exactly as
// they were: never a new decisions.jsonl beside the previous run's report.json.
//
// Files are moved into OUT one by one (each rename atomic), not by swapping the whole folder: OUT may
// be the current directory or hold files of the trader's own, and those stay where they are.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export interface StagedOutput {
  /** Where the files end up (OUT). */
  final: string;
  /** Where they are written meanwhile. */
  dir: string;
  /** Kept when the run fails (a resumable run goes on from its contents), removed otherwise. */
  resumable: boolean;
}

/**
 * The temporary folder of OUT: `OUT.tmp-PID` for a plain run (one per process, so two runs never
 * write into each other's files), `OUT.partial` for a resumable one (the next run with the same
 * arguments finds it and goes on from its last checkpoint).
 */
export function stagedDirOf(final: string, resumable: boolean, pid: number = process.pid): string {
  const abs = path.resolve(final);
  return resumable ? `${abs}.partial` : `${abs}.tmp-${pid}`;
}

/** Creates the temporary folder of OUT (see stagedDirOf); a plain run's leftover of the same name is cleared first. */
export function stageOutput(final: string, resumable: boolean, pid: number = process.pid): StagedOutput {
  if (existsSync(final) && !statSync(final).isDirectory()) throw new OutputDirError(`${final} is not a directory`);
  const dir = stagedDirOf(final, resumable, pid);
  if (!resumable) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { final, dir, resumable };
}

/** Refusal of an --out that cannot be a folder of outputs (the CLI reports it as bad input). */
export class OutputDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputDirError';
  }
}

/** Every file under `dir`, as paths relative to it (sub-folders' files included), sorted. */
function filesUnder(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    const r = rel === '' ? e.name : path.join(rel, e.name);
    if (e.isDirectory()) out.push(...filesUnder(dir, r));
    else out.push(r);
  }
  return out;
}

/**
 * Moves the run's files from the temporary folder into OUT (replacing the previous run's files of the
 * same names; other files of OUT stay), then removes the temporary folder. `files` (relative paths):
 * the files the run writes, every one required; the rest of the folder is not moved (a resumable
 * run's folder may hold files of an earlier, different run). Without it, every file of the folder.
 * The folders are made first, so what is left between the first and the last rename is nothing but renames.
 */
export function commitOutput(s: StagedOutput, only?: readonly string[]): void {
  const files = only ?? filesUnder(s.dir);
  const missing = files.filter((f) => !existsSync(path.join(s.dir, f)));
  if (missing.length > 0) throw new Error(`${s.dir}: ${missing.join(', ')} not written`);
  mkdirSync(s.final, { recursive: true });
  for (const d of new Set(files.map((f) => path.dirname(f))))
    if (d !== '.') mkdirSync(path.join(s.final, d), { recursive: true });
  for (const f of files) renameSync(path.join(s.dir, f), path.join(s.final, f));
  rmSync(s.dir, { recursive: true, force: true });
}

/**
 * After a failed run: removes the temporary folder (a resumable run's is kept) and returns what the
 * message says about it.
 */
export function abandonOutput(s: StagedOutput): string {
  const kept = `nothing in ${s.final} was replaced: its previous files are as they were`;
  if (s.resumable)
    return `${kept}; the partial run is in ${s.dir}, and the same command goes on from its last checkpoint`;
  try {
    rmSync(s.dir, { recursive: true, force: true });
    return `${kept} (the partial files were removed)`;
  } catch {
    return `${kept}; the partial files are in ${s.dir} (delete it)`;
  }
}

/** A failure of a run that wrote into a staged folder: the error, and what happened to the outputs. */
export class StagedRunError extends Error {
  constructor(
    readonly failure: unknown,
    readonly note: string,
    /** The temporary folder the run wrote into (named for a failure that names no file). */
    readonly dir: string,
  ) {
    super(`${failure instanceof Error ? failure.message : String(failure)}\n${note}`, { cause: failure });
    this.name = 'StagedRunError';
  }
}

/**
 * Runs `write` with the temporary folder of OUT, then moves its files (`files`, see commitOutput) into OUT. On failure the
 * temporary folder is dealt with (abandonOutput) and a StagedRunError carries the error and the note.
 */
export async function withStagedOutput<T>(
  final: string,
  resumable: boolean,
  write: (dir: string) => Promise<T> | T,
  files?: readonly string[],
): Promise<T> {
  const s = stageOutput(final, resumable);
  let result: T;
  try {
    result = await write(s.dir);
  } catch (err) {
    throw new StagedRunError(err, abandonOutput(s), s.dir);
  }
  try {
    commitOutput(s, files);
  } catch (err) {
    // Part of the files may be in OUT already: the rest stay where they are, for the trader to see.
    throw new StagedRunError(
      err,
      `moving the files from ${s.dir} into ${s.final} failed part-way: the files still in ${s.dir} are this run's`,
      s.dir,
    );
  }
  return result;
}

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/**
 * "the disk is full (PATH)" for an ENOSPC or EDQUOT error (a quota is a full disk to the writer), else
 * null. PATH: the error's file, else `where` (a write through a file descriptor names none).
 */
export function diskFullMessage(err: unknown, where?: string): string | null {
  if (!(err instanceof Error) || !('code' in err) || typeof err.code !== 'string' || !DISK_FULL_CODES.has(err.code))
    return null;
  const file =
    'path' in err && typeof err.path === 'string' && err.path !== '' ? err.path : (where ?? 'writing the outputs');
  const what = err.code === 'EDQUOT' ? 'the disk quota is used up' : 'no space left';
  return `the disk is full (${file}): ${what}; free some space and run again`;
}
