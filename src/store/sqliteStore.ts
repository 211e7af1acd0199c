// The embedded store: one SQLite file through better-sqlite3 (WAL), schema migrations from
// sqliteMigrations.ts applied at open, every JSON column validated on read (records.ts).
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
import type { ShadowBookSnapshot } from '../domain/shadowBookSnapshot.ts';
import { accessSync, closeSync, copyFileSync, constants as fsConstants, existsSync, linkSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { fromPlainJson } from '../domain/plainJson.ts';
import type { Intent, Position } from '../domain/types.ts';
import type { HealthReport } from '../domain/health.ts';
import type { DecisionRecord } from '../exits/decisionRecord.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import { MIGRATIONS, type Migration } from './sqliteMigrations.ts';
import {
  closedTradeSchema,
  planProposalSchema,
  decisionRecordSchema,
  decodeRecord,
  encodeRecord,
  exitPlanSchema,
  healthReportSchema,
  INTENT_STATUSES,
  intentSchema,
  lifetimeSchema,
  notesSchema,
  paperAccountSchema,
  shadowBookSchema,
  positionSchema,
  sessionOwnerSchema,
  sessionStateSchema,
  storedDefenceSchema,
  storedLegacyRuleSchema,
} from './records.ts';
import {
  describeStoreFailure,
  StoreError,
  type ClosedTrade,
  type PlanProposal,
  type ClosedTradeQuery,
  type IntentFill,
  type IntentAnswer,
  type IntentCount,
  type IntentFilter,
  type IntentStatus,
  type JournalDecision,
  type JournalFilter,
  type JournalRange,
  type StoredDefence,
  type StoredIntent,
  type StoredLegacyRule,
  type StoredLifetime,
  type StoredPaperAccount,
  type StoredPosition,
  type StoredSessionState,
  type SessionOwner,
  REPLAY_CHECKPOINT_LISTS,
  type ReplayCheckpointList,
  type ReplayCheckpointPart,
  type ReplayCheckpointRecord,
  type StoredReplayCheckpoint,
  type StoreMeta,
  type WardenStore,
} from './store.ts';

/**
 * How long a statement waits for a lock another program holds before SQLite says "database is
 * locked". better-sqlite3 waits synchronously, holding the whole process (the engine and the API), so
 * the wait is short; a live session tries again with backoff (accountSession.ts) for as long as the
 * lock lasts, answering the API meanwhile.
 */
const BUSY_TIMEOUT_MS = 250;

/** `PRAGMA application_id` of a Warden store: 'WARD' (bytes 68-71 of the file header). */
export const WARDEN_APPLICATION_ID = 0x57415244;
/** The value of the meta row `application`. */
const APPLICATION = 'warden';
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;

export interface OpenSqliteStoreOptions {
  /** The caller's clock (epoch ms): a new store's created_at, and the name of a corrupt file's copy. */
  now: number;
  /** Written into a new store's meta, e.g. `warden 0.1.0`. */
  createdBy?: string;
  /** Open for reading only: nothing is created, migrated or written (a missing file is an 'io' error). */
  readonly?: boolean;
  /**
   * `normal` (default): commits survive the process being killed; the last ones may be lost (never
   * half-applied) if the machine itself crashes. `full`: every commit is fsync'ed (survives power
   * loss) at about a millisecond per commit. See the comment at the pragma below.
   */
  durability?: 'normal' | 'full';
  /** The schema (tests pass their own list to exercise migrations); default MIGRATIONS. */
  migrations?: readonly Migration[];
}

/** Opens (or creates) the store in `file`; refuses, with a StoreError, anything that is not a healthy Warden store. */
export function openSqliteStore(file: string, options: OpenSqliteStoreOptions): SqliteStore {
  const migrations = options.migrations ?? MIGRATIONS;
  const readonly = options.readonly === true;
  const size = fileSize(file);
  if (size === null || size === 0) {
    if (readonly) throw new StoreError('io', file, `${file}: no store there (${size === null ? 'the file does not exist' : 'the file is empty'})`);
    checkWritable(file, size === 0);
    createStore(file, size === 0, options, migrations);
  } else {
    checkHeader(file);
    if (!readonly) checkWritable(file, true);
  }
  inspect(file, migrations.length, options.now, readonly);
  return new SqliteStore(file, readonly, options.durability ?? 'normal', migrations);
}

// ---- Opening: the checks ------------------------------------------------------------------------------

function fileSize(file: string): number | null {
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

const isErrno = (err: unknown, code: string): boolean => typeof err === 'object' && err !== null && 'code' in err && err.code === code;
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
function ioError(file: string, err: unknown): StoreError {
  // A -wal without its -shm (left by a crash, or copied without it) can only be read by creating the
  // -shm, which SQLite reports as "unable to open database file" where the directory cannot be written.
  const dir = dirname(file);
  const dirProblem = existsSync(`${file}-wal`) && !existsSync(`${file}-shm`) ? writeProblem(dir) : null;
  if (dirProblem !== null) {
    return new StoreError('io', file, `${file}: cannot open the store: ${file}-wal holds commits not yet in the file, and reading it needs a ${file}-shm beside it, which cannot be created in ${dir} (${dirProblem}): open the store once where the directory can be written (\`warden serve\` folds the -wal into the file), or make the directory writable (chmod u+w ${dir}); do not remove the -wal (${describeStoreFailure(err)})`);
  }
  return new StoreError('io', file, `${file}: cannot open the store: ${describeStoreFailure(err)}`);
}

/**
 * Why `path` cannot be written by this process (its mode, its owner when another user's, or a
 * read-only file system), or null when it can. `access` asks the kernel, so root passes any mode.
 */
function writeProblem(path: string): string | null {
  try {
    accessSync(path, fsConstants.W_OK);
    return null;
  } catch (err) {
    if (isErrno(err, 'EROFS')) return 'it is on a read-only file system';
    if (!isErrno(err, 'EACCES') && !isErrno(err, 'EPERM')) return null; // gone meanwhile, or unknown: SQLite says
    try {
      const st = statSync(path);
      const owner = typeof process.getuid === 'function' && st.uid !== process.getuid() ? `, owned by uid ${st.uid}` : '';
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
function checkWritable(file: string, exists: boolean): void {
  const dir = dirname(file);
  const verb = exists ? 'open the store for writing' : 'create the store';
  const dirProblem = writeProblem(dir);
  if (dirProblem !== null) {
    throw new StoreError('io', file, `${file}: cannot ${verb}: its directory ${dir} cannot be written (${dirProblem}), and SQLite keeps ${file}-wal and ${file}-shm beside the store; make the directory writable (chmod u+w ${dir}) or move the store to one that is; nothing was changed`);
  }
  if (!exists) return;
  const fileProblem = writeProblem(file);
  if (fileProblem !== null) {
    throw new StoreError('io', file, `${file}: cannot open the store for writing: the file cannot be written (${fileProblem}); make it writable (chmod u+w ${file}); nothing was changed`);
  }
  for (const side of ['wal', 'shm'] as const) {
    const path = `${file}-${side}`;
    const problem = existsSync(path) ? writeProblem(path) : null;
    if (problem === null) continue;
    const advice =
      side === 'wal'
        ? `check its mode and owner (chmod u+w ${path}); do not remove it: it holds the store's last transactions`
        : `check its mode and owner (chmod u+w ${path}); it holds no data and may be removed while no program has the store open, but fixing its mode is the safer fix`;
    throw new StoreError('io', file, `${file}: cannot open the store for writing: ${path} beside it cannot be written (${problem}); ${advice}; nothing was changed`);
  }
}

/**
 * A read-only connection that creates nothing beside `file` (see the top of this file): an in-memory
 * image of a WAL store without its -wal (every commit is in the file then), otherwise SQLite's
 * read-only connection to the file itself (a rollback-journal store, or a -wal to read).
 */
function openReader(file: string, timeout?: number): Database.Database {
  const head = Buffer.alloc(HEADER_BYTES);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const wal = head[18] === 2 && head[19] === 2;
  if (!wal || existsSync(`${file}-wal`)) return new Database(file, { readonly: true, fileMustExist: true, ...(timeout === undefined ? {} : { timeout }) });
  const image = readFileSync(file);
  // The image is marked as a rollback-journal database: an in-memory database has no WAL to look for.
  image[18] = 1;
  image[19] = 1;
  return new Database(image, { readonly: true });
}

const UNTOUCHED = 'refusing to open it; the file was left untouched';

/** The file's first bytes must be a SQLite header carrying Warden's application id. */
function checkHeader(file: string): void {
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
    throw new StoreError('not_sqlite', file, `${file} is not a Warden store: it is not a SQLite database (${describeBytes(got)}); ${UNTOUCHED}`);
  }
  if (n < HEADER_BYTES) {
    throw new StoreError('not_sqlite', file, `${file} is not a Warden store: its SQLite header is cut short (${n} of ${HEADER_BYTES} bytes); ${UNTOUCHED}`);
  }
  const appId = head.readUInt32BE(68);
  if (appId !== WARDEN_APPLICATION_ID) {
    const id = appId === 0 ? 'no application id' : `application id 0x${appId.toString(16).padStart(8, '0')}`;
    const tables = foreignTables(file, head);
    throw new StoreError('foreign', file, `${file} is a SQLite database but not a Warden store (${id}${tables}); ${UNTOUCHED}`);
  }
}

/** What the start of a non-SQLite file looks like, for the message. */
function describeBytes(b: Buffer): string {
  if (b.length === 0) return 'it is empty';
  const text = b.toString('utf8').trimStart();
  if (text.startsWith('{') || text.startsWith('[')) return 'it looks like a JSON file';
  if (SQLITE_MAGIC.subarray(0, b.length).equals(b)) return `it is cut short after ${b.length} bytes`;
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
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    if (names.length === 0) return ', no tables';
    return `, tables: ${names.slice(0, 6).join(', ')}${names.length > 6 ? `, ... (${names.length})` : ''}`;
  } catch {
    return '';
  } finally {
    db?.close();
  }
}

const CORRUPTION_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);
const sqliteCode = (err: unknown): string => (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : '');

/**
 * Read-only look at a file with Warden's header: the meta table, the schema version, and SQLite's
 * quick_check. A damaged store is copied beside itself before the error is thrown, unless `readonly`.
 */
function inspect(file: string, known: number, now: number, readonly: boolean): void {
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
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
    const app = hasMeta ? (db.prepare("SELECT value FROM meta WHERE key = 'application'").get() as { value: string } | undefined) : undefined;
    if (app?.value !== APPLICATION) {
      throw new StoreError(
        'foreign',
        file,
        `${file} is a SQLite database but not a Warden store (Warden's application id, but ${hasMeta ? 'no Warden meta row' : 'no meta table'}); ${UNTOUCHED}`,
      );
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > known) {
      throw new StoreError('newer_schema', file, `${file} was created by a newer Warden (schema ${version}, this build knows up to ${known}); ${UNTOUCHED}`);
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

/** Removes the -wal (if empty) and -shm that a read-only look created, never ones that were there before. */
function removeSideFiles(file: string, hadWal: boolean, hadShm: boolean): void {
  try {
    if (!hadWal && existsSync(`${file}-wal`) && statSync(`${file}-wal`).size === 0) unlinkSync(`${file}-wal`);
    if (!hadWal && !hadShm && !existsSync(`${file}-wal`)) rmSync(`${file}-shm`, { force: true });
  } catch {
    // best effort: an empty -wal and a -shm are harmless
  }
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
      throw new StoreError('corrupt', file, `${file} is damaged, and a copy could not be saved (${describeStoreFailure(err)}); refusing to open it, the file was left as it is`);
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

/**
 * Builds a new store in `<file>.creating-<pid>` (rollback journal: it is complete in the one file once
 * committed), then puts it at `file`: linked (which fails rather than replace a file that appeared in
 * the meantime), or renamed over an empty file.
 */
function createStore(file: string, replaceEmpty: boolean, options: OpenSqliteStoreOptions, migrations: readonly Migration[]): void {
  if (existsSync(`${file}-wal`)) {
    throw new StoreError('io', file, `${file}: refusing to create a store: a ${file}-wal from another database is beside it (move it away first)`);
  }
  const tmp = `${file}.creating-${process.pid}`;
  try {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
    const db = new Database(tmp);
    try {
      db.transaction(() => {
        applyMigrations(db, 0, migrations);
        db.pragma(`application_id = ${WARDEN_APPLICATION_ID}`);
        const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
        put.run('application', APPLICATION);
        put.run('created_by', options.createdBy ?? 'warden');
        put.run('created_at', new Date(options.now).toISOString());
      })();
    } finally {
      db.close();
    }
    if (replaceEmpty) {
      renameSync(tmp, file);
      return;
    }
    try {
      linkSync(tmp, file);
      unlinkSync(tmp);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) {
        unlinkSync(tmp); // another process created it first: it is checked like every existing file
        checkHeader(file);
        return;
      }
      renameSync(tmp, file); // a file system without hard links
    }
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof StoreError) throw err;
    throw new StoreError('io', file, `${file}: cannot create the store: ${describeStoreFailure(err)}`);
  }
}

function applyMigrations(db: Database.Database, from: number, migrations: readonly Migration[]): void {
  for (let v = from + 1; v <= migrations.length; v++) {
    migrations[v - 1]!.up(db);
    db.pragma(`user_version = ${v}`);
  }
}

// ---- The store -------------------------------------------------------------------------------------------

interface IntentRow {
  id: string;
  status: IntentStatus;
  code: string | null;
  reason: string;
  recorded_at: number;
  resolved_at: number | null;
  intent: string;
}

const INTENT_COLUMNS = 'id, status, code, reason, recorded_at, resolved_at, intent';

/** What a journal page reads of a decision: its columns, and the other listed fields in one json_extract (in JournalRow's order). */
const JOURNAL_COLUMNS = `seq, time, position_id, rule, outcome, reason,
  json_extract(record, '$.symbol', '$.intentId', '$.oldSl', '$.newSl', '$.volume', '$.price', '$.dtmsState', '$.score', '$.note') AS fields`;

interface JournalRow {
  seq: number;
  time: number;
  position_id: string;
  rule: string;
  outcome: string;
  reason: string;
  /** JSON array: symbol, intentId, oldSl, newSl, volume, price, dtmsState, score, note. */
  fields: unknown;
}

const { shape: d } = decisionRecordSchema;

/** A row of intentCounts: the status column, the intent's rule and action as SQLite extracted them, the count. */
const intentCountSchema = z.object({
  status: z.enum(INTENT_STATUSES),
  rule: d.rule,
  action: z.string().nullable(),
  n: z.number().int().min(1),
});
/** A journal row after its fields array is parsed: the same checks as a whole record's, for the fields read. */
const journalRowSchema = z.object({
  seq: z.number().int(),
  time: d.time,
  position_id: d.positionId,
  rule: d.rule,
  outcome: d.outcome,
  reason: d.reason,
  fields: z.tuple([d.symbol, d.intentId, d.oldSl, d.newSl, d.volume, d.price, d.dtmsState, d.score, d.note]),
});
const LEGACY_COLUMNS = 'position_id, source, imported_at, notes, rule';

export class SqliteStore implements WardenStore {
  readonly location: string;
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private closed = false;
  /** Read-only: whether the -wal and -shm existed before (those the connection creates are removed at close). */
  private readonly sideFiles: { wal: boolean; shm: boolean } | null;

  // Prepared once; better-sqlite3 statements are reusable and synchronous.
  private readonly st: ReturnType<typeof prepareStatements>;
  private cpStatements: ReturnType<typeof prepareCheckpointStatements> | null = null;
  private ssStatements: ReturnType<typeof prepareSessionStatements> | null = null;
  private get cp(): ReturnType<typeof prepareCheckpointStatements> {
    return (this.cpStatements ??= prepareCheckpointStatements(this.db));
  }

  /** Use `openSqliteStore` (it checks the file first). */
  constructor(file: string, readonly: boolean, durability: 'normal' | 'full', migrations: readonly Migration[]) {
    this.location = file;
    this.readonly = readonly;
    const had = { wal: existsSync(`${file}-wal`), shm: existsSync(`${file}-shm`) };
    this.sideFiles = readonly ? had : null;
    try {
      this.db = readonly ? openReader(file, BUSY_TIMEOUT_MS) : new Database(file, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    } catch (err) {
      removeSideFiles(file, had.wal, had.shm);
      throw ioError(file, err);
    }
    try {
      if (!readonly) {
        // SQLite opens a file it cannot write read-only without a word; the first write would fail.
        if (this.db.readonly) throw new StoreError('io', file, `${file}: cannot open the store for writing: SQLite opened it read-only; check the modes of the file, its directory, and any ${file}-wal or ${file}-shm beside it (chmod u+w); nothing was changed`);
        // WAL: readers never block the writer, and a commit appends to the -wal file instead of
        // rewriting pages in place, so a process killed mid-commit leaves the last commit simply absent.
        const mode = this.db.pragma('journal_mode = WAL', { simple: true });
        if (mode !== 'wal') throw new Error(`the file system does not support WAL (journal_mode stays ${String(mode)})`);
        // synchronous=NORMAL in WAL mode: a commit is written to the -wal before it returns (so a killed
        // process, Warden's crash case, loses nothing committed) but fsync'ed only at checkpoints. An
        // OS crash or power loss may lose the last commits, never corrupt the file. FULL would fsync every
        // commit (about a millisecond each), which the replay's per-bar transactions cannot afford; a
        // live executor that must survive power loss between journaling and sending opens with 'full'.
        this.db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
      }
      this.migrate(migrations);
      this.st = prepareStatements(this.db);
    } catch (err) {
      // A failed open leaves no new file behind (a -shm made with a read-only file's mode would keep
      // failing every later open).
      this.db.close();
      removeSideFiles(file, had.wal, had.shm);
      if (err instanceof StoreError) throw err;
      throw ioError(file, err);
    }
  }

  private migrate(migrations: readonly Migration[]): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current === migrations.length) return;
    if (current > migrations.length) {
      throw new StoreError('newer_schema', this.location, `${this.location} was created by a newer Warden (schema ${current}, this build knows up to ${migrations.length}); ${UNTOUCHED}`);
    }
    if (this.readonly) {
      throw new StoreError('io', this.location, `${this.location}: the store is at schema ${current} and needs migrating to ${migrations.length}; open it once for writing`);
    }
    // IMMEDIATE: takes the write lock first, then reads the version again (another process may have migrated).
    this.db
      .transaction(() => {
        const v = this.db.pragma('user_version', { simple: true }) as number;
        if (v < migrations.length) applyMigrations(this.db, v, migrations);
      })
      .immediate();
  }

  meta(): StoreMeta {
    const rows = this.st.metaAll.all() as { key: string; value: string }[];
    const m = new Map(rows.map((r) => [r.key, r.value]));
    return {
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
      createdBy: m.get('created_by') ?? '',
      createdAt: m.get('created_at') ?? '',
    };
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- plans

  savePlan(plan: ExitPlan): void {
    this.st.planPut.run(plan.positionId, plan.symbol, encodeRecord(plan));
  }

  plan(positionId: string): ExitPlan | null {
    const row = this.st.planGet.get(positionId) as { plan: string } | undefined;
    return row === undefined ? null : decodeRecord(exitPlanSchema, row.plan, this.location, 'plans', positionId);
  }

  plans(): ExitPlan[] {
    const rows = this.st.planAll.all() as { position_id: string; plan: string }[];
    return rows.map((r) => decodeRecord(exitPlanSchema, r.plan, this.location, 'plans', r.position_id));
  }

  deletePlan(positionId: string): boolean {
    return this.st.planDelete.run(positionId).changes > 0;
  }

  // ---- DTMS

  saveDefence(positionId: string, defence: StoredDefence): void {
    this.st.defencePut.run(positionId, encodeRecord(defence));
  }

  defence(positionId: string): StoredDefence | null {
    const row = this.st.defenceGet.get(positionId) as { state: string } | undefined;
    return row === undefined ? null : decodeRecord(storedDefenceSchema, row.state, this.location, 'dtms_state', positionId);
  }

  defences(): Map<string, StoredDefence> {
    const rows = this.st.defenceAll.all() as { position_id: string; state: string }[];
    return new Map(rows.map((r) => [r.position_id, decodeRecord(storedDefenceSchema, r.state, this.location, 'dtms_state', r.position_id)]));
  }

  deleteDefence(positionId: string): boolean {
    return this.st.defenceDelete.run(positionId).changes > 0;
  }

  // ---- decision journal

  appendDecision(r: DecisionRecord): void {
    this.st.decisionAdd.run(r.time, r.positionId, r.rule, r.outcome, r.reason, encodeRecord(r));
  }

  decisionsFor(positionId: string, limit = -1): DecisionRecord[] {
    return this.decodeDecisions(this.st.decisionsFor.all(positionId, limit) as { seq: number; record: string }[]);
  }

  decisionsOf(positionIds: readonly string[], limit = -1): DecisionRecord[] {
    return this.decodeDecisions(this.st.decisionsOf.all(JSON.stringify(positionIds), limit) as { seq: number; record: string }[]);
  }

  recentDecisions(limit: number): DecisionRecord[] {
    return this.decodeDecisions(this.st.decisionsRecent.all(limit) as { seq: number; record: string }[]);
  }

  decisionCount(): number {
    return (this.st.decisionCount.get() as { n: number }).n;
  }

  lastDecisionSeq(): number {
    return (this.st.decisionLast.get() as { seq: number | null }).seq ?? 0;
  }

  decisionPage(filter: JournalFilter, range: JournalRange): JournalDecision[] {
    const limit = Math.max(0, Math.floor(range.limit));
    if (limit === 0) return [];
    const after = range.after ?? 0;
    const before = range.before ?? Number.MAX_SAFE_INTEGER;
    const rows: JournalRow[] = [];
    this.readJournal(() => {
      if (filter === null) rows.push(...(this.st.journalAll.all(after, before, limit) as JournalRow[]));
      else if ('rule' in filter) rows.push(...(this.st.journalOfRule.all(filter.rule, after, before, limit) as JournalRow[]));
      else {
        // One index range per position (each reads at most `limit` rows), newest first; then the newest
        // `limit` of them together. A ticket has a few lifetimes, so this is a few short reads.
        for (const id of new Set(filter.positionIds)) rows.push(...(this.st.journalOfPosition.all(id, after, before, limit) as JournalRow[]));
        rows.sort((a, b) => b.seq - a.seq);
        rows.splice(limit);
      }
    });
    const out: JournalDecision[] = [];
    for (let i = rows.length - 1; i >= 0; i--) out.push(this.decodeJournalRow(rows[i]!));
    return out;
  }

  /** Runs a journal read; a record SQLite cannot read as JSON is reported like every invalid row. */
  private readJournal(read: () => void): void {
    try {
      read();
    } catch (err) {
      if (sqliteCode(err) === 'SQLITE_ERROR' && /malformed JSON/i.test(messageOf(err))) {
        throw new StoreError('invalid_row', this.location, `${this.location}: a decisions row is not valid: its record is not valid JSON (${messageOf(err)})`);
      }
      throw err;
    }
  }

  /**
   * A journal row's listed fields: the indexed columns, and the rest extracted by SQLite from the record
   * in one pass (a JSON array, non-finite numbers tagged as plainJson writes them), checked here.
   */
  private decodeJournalRow(row: JournalRow): JournalDecision {
    const parsed = journalRowSchema.safeParse({ ...row, fields: typeof row.fields === 'string' ? fromPlainJson(row.fields) : row.fields });
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new StoreError('invalid_row', this.location, `${this.location}: decisions row seq ${row.seq} is not valid: ${i.path.join('.') || 'record'}: ${i.message}`);
    }
    const r = parsed.data;
    const [symbol, intentId, oldSl, newSl, volume, price, dtmsState, score, note] = r.fields;
    return { seq: r.seq, time: r.time, positionId: r.position_id, symbol, rule: r.rule, outcome: r.outcome, reason: r.reason, intentId, oldSl, newSl, volume, price, dtmsState, score, note };
  }

  private decodeDecisions(rows: { seq: number; record: string }[]): DecisionRecord[] {
    return rows.map((r) => decodeRecord(decisionRecordSchema, r.record, this.location, 'decisions', `seq ${r.seq}`));
  }

  // ---- intent journal

  recordIntent(intent: Intent, at: number = intent.time): void {
    try {
      this.st.intentAdd.run(intent.id, intent.positionId, at, encodeRecord(intent));
    } catch (err) {
      if (sqliteCode(err) !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
      const prior = this.st.intentStatus.get(intent.id) as { status: string } | undefined;
      throw new StoreError(
        'duplicate_intent',
        this.location,
        `intent ${intent.id} is already in the journal (${prior?.status ?? 'unknown status'}): refusing to record it twice`,
      );
    }
  }

  markIntent(id: string, status: IntentAnswer, code: string | null, reason: string, at: number, fill?: number): boolean {
    return this.transaction(() => {
      const row = this.st.intentStatus.get(id) as { status: IntentStatus } | undefined;
      if (row === undefined) throw new StoreError('unknown_intent', this.location, `intent ${id} is not in the journal: an answer for it cannot be recorded`);
      if (row.status === 'applied' || row.status === 'rejected') {
        if (row.status === status) return false;
        throw new StoreError('intent_conflict', this.location, `intent ${id} is already ${row.status}: refusing to mark it ${status}`);
      }
      this.st.intentMark.run(status, code, reason, at, id);
      if (status === 'applied' && fill !== undefined && Number.isFinite(fill)) {
        const positionId = (this.st.intentPosition.get(id) as { position_id: string }).position_id;
        this.ct.fillPut.run(id, positionId, fill, at);
      }
      return true;
    });
  }

  fillsOf(positionId: string): IntentFill[] {
    const rows = this.ct.fillsOf.all(positionId) as { intent_id: string; price: unknown; at: unknown }[];
    return rows.map((r) => {
      if (typeof r.price !== 'number' || typeof r.at !== 'number') throw new StoreError('invalid_row', this.location, `${this.location}: intent_fills row ${r.intent_id} is not valid: price ${String(r.price)}, at ${String(r.at)}`);
      return { intentId: r.intent_id, price: r.price, at: r.at };
    });
  }

  intent(id: string): StoredIntent | null {
    const row = this.st.intentGet.get(id) as IntentRow | undefined;
    return row === undefined ? null : this.decodeIntent(row);
  }

  unresolvedIntents(): StoredIntent[] {
    return (this.st.intentsUnresolved.all() as IntentRow[]).map((r) => this.decodeIntent(r));
  }

  intentsFor(positionId: string, only: IntentFilter = {}): StoredIntent[] {
    // The filter runs in SQLite, so only the intents asked for are decoded (a long-lived position has
    // hundreds of trailing moves beside a few DTMS actions).
    const rows = this.st.intentsFor.all({ positionId, rule: only.rule ?? null, kind: only.kind ?? null, status: only.status ?? null }) as IntentRow[];
    return rows.map((r) => this.decodeIntent(r));
  }

  intentsSince(at: number): StoredIntent[] {
    return (this.st.intentsSince.all(at) as IntentRow[]).map((r) => this.decodeIntent(r));
  }

  intentCounts(at: number, symbol?: string): IntentCount[] {
    const rows = this.st.intentCounts.all({ at, symbol: symbol ?? null }) as unknown[];
    return rows.map((row) => {
      const parsed = intentCountSchema.safeParse(row);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new StoreError('invalid_row', this.location, `${this.location}: an intents row is not valid: ${i.path.join('.') || 'intent'}: ${i.message}`);
      }
      return { status: parsed.data.status, rule: parsed.data.rule, action: parsed.data.action ?? '', count: parsed.data.n };
    });
  }

  private decodeIntent(row: IntentRow): StoredIntent {
    const intent = decodeRecord(intentSchema, row.intent, this.location, 'intents', row.id);
    if (!(INTENT_STATUSES as readonly string[]).includes(row.status)) {
      throw new StoreError('invalid_row', this.location, `${this.location}: intents row ${row.id} is not valid: status ${row.status}`);
    }
    return { intent, status: row.status, code: row.code, reason: row.reason, recordedAt: row.recorded_at, resolvedAt: row.resolved_at };
  }

  // ---- live session state (schema 3)

  private get ss(): ReturnType<typeof prepareSessionStatements> {
    this.ssStatements ??= prepareSessionStatements(this.db);
    return this.ssStatements;
  }

  savePosition(position: Position, order: number): void {
    this.ss.positionPut.run(position.id, position.symbol, order, encodeRecord(position));
  }

  positions(): StoredPosition[] {
    const rows = this.ss.positionAll.all() as { position_id: string; ord: number; position: string }[];
    return rows.map((r) => ({ position: decodeRecord(positionSchema, r.position, this.location, 'positions', r.position_id), order: r.ord }));
  }

  deletePosition(positionId: string): boolean {
    return this.ss.positionDelete.run(positionId).changes > 0;
  }

  saveSessionState(state: StoredSessionState): void {
    this.ss.statePut.run('engine', encodeRecord(state));
  }

  sessionState(): StoredSessionState | null {
    const row = this.ss.stateGet.get('engine') as { value: string } | undefined;
    return row === undefined ? null : decodeRecord(sessionStateSchema, row.value, this.location, 'session_state', 'engine');
  }

  saveHealth(report: HealthReport): void {
    this.ss.statePut.run('health', encodeRecord(report));
  }

  health(): HealthReport | null {
    const row = this.ss.stateGet.get('health') as { value: string } | undefined;
    return row === undefined ? null : decodeRecord(healthReportSchema, row.value, this.location, 'session_state', 'health');
  }

  savePaperAccount(state: StoredPaperAccount): void {
    this.ss.statePut.run('paper', encodeRecord(state));
  }

  paperAccount(): StoredPaperAccount | null {
    const row = this.ss.stateGet.get('paper') as { value: string } | undefined;
    return row === undefined ? null : decodeRecord(paperAccountSchema, row.value, this.location, 'session_state', 'paper');
  }

  saveShadowBook(book: ShadowBookSnapshot): void {
    this.ss.statePut.run('shadow', encodeRecord(book));
  }

  shadowBook(): ShadowBookSnapshot | null {
    const row = this.ss.stateGet.get('shadow') as { value: string } | undefined;
    return row === undefined ? null : decodeRecord(shadowBookSchema, row.value, this.location, 'session_state', 'shadow');
  }

  saveSessionOwner(owner: SessionOwner | null): void {
    if (owner === null) this.ss.stateDelete.run('owner');
    else this.ss.statePut.run('owner', encodeRecord(owner));
  }

  sessionOwner(): SessionOwner | null {
    const row = this.ss.stateGet.get('owner') as { value: string } | undefined;
    return row === undefined ? null : decodeRecord(sessionOwnerSchema, row.value, this.location, 'session_state', 'owner');
  }

  // ---- lifetimes (schema 6)

  private ltStatements: ReturnType<typeof prepareLifetimeStatements> | null = null;
  private get lt(): ReturnType<typeof prepareLifetimeStatements> {
    return (this.ltStatements ??= prepareLifetimeStatements(this.db));
  }

  saveLifetime(l: StoredLifetime): void {
    this.lt.put.run(l.key, l.ticket, l.n, l.endedAt, encodeRecord(l));
  }

  lifetime(key: string): StoredLifetime | null {
    const row = this.lt.get.get(key) as { key: string; lifetime: string } | undefined;
    return row === undefined ? null : decodeRecord(lifetimeSchema, row.lifetime, this.location, 'lifetimes', row.key);
  }

  lifetimesOf(ticket: string): StoredLifetime[] {
    return (this.lt.ofTicket.all(ticket) as { key: string; lifetime: string }[]).map((r) => decodeRecord(lifetimeSchema, r.lifetime, this.location, 'lifetimes', r.key));
  }

  openLifetimes(): StoredLifetime[] {
    return (this.lt.open.all() as { key: string; lifetime: string }[]).map((r) => decodeRecord(lifetimeSchema, r.lifetime, this.location, 'lifetimes', r.key));
  }

  // ---- closed trades and fills (schema 8)

  private ctStatements: ReturnType<typeof prepareClosedTradeStatements> | null = null;
  private get ct(): ReturnType<typeof prepareClosedTradeStatements> {
    return (this.ctStatements ??= prepareClosedTradeStatements(this.db));
  }

  saveClosedTrade(t: ClosedTrade): void {
    this.ct.put.run(t.key, t.ticket, t.symbol, t.closeTime, encodeRecord(t));
  }

  closedTrade(key: string): ClosedTrade | null {
    const row = this.ct.get.get(key) as { key: string; trade: string } | undefined;
    return row === undefined ? null : decodeRecord(closedTradeSchema, row.trade, this.location, 'closed_trades', row.key);
  }

  closedTradesOf(ticket: string): ClosedTrade[] {
    return this.decodeTrades(this.ct.ofTicket.all(ticket) as { key: string; trade: string }[]);
  }

  closedTradePage(q: ClosedTradeQuery): ClosedTrade[] {
    const limit = Math.max(0, Math.floor(q.limit));
    if (limit === 0) return [];
    const args = {
      from: q.from ?? Number.MIN_SAFE_INTEGER,
      to: q.to ?? Number.MAX_SAFE_INTEGER,
      afterTime: q.after?.closeTime ?? Number.MAX_SAFE_INTEGER,
      afterKey: q.after?.key ?? '',
      limit,
    };
    const rows = (q.symbol === undefined ? this.ct.pageAll.all(args) : this.ct.pageSymbol.all({ ...args, symbol: q.symbol })) as { key: string; trade: string }[];
    return this.decodeTrades(rows);
  }

  endedWithoutClosedTrade(limit: number): StoredLifetime[] {
    return (this.ct.endedWithout.all(Math.max(0, Math.floor(limit))) as { key: string; lifetime: string }[]).map((r) => decodeRecord(lifetimeSchema, r.lifetime, this.location, 'lifetimes', r.key));
  }

  private decodeTrades(rows: { key: string; trade: string }[]): ClosedTrade[] {
    return rows.map((r) => decodeRecord(closedTradeSchema, r.trade, this.location, 'closed_trades', r.key));
  }

  // ---- plan proposals (schema 9)

  private prStatements: ReturnType<typeof prepareProposalStatements> | null = null;
  private get pr(): ReturnType<typeof prepareProposalStatements> {
    return (this.prStatements ??= prepareProposalStatements(this.db));
  }

  saveProposal(p: PlanProposal): void {
    this.pr.put.run(p.id, p.ticket, p.status, encodeRecord(p));
  }

  proposal(id: string): PlanProposal | null {
    const row = this.pr.get.get(id) as { id: string; proposal: string } | undefined;
    return row === undefined ? null : decodeRecord(planProposalSchema, row.proposal, this.location, 'proposals', row.id);
  }

  proposals(q: { status?: PlanProposal['status']; ticket?: string; limit: number }): PlanProposal[] {
    const rows = this.pr.list.all({ status: q.status ?? null, ticket: q.ticket ?? null, limit: Math.max(0, Math.floor(q.limit)) }) as { id: string; proposal: string }[];
    return rows.map((r) => decodeRecord(planProposalSchema, r.proposal, this.location, 'proposals', r.id));
  }

  proposalCount(): number {
    return (this.pr.count.get() as { n: number }).n;
  }

  // ---- legacy rules

  saveLegacyRule(r: StoredLegacyRule): void {
    this.st.legacyPut.run(r.positionId, r.rule.symbol, r.source, r.importedAt, JSON.stringify(r.notes), encodeRecord(r.rule));
  }

  legacyRule(positionId: string): StoredLegacyRule | null {
    const row = this.st.legacyGet.get(positionId) as LegacyRow | undefined;
    return row === undefined ? null : this.decodeLegacy(row);
  }

  legacyRules(): StoredLegacyRule[] {
    return (this.st.legacyAll.all() as LegacyRow[]).map((r) => this.decodeLegacy(r));
  }

  deleteLegacyRule(positionId: string): boolean {
    return this.st.legacyDelete.run(positionId).changes > 0;
  }

  private decodeLegacy(row: LegacyRow): StoredLegacyRule {
    return {
      positionId: row.position_id,
      rule: decodeRecord(storedLegacyRuleSchema, row.rule, this.location, 'legacy_rules', row.position_id),
      notes: decodeRecord(notesSchema, row.notes, this.location, 'legacy_rules', row.position_id),
      source: row.source,
      importedAt: row.imported_at,
    };
  }

  // ---- replay checkpoints

  private cpPartStatements: ReturnType<typeof prepareCheckpointPartStatements> | null = null;
  private get cpParts(): ReturnType<typeof prepareCheckpointPartStatements> {
    return (this.cpPartStatements ??= prepareCheckpointPartStatements(this.db));
  }

  saveReplayCheckpoint(runKey: string, c: ReplayCheckpointRecord, at: number): void {
    for (const [k, v] of [['next', c.next], ['lines', c.lines], ['bytes', c.bytes]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new StoreError('invalid_row', this.location, `replay checkpoint ${runKey}: ${k} must be a non-negative integer (got ${v})`);
    }
    const parts = c.parts ?? [];
    for (const part of parts) {
      if (!(REPLAY_CHECKPOINT_LISTS as readonly string[]).includes(part.list)) throw new StoreError('invalid_row', this.location, `replay checkpoint ${runKey}: no list ${String(part.list)}`);
      if (!Number.isSafeInteger(part.start) || part.start < 0) throw new StoreError('invalid_row', this.location, `replay checkpoint ${runKey}: part ${part.list} start must be a non-negative integer (got ${part.start})`);
    }
    const cpp = this.cpParts;
    this.transaction(() => {
      // A run's first checkpoint: parts of an earlier run under the same key (left by hand) are not its own.
      if (this.cp.has.get(runKey) === undefined) cpp.clear.run(runKey);
      this.cp.put.run(runKey, c.next, c.lines, c.bytes, at, c.checkpointJson);
      for (const part of parts) cpp.put.run(runKey, part.list, part.start, part.itemsJson);
    });
  }

  replayCheckpoint(runKey: string): StoredReplayCheckpoint | null {
    const row = this.cp.get.get(runKey) as CheckpointRow | undefined;
    if (row === undefined) return null;
    for (const k of ['next', 'lines', 'bytes', 'saved_at'] as const) {
      if (typeof row[k] !== 'number' || !Number.isSafeInteger(row[k]) || row[k] < 0) {
        throw new StoreError('invalid_row', this.location, `${this.location}: replay_checkpoints row ${runKey} is not valid: ${k} ${String(row[k])}`);
      }
    }
    return { runKey, next: row.next, lines: row.lines, bytes: row.bytes, savedAt: row.saved_at, checkpointJson: row.checkpoint };
  }

  replayCheckpointParts(runKey: string): ReplayCheckpointPart[] {
    const rows = this.cpParts.all.all(runKey) as { list: unknown; start: unknown; items: unknown }[];
    return rows.map((r) => {
      const bad = (what: string) => new StoreError('invalid_row', this.location, `${this.location}: replay_checkpoint_parts row ${runKey} ${String(r.list)}@${String(r.start)} is not valid: ${what}`);
      if (typeof r.list !== 'string' || !(REPLAY_CHECKPOINT_LISTS as readonly string[]).includes(r.list)) throw bad(`list ${String(r.list)}`);
      if (typeof r.start !== 'number' || !Number.isSafeInteger(r.start) || r.start < 0) throw bad(`start ${String(r.start)}`);
      if (typeof r.items !== 'string') throw bad(`items is ${r.items === null ? 'NULL' : typeof r.items}, not JSON text`);
      return { list: r.list as ReplayCheckpointList, start: r.start, itemsJson: r.items };
    });
  }

  deleteReplayCheckpoint(runKey: string): boolean {
    return this.transaction(() => {
      this.cpParts.clear.run(runKey);
      return this.cp.del.run(runKey).changes > 0;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    if (this.sideFiles !== null) removeSideFiles(this.location, this.sideFiles.wal, this.sideFiles.shm);
  }
}

/** Statements of the replay_checkpoints table (schema 2), prepared on first use: a store opened with an older schema list (tests of migrations) has no such table. */
function prepareCheckpointStatements(db: Database.Database) {
  return {
    put: db.prepare(
      `INSERT INTO replay_checkpoints (run_key, next, lines, bytes, saved_at, checkpoint) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_key) DO UPDATE SET next = excluded.next, lines = excluded.lines, bytes = excluded.bytes, saved_at = excluded.saved_at, checkpoint = excluded.checkpoint`,
    ),
    get: db.prepare('SELECT next, lines, bytes, saved_at, checkpoint FROM replay_checkpoints WHERE run_key = ?'),
    has: db.prepare('SELECT 1 FROM replay_checkpoints WHERE run_key = ?'),
    del: db.prepare('DELETE FROM replay_checkpoints WHERE run_key = ?'),
  };
}

/** Statements of the replay_checkpoint_parts table (schema 4), prepared on first use like the above. */
function prepareCheckpointPartStatements(db: Database.Database) {
  return {
    put: db.prepare('INSERT INTO replay_checkpoint_parts (run_key, list, start, items) VALUES (?, ?, ?, ?) ON CONFLICT (run_key, list, start) DO UPDATE SET items = excluded.items'),
    all: db.prepare('SELECT list, start, items FROM replay_checkpoint_parts WHERE run_key = ? ORDER BY list, start'),
    clear: db.prepare('DELETE FROM replay_checkpoint_parts WHERE run_key = ?'),
  };
}

/** Statements of the closed_trades and intent_fills tables (schema 8), prepared on first use (see above). */
function prepareClosedTradeStatements(db: Database.Database) {
  return {
    put: db.prepare(
      'INSERT INTO closed_trades (key, ticket, symbol, close_time, trade) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET ticket = excluded.ticket, symbol = excluded.symbol, close_time = excluded.close_time, trade = excluded.trade',
    ),
    get: db.prepare('SELECT key, trade FROM closed_trades WHERE key = ?'),
    ofTicket: db.prepare("SELECT c.key, c.trade FROM closed_trades c LEFT JOIN lifetimes l ON l.key = c.key WHERE c.ticket = ? ORDER BY coalesce(l.n, 0), c.close_time, c.key"),
    // Newest close first; the cursor is the last row's (close_time, key). Unbounded ends are the safe
    // integers' limits, so each statement is one range of its index: (close_time, key) for every
    // symbol, (symbol, close_time, key) for one; a page reads at most `limit` rows past the cursor.
    pageAll: db.prepare(
      `SELECT key, trade FROM closed_trades WHERE close_time >= @from AND close_time < @to AND (close_time, key) < (@afterTime, @afterKey)
       ORDER BY close_time DESC, key DESC LIMIT @limit`,
    ),
    pageSymbol: db.prepare(
      `SELECT key, trade FROM closed_trades WHERE symbol = @symbol AND close_time >= @from AND close_time < @to AND (close_time, key) < (@afterTime, @afterKey)
       ORDER BY close_time DESC, key DESC LIMIT @limit`,
    ),
    endedWithout: db.prepare(
      'SELECT l.key, l.lifetime FROM lifetimes l WHERE l.ended_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM closed_trades c WHERE c.key = l.key) ORDER BY l.ended_at DESC, l.key DESC LIMIT ?',
    ),
    fillPut: db.prepare('INSERT INTO intent_fills (intent_id, position_id, price, at) VALUES (?, ?, ?, ?) ON CONFLICT (intent_id) DO UPDATE SET price = excluded.price, at = excluded.at'),
    fillsOf: db.prepare('SELECT f.intent_id, f.price, f.at FROM intent_fills f JOIN intents i ON i.id = f.intent_id WHERE f.position_id = ? ORDER BY i.seq'),
  };
}

/** Statements of the proposals table (schema 9), prepared on first use (see above). */
function prepareProposalStatements(db: Database.Database) {
  return {
    put: db.prepare('INSERT INTO proposals (id, ticket, status, proposal) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET ticket = excluded.ticket, status = excluded.status, proposal = excluded.proposal'),
    get: db.prepare('SELECT id, proposal FROM proposals WHERE id = ?'),
    list: db.prepare('SELECT id, proposal FROM proposals WHERE (@status IS NULL OR status = @status) AND (@ticket IS NULL OR ticket = @ticket) ORDER BY seq DESC LIMIT @limit'),
    count: db.prepare('SELECT count(*) AS n FROM proposals'),
  };
}

/** Statements of the lifetimes table (schema 6), prepared on first use (see above). */
function prepareLifetimeStatements(db: Database.Database) {
  return {
    put: db.prepare('INSERT INTO lifetimes (key, ticket, n, ended_at, lifetime) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET ticket = excluded.ticket, n = excluded.n, ended_at = excluded.ended_at, lifetime = excluded.lifetime'),
    get: db.prepare('SELECT key, lifetime FROM lifetimes WHERE key = ?'),
    ofTicket: db.prepare('SELECT key, lifetime FROM lifetimes WHERE ticket = ? ORDER BY n, key'),
    open: db.prepare('SELECT key, lifetime FROM lifetimes WHERE ended_at IS NULL ORDER BY rowid'),
  };
}

/** Statements of the positions and session_state tables (schema 3), prepared on first use (see above). */
function prepareSessionStatements(db: Database.Database) {
  return {
    positionPut: db.prepare(
      'INSERT INTO positions (position_id, symbol, ord, position) VALUES (?, ?, ?, ?) ON CONFLICT (position_id) DO UPDATE SET symbol = excluded.symbol, ord = excluded.ord, position = excluded.position',
    ),
    positionAll: db.prepare('SELECT position_id, ord, position FROM positions ORDER BY ord, position_id'),
    positionDelete: db.prepare('DELETE FROM positions WHERE position_id = ?'),
    statePut: db.prepare('INSERT INTO session_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    stateGet: db.prepare('SELECT value FROM session_state WHERE key = ?'),
    stateDelete: db.prepare('DELETE FROM session_state WHERE key = ?'),
  };
}

interface CheckpointRow {
  next: number;
  lines: number;
  bytes: number;
  saved_at: number;
  checkpoint: string;
}

interface LegacyRow {
  position_id: string;
  source: string;
  imported_at: number;
  notes: string;
  rule: string;
}

function prepareStatements(db: Database.Database) {
  return {
    metaAll: db.prepare('SELECT key, value FROM meta'),
    planPut: db.prepare('INSERT INTO plans (position_id, symbol, plan) VALUES (?, ?, ?) ON CONFLICT (position_id) DO UPDATE SET symbol = excluded.symbol, plan = excluded.plan'),
    planGet: db.prepare('SELECT plan FROM plans WHERE position_id = ?'),
    planAll: db.prepare('SELECT position_id, plan FROM plans ORDER BY position_id'),
    planDelete: db.prepare('DELETE FROM plans WHERE position_id = ?'),
    defencePut: db.prepare('INSERT INTO dtms_state (position_id, state) VALUES (?, ?) ON CONFLICT (position_id) DO UPDATE SET state = excluded.state'),
    defenceGet: db.prepare('SELECT state FROM dtms_state WHERE position_id = ?'),
    defenceAll: db.prepare('SELECT position_id, state FROM dtms_state ORDER BY position_id'),
    defenceDelete: db.prepare('DELETE FROM dtms_state WHERE position_id = ?'),
    decisionAdd: db.prepare('INSERT INTO decisions (time, position_id, rule, outcome, reason, record) VALUES (?, ?, ?, ?, ?, ?)'),
    decisionsFor: db.prepare('SELECT seq, record FROM (SELECT seq, record FROM decisions WHERE position_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq'),
    decisionsOf: db.prepare('SELECT seq, record FROM (SELECT seq, record FROM decisions WHERE position_id IN (SELECT value FROM json_each(?)) ORDER BY seq DESC LIMIT ?) ORDER BY seq'),
    decisionsRecent: db.prepare('SELECT seq, record FROM (SELECT seq, record FROM decisions ORDER BY seq DESC LIMIT ?) ORDER BY seq'),
    decisionCount: db.prepare('SELECT count(*) AS n FROM decisions'),
    decisionLast: db.prepare('SELECT max(seq) AS seq FROM decisions'),
    // Pages of the journal, newest first, each an index range read no further than `limit` rows: seq
    // (the primary key), (position_id, seq) and (rule, seq) (schema 7).
    journalAll: db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM decisions WHERE seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`),
    journalOfPosition: db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM decisions WHERE position_id = ? AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`),
    journalOfRule: db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM decisions WHERE rule = ? AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`),
    intentAdd: db.prepare("INSERT INTO intents (id, position_id, status, recorded_at, intent) VALUES (?, ?, 'pending', ?, ?)"),
    intentStatus: db.prepare('SELECT status FROM intents WHERE id = ?'),
    intentMark: db.prepare('UPDATE intents SET status = ?, code = ?, reason = ?, resolved_at = ? WHERE id = ?'),
    intentPosition: db.prepare('SELECT position_id FROM intents WHERE id = ?'),
    intentGet: db.prepare(`SELECT ${INTENT_COLUMNS} FROM intents WHERE id = ?`),
    intentsUnresolved: db.prepare(`SELECT ${INTENT_COLUMNS} FROM intents WHERE status IN ('pending', 'unknown') ORDER BY seq`),
    intentsFor: db.prepare(
      `SELECT ${INTENT_COLUMNS} FROM intents WHERE position_id = @positionId
         AND (@rule IS NULL OR json_extract(intent, '$.rule') = @rule) AND (@kind IS NULL OR json_extract(intent, '$.kind') = @kind) AND (@status IS NULL OR status = @status)
       ORDER BY seq`,
    ),
    // Journal order follows time, so the newest rows are scanned from the end of seq.
    intentsSince: db.prepare(`SELECT ${INTENT_COLUMNS} FROM intents WHERE recorded_at >= ? ORDER BY seq`),
    // The window is an index range on recorded_at (schema 7); only its rows are read, in SQLite.
    intentCounts: db.prepare(
      `SELECT status, json_extract(intent, '$.rule') AS rule, json_extract(intent, '$.action') AS action, count(*) AS n FROM intents
       WHERE recorded_at >= @at AND (@symbol IS NULL OR json_extract(intent, '$.symbol') = @symbol)
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    ),
    legacyPut: db.prepare(
      `INSERT INTO legacy_rules (position_id, symbol, source, imported_at, notes, rule) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (position_id) DO UPDATE SET symbol = excluded.symbol, source = excluded.source, imported_at = excluded.imported_at, notes = excluded.notes, rule = excluded.rule`,
    ),
    legacyGet: db.prepare(`SELECT ${LEGACY_COLUMNS} FROM legacy_rules WHERE position_id = ?`),
    legacyAll: db.prepare(`SELECT ${LEGACY_COLUMNS} FROM legacy_rules ORDER BY position_id`),
    legacyDelete: db.prepare('DELETE FROM legacy_rules WHERE position_id = ?'),
  };
}
