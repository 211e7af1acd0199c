// A new store: built complete in a temporary file beside its path, then put in place, so a crash while
// creating never leaves a half-made store at the path.
import { existsSync, linkSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describeStoreFailure, StoreError } from './store.ts';
import { APPLICATION, checkHeader, isErrno, WARDEN_APPLICATION_ID } from './sqliteFile.ts';

/** A schema step as sqliteMigrations.ts lists them (its migrations), applied to a connection. */
export interface SchemaStep {
  up(db: Database.Database): void;
}

/**
 * Builds a new store in `<file>.creating-<pid>` (rollback journal: it is complete in the one file once
 * committed), then puts it at `file`: linked (which fails rather than replace a file that appeared in
 * the meantime), or renamed over an empty file.
 */
export function createStore(
  file: string,
  replaceEmpty: boolean,
  options: { now: number; createdBy?: string },
  migrations: readonly SchemaStep[],
): void {
  if (existsSync(`${file}-wal`)) {
    throw new StoreError(
      'io',
      file,
      `${file}: refusing to create a store: a ${file}-wal from another database is beside it (move it away first)`,
    );
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

/** Takes `db` from schema `from` to the last of `migrations`, one version at a time (run inside a transaction). */
export function applyMigrations(db: Database.Database, from: number, migrations: readonly SchemaStep[]): void {
  for (let v = from + 1; v <= migrations.length; v++) {
    migrations[v - 1]!.up(db);
    db.pragma(`user_version = ${v}`);
  }
}
