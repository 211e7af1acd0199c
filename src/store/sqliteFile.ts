// Opening the SQLite store: the file as it is before SQLite opens it for writing, and the read-only
// connection that looks at it.
//
// Opening never harms a file that is not a healthy Warden store. In order:
//   - missing (or empty) file: a new store is built in a temporary file beside it and linked into
//     place complete, so a crash while creating never leaves a half-made store at the path;
//   - not SQLite (random bytes, JSON, a header cut short): refused, file untouched ('not_sqlite');
//   - SQLite without Warden's application id and meta table: refused, file untouched ('foreign');
//   - a schema version this build does not know: refused, file untouched ('newer_schema');
//   - opened for writing, but the file, its directory, or a -wal/-shm beside it cannot be written:
//     refused before SQLite opens anything ('io'), the message names the file and the fix;
//   - fails `PRAGMA quick_check`: refused, a copy saved as `<file>.corrupt-<time>` unless one with the
//     same bytes is there already ('corrupt'); opened read-only, nothing is written, not even a copy:
//     the message says how to save one.
// These checks read the header bytes, then a read-only connection (which neither rolls back nor
// checkpoints anything); only a store that passes them is opened for writing and migrated.
//
// A read-only open creates nothing beside the file: a WAL store whose -wal is absent (no writer has
// it open, every commit is in the file) is read from an in-memory image of the file, since SQLite's
// own read-only connection would create a -wal and a -shm (and fails where it cannot create them: a
// read-only directory). With a -wal there, SQLite reads it and the -shm in place. The one exception:
// a -wal without its -shm (a crash, then the -shm removed; or a store copied without it) needs the
// -shm created to be read; it is left there (it holds no data, and removing one that a writer started
// meanwhile may be using would be unsafe), and where it cannot be created the message says what to do.
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describeStoreFailure, StoreError } from './store.ts';

/**
 * How long a statement waits for a lock another program holds before SQLite says "database is
 * locked". better-sqlite3 waits synchronously, holding the whole process (the engine and the API), so
 * the wait is short; a live session tries again with backoff (accountSession.ts) for as long as the
 * lock lasts, answering the API meanwhile.
 */
export const BUSY_TIMEOUT_MS = 250;

/** `PRAGMA application_id` of a Warden store: 'WARD' (bytes 68-71 of the file header). */
export const WARDEN_APPLICATION_ID = 0x57415244;
/** The value of the meta row `application`. */
export const APPLICATION = 'warden';
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;

/** The store file's size, null when there is none; refuses a path that is not a regular file. */
export function fileSize(file: string): number | null {
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new StoreError('io', file, `${file}: cannot open the store: it is not a regular file`);
    return st.size;
  } catch (err) {
    if (err instanceof StoreError) throw err;
    if (isErrno(err, 'ENOENT')) return null;
    throw ioError(file, err);
  }
}

export const isErrno = (err: unknown, code: string): boolean =>
  typeof err === 'object' && err !== null && 'code' in err && err.code === code;
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
export function ioError(file: string, err: unknown): StoreError {
  // A -wal without its -shm (left by a crash, or copied without it) can only be read by creating the
  // -shm, which SQLite reports as "unable to open database file" where the directory cannot be written.
  const dir = dirname(file);
  const dirProblem = existsSync(`${file}-wal`) && !existsSync(`${file}-shm`) ? writeProblem(dir) : null;
  if (dirProblem !== null) {
    return new StoreError(
      'io',
      file,
      `${file}: cannot open the store: ${file}-wal holds commits not yet in the file, and reading it needs a ${file}-shm beside it, which cannot be created in ${dir} (${dirProblem}): open the store once where the directory can be written (\`warden serve\` folds the -wal into the file), or make the directory writable (chmod u+w ${dir}); do not remove the -wal (${describeStoreFailure(err)})`,
    );
  }
  return new StoreError('io', file, `${file}: cannot open the store: ${describeStoreFailure(err)}`);
}

/**
 * Why `path` cannot be written by this process (its mode, its owner when another user's, or a
 * read-only file system), or null when it can. `access` asks the kernel, so root passes any mode.
 */
export function writeProblem(path: string): string | null {
  try {
    accessSync(path, fsConstants.W_OK);
    return null;
  } catch (err) {
    if (isErrno(err, 'EROFS')) return 'it is on a read-only file system';
    if (!isErrno(err, 'EACCES') && !isErrno(err, 'EPERM')) return null; // gone meanwhile, or unknown: SQLite says
    try {
      const st = statSync(path);
      const owner =
        typeof process.getuid === 'function' && st.uid !== process.getuid() ? `, owned by uid ${st.uid}` : '';
      return `mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}${owner}`;
    } catch {
      return 'permission denied';
    }
  }
}

/**
 * A store opened for writing must be writable, and so must its directory (SQLite creates the -wal and
 * -shm beside it, and the temporary file of a new store) and any -wal or -shm already there. Checked
 * before SQLite opens anything: SQLite would open an unwritable file read-only without a word, fail at
 * the first write, and leave a -shm with the file's read-only mode behind, which keeps failing after
 * the file's mode is fixed. `exists`: the store file is there (a new store only needs the directory).
 */
