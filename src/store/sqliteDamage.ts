// A store with Warden's header, looked at read-only before it is opened for writing: its meta table,
// its schema version, and SQLite's quick_check. A damaged store is refused; opened for writing, a copy
// of it (and of its -wal) is saved beside it first as `<file>.corrupt-<time>`, once per distinct
// content, so a service restarted in a loop on a damaged store does not fill the disk.
import { basename, dirname, join } from 'node:path';
import {
  closeSync,
  copyFileSync,
  constants as fsConstants,
  existsSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
} from 'node:fs';
import type Database from 'better-sqlite3';
import { describeStoreFailure, StoreError } from './store.ts';
import {
  APPLICATION,
  CORRUPTION_CODES,
  ioError,
  isErrno,
  messageOf,
  openReader,
  removeSideFiles,
  sqliteCode,
  UNTOUCHED,
} from './sqliteFile.ts';

/**
 * Read-only look at a file with Warden's header: the meta table, the schema version, and SQLite's
 * quick_check. A damaged store is copied beside itself before the error is thrown, unless `readonly`.
 */
export function inspect(file: string, known: number, now: number, readonly: boolean): void {
  const hadWal = existsSync(`${file}-wal`);
  let problem = findDamage(file, known);
  // An image of the file is read without SQLite's locks: a writer that started and checkpointed while
  // it was read could show it torn. Damage seen that way is looked at again, through SQLite's locks.
  if (problem !== null && !hadWal && existsSync(`${file}-wal`)) problem = findDamage(file, known);
  if (problem === null) return;
  if (readonly) {
    // A read-only use (health, reports) runs often, from monitors: it writes nothing, not even a copy.
    const wal = existsSync(`${file}-wal`) ? ` and ${file}-wal (it holds the latest commits) as ${file}.saved-wal` : '';
    throw new StoreError(
      'corrupt',
      file,
      `${file} is damaged (${problem}). Nothing was written: a read-only look never saves a copy. \`warden serve\` on this store saves one as ${file}.corrupt-<time> and refuses to start; or copy it yourself: ${file} as ${file}.saved${wal} (cp -p). Then restore it from a backup, or move it away to start a new store`,
    );
  }
  const { backup, saved } = saveCopy(file, now);
  throw new StoreError(
    'corrupt',
    file,
    `${file} is damaged (${problem}); refusing to open it. A copy was ${saved ? 'saved' : 'saved before'} as ${backup}; the file was left as it is. Restore it from a backup, or move it away to start a new store`,
    backup,
  );
}

/** What SQLite finds wrong with a file with Warden's header (null: nothing); throws for a foreign or newer store. */
function findDamage(file: string, known: number): string | null {
  let problem: string | null = null;
  let db: Database.Database | undefined;
  // A read-only connection to a WAL database with its -wal may create the -shm; it is removed after.
  const hadWal = existsSync(`${file}-wal`);
  const hadShm = existsSync(`${file}-shm`);
  try {
    db = openReader(file);
    const hasMeta =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
    const app = hasMeta
      ? (db.prepare("SELECT value FROM meta WHERE key = 'application'").get() as { value: string } | undefined)
      : undefined;
    if (app?.value !== APPLICATION) {
      throw new StoreError(
        'foreign',
        file,
        `${file} is a SQLite database but not a Warden store (Warden's application id, but ${hasMeta ? 'no Warden meta row' : 'no meta table'}); ${UNTOUCHED}`,
      );
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > known) {
      throw new StoreError(
        'newer_schema',
        file,
        `${file} was created by a newer Warden (schema ${version}, this build knows up to ${known}); ${UNTOUCHED}`,
      );
    }
    const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
    const findings = rows
      .flatMap((r) => r.quick_check.split('\n'))
      .map((s) => s.trim())
      .filter((s) => s !== 'ok' && s !== '' && !s.startsWith('***'));
    if (rows.some((r) => r.quick_check !== 'ok')) problem = `integrity check: ${findings.join('; ') || 'failed'}`;
  } catch (err) {
    if (err instanceof StoreError) throw err;
    if (!CORRUPTION_CODES.has(sqliteCode(err))) throw ioError(file, err);
    problem = messageOf(err);
  } finally {
    db?.close();
    removeSideFiles(file, hadWal, hadShm);
  }
  return problem;
}

/**
 * Copies a damaged store (and its -wal, which holds the latest commits) to `<file>.corrupt-<time>`,
 * unless a copy saved before holds the same bytes: a service restarted in a loop on a damaged store
 * must not fill the disk with copies of it. Returns the copy's name and whether it was saved now.
 */
function saveCopy(file: string, now: number): { backup: string; saved: boolean } {
  const earlier = earlierCopy(file);
  if (earlier !== null) return { backup: earlier, saved: false };
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  for (let i = 1; ; i++) {
    const backup = `${file}.corrupt-${stamp}${i > 1 ? `-${i}` : ''}`;
    try {
      copyFileSync(file, backup, fsConstants.COPYFILE_EXCL);
      if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${backup}-wal`);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) continue;
      throw new StoreError(
        'corrupt',
        file,
        `${file} is damaged, and a copy could not be saved (${describeStoreFailure(err)}); refusing to open it, the file was left as it is`,
      );
    }
    return { backup, saved: true };
  }
}

/** A `<file>.corrupt-*` copy beside `file` with the same bytes as it and its -wal (both, or neither, there), or null. */
function earlierCopy(file: string): string | null {
  const dir = dirname(file);
  const prefix = `${basename(file)}.corrupt-`;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(prefix) && !n.endsWith('-wal'));
  } catch {
    return null;
  }
  const wal = `${file}-wal`;
  for (const name of names.sort().reverse()) {
    const copy = join(dir, name);
    const copyWal = `${copy}-wal`;
    if (existsSync(wal) !== existsSync(copyWal)) continue;
    if (sameBytes(file, copy) && (!existsSync(wal) || sameBytes(wal, copyWal))) return copy;
  }
  return null;
}

/** Whether two files hold the same bytes (compared a chunk at a time; false when either cannot be read). */
function sameBytes(a: string, b: string): boolean {
  let fa: number | undefined;
  let fb: number | undefined;
  try {
    if (statSync(a).size !== statSync(b).size) return false;
    fa = openSync(a, 'r');
    fb = openSync(b, 'r');
    const ba = Buffer.alloc(1 << 20);
    const bb = Buffer.alloc(1 << 20);
    for (let pos = 0; ; ) {
      const na = readSync(fa, ba, 0, ba.length, pos);
      const nb = readSync(fb, bb, 0, bb.length, pos);
      if (na !== nb) return false;
      if (na === 0) return true;
      if (!ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      pos += na;
    }
  } catch {
    return false;
  } finally {
    if (fa !== undefined) closeSync(fa);
    if (fb !== undefined) closeSync(fb);
  }
}