export function checkWritable(file: string, exists: boolean): void {
  const dir = dirname(file);
  const verb = exists ? 'open the store for writing' : 'create the store';
  const dirProblem = writeProblem(dir);
  if (dirProblem !== null) {
    throw new StoreError(
      'io',
      file,
      `${file}: cannot ${verb}: its directory ${dir} cannot be written (${dirProblem}), and SQLite keeps ${file}-wal and ${file}-shm beside the store; make the directory writable (chmod u+w ${dir}) or move the store to one that is; nothing was changed`,
    );
  }
  if (!exists) return;
  const fileProblem = writeProblem(file);
  if (fileProblem !== null) {
    throw new StoreError(
      'io',
      file,
      `${file}: cannot open the store for writing: the file cannot be written (${fileProblem}); make it writable (chmod u+w ${file}); nothing was changed`,
    );
  }
  for (const side of ['wal', 'shm'] as const) {
    const path = `${file}-${side}`;
    const problem = existsSync(path) ? writeProblem(path) : null;
    if (problem === null) continue;
    const advice =
      side === 'wal'
        ? `check its mode and owner (chmod u+w ${path}); do not remove it: it holds the store's last transactions`
        : `check its mode and owner (chmod u+w ${path}); it holds no data and may be removed while no program has the store open, but fixing its mode is the safer fix`;
    throw new StoreError(
      'io',
      file,
      `${file}: cannot open the store for writing: ${path} beside it cannot be written (${problem}); ${advice}; nothing was changed`,
    );
  }
}

/**
 * A read-only connection that creates nothing beside `file` (see the top of this file): an in-memory
 * image of a WAL store without its -wal (every commit is in the file then), otherwise SQLite's
 * read-only connection to the file itself (a rollback-journal store, or a -wal to read).
 */
export function openReader(file: string, timeout?: number): Database.Database {
  const head = Buffer.alloc(HEADER_BYTES);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const wal = head[18] === 2 && head[19] === 2;
  if (!wal || existsSync(`${file}-wal`))
    return new Database(file, { readonly: true, fileMustExist: true, ...(timeout === undefined ? {} : { timeout }) });
  const image = readFileSync(file);
  // The image is marked as a rollback-journal database: an in-memory database has no WAL to look for.
  image[18] = 1;
  image[19] = 1;
  return new Database(image, { readonly: true });
}

export const UNTOUCHED = 'refusing to open it; the file was left untouched';

/** The file's first bytes must be a SQLite header carrying Warden's application id. */
export function checkHeader(file: string): void {
  const head = Buffer.alloc(HEADER_BYTES);
  let n: number;
  try {
    const fd = openSync(file, 'r');
    try {
      n = readSync(fd, head, 0, HEADER_BYTES, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw ioError(file, err);
  }
  const got = head.subarray(0, n);
  if (n < SQLITE_MAGIC.length || !got.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    throw new StoreError(
      'not_sqlite',
      file,
      `${file} is not a Warden store: it is not a SQLite database (${describeBytes(got)}); ${UNTOUCHED}`,
    );
  }
  if (n < HEADER_BYTES) {
    throw new StoreError(
      'not_sqlite',
      file,
      `${file} is not a Warden store: its SQLite header is cut short (${n} of ${HEADER_BYTES} bytes); ${UNTOUCHED}`,
    );
  }
  const appId = head.readUInt32BE(68);
  if (appId !== WARDEN_APPLICATION_ID) {
    const id = appId === 0 ? 'no application id' : `application id 0x${appId.toString(16).padStart(8, '0')}`;
    const tables = foreignTables(file, head);
    throw new StoreError(
      'foreign',
      file,
      `${file} is a SQLite database but not a Warden store (${id}${tables}); ${UNTOUCHED}`,
    );
  }
}

/** What the start of a non-SQLite file looks like, for the message. */
function describeBytes(b: Buffer): string {
  if (b.length === 0) return 'it is empty';
  const text = b.toString('utf8').trimStart();
  if (text.startsWith('{') || text.startsWith('[')) return 'it looks like a JSON file';
  if (SQLITE_MAGIC.subarray(0, b.length).equals(b)) return `it is cut short after ${b.length} bytes`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: tab, LF and CR are the control characters a text file holds.
  const printable = /^[\x09\x0a\x0d\x20-\x7e]+$/.test(b.toString('latin1'));
  if (printable) return `it is a text file starting "${b.toString('latin1').slice(0, 24).replace(/\s+/g, ' ')}"`;
  return `it starts with the bytes ${[...b.subarray(0, 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ')}`;
}

/**
 * The tables of a foreign database, to say what it is, when they can be read without side effects:
 * a rollback-journal database without a hot journal (a read-only connection to a WAL database would
 * create a -shm file beside it, and one with a hot journal would need a rollback).
 */
function foreignTables(file: string, head: Buffer): string {
  if (head[18] !== 1 || head[19] !== 1 || existsSync(`${file}-journal`)) return '';
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const names = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name);
    if (names.length === 0) return ', no tables';
    return `, tables: ${names.slice(0, 6).join(', ')}${names.length > 6 ? `, ... (${names.length})` : ''}`;
  } catch {
    return '';
  } finally {
    db?.close();
  }
}

export const CORRUPTION_CODES = new Set([
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT_INDEX',
  'SQLITE_CORRUPT_SEQUENCE',
  'SQLITE_CORRUPT_VTAB',
]);
export const sqliteCode = (err: unknown): string =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : '';

/** Removes the -wal (if empty) and -shm that a read-only look created, never ones that were there before. */
export function removeSideFiles(file: string, hadWal: boolean, hadShm: boolean): void {
  try {
    if (!hadWal && existsSync(`${file}-wal`) && statSync(`${file}-wal`).size === 0) unlinkSync(`${file}-wal`);
    if (!hadWal && !hadShm && !existsSync(`${file}-wal`)) rmSync(`${file}-shm`, { force: true });
  } catch {
    // best effort: an empty -wal and a -shm are harmless
  }
}
