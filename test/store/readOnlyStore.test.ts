// Read-only uses of a store (`warden health`, `warden shadow report`) write nothing beside it, not even a
// copy of a damaged store, and work in a directory they cannot write. A store that cannot be written
// is refused when opened for writing, naming the file and the fix, and leaves no new file behind. A
// full disk is named as such.
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { describeStoreFailure, StoreError } from '../../src/store/store.ts';
import { wardenCli } from '../support/cliRun.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-readonly-'));
afterAll(() => {
  // A test that failed half-way may have left a directory read-only.
  for (const d of readdirSync(root)) chmodSync(join(root, d), 0o755);
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const NOW = Date.UTC(2025, 2, 14, 9, 30);

/** Root writes whatever the modes say: the permission cases need another user, and are skipped as root. */
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const NEEDS_USER = asRoot ? ' [skipped: running as root, which writes whatever the modes say]' : '';

/** A store with some rows in its own directory, closed (so WAL mode, and no -wal or -shm beside it). */
function storeWithRows(): string {
  const dir = join(root, `t${++n}`);
  mkdirSync(dir);
  const file = join(dir, 'warden.db');
  openSqliteStore(file, { now: NOW }).close();
  const db = new Database(file);
  const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 400; i++) put.run(`filler-${i}`, 'x'.repeat(300));
  })();
  db.close();
  return file;
}

/** The same store with its last pages (the filler rows) overwritten with garbage. */
function damagedStore(): string {
  const file = storeWithRows();
  const bytes = readFileSync(file);
  bytes.fill(0xa5, bytes.length - 8 * 4096, bytes.length - 4 * 4096);
  writeFileSync(file, bytes);
  return file;
}

/** Everything a write would change: the directory's own mtime, and each file's name, size and mtime. */
function listing(dir: string): string[] {
  return [
    `. ${statSync(dir).mtimeMs}`,
    ...readdirSync(dir)
      .sort()
      .map((name) => {
        const st = statSync(join(dir, name));
        return `${name} ${st.size} ${st.mtimeMs} ${(st.mode & 0o777).toString(8)}`;
      }),
  ];
}

function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected a StoreError');
}

describe('read-only uses write nothing', () => {
  it('health on a damaged store: exit 2, says how to save a copy, and leaves the directory exactly as it was, run after run', async () => {
    const file = damagedStore();
    const dir = join(file, '..');
    const before = listing(dir);
    for (let i = 0; i < 3; i++) {
      const r = await wardenCli('health', '--store', file);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${file} is damaged (`);
      expect(r.stderr).toContain(
        'Nothing was written: a read-only look never saves a copy. `warden serve` on this store saves one as',
      );
      expect(r.stderr).toContain(`copy it yourself: ${file} as ${file}.saved (cp -p)`);
      expect(listing(dir)).toEqual(before);
    }
    // A writable open still saves its copy (once per open), and refuses.
    const e = storeError(() => openSqliteStore(file, { now: NOW }));
    expect(e.code).toBe('corrupt');
    expect(readdirSync(dir).sort()).toEqual(['warden.db', 'warden.db.corrupt-2025-03-14T09-30-00-000Z']);
  });

  it('health and shadow report on a healthy store create nothing beside it (no -wal, no -shm)', async () => {
    const file = storeWithRows();
    const dir = join(file, '..');
    const before = listing(dir);
    const h = await wardenCli('health', '--store', file);
    expect(h.stderr).toBe('');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^idle: /);
    const s = await wardenCli('shadow', 'report', '--store', file);
    expect(s.stderr).toContain('no shadow session has run on this store');
    expect(listing(dir)).toEqual(before);
  });

  it('a read-only open reads the commits in a -wal a writer holds open, and leaves its files alone', () => {
    const file = storeWithRows();
    const writer = new Database(file);
    writer.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('late', 'in the wal');
    try {
      expect(readdirSync(join(file, '..')).sort()).toEqual(['warden.db', 'warden.db-shm', 'warden.db-wal']);
      const r = openSqliteStore(file, { now: NOW, readonly: true });
      expect(r.meta().schemaVersion).toBeGreaterThan(0);
      r.close();
      const check = openSqliteStore(file, { now: NOW, readonly: true });
      check.close();
      expect(readdirSync(join(file, '..')).sort()).toEqual(['warden.db', 'warden.db-shm', 'warden.db-wal']);
      expect((writer.prepare("SELECT value FROM meta WHERE key = 'late'").get() as { value: string }).value).toBe(
        'in the wal',
      );
    } finally {
      writer.close();
    }
  });

  it.skipIf(asRoot)(`health in a directory it cannot write, on a store file it cannot write${NEEDS_USER}`, async () => {
    const file = storeWithRows();
    const dir = join(file, '..');
    chmodSync(file, 0o444);
    chmodSync(dir, 0o555);
    try {
      const before = listing(dir);
      const h = await wardenCli('health', '--store', file);
      expect(h.stderr).toBe('');
      expect(h.code).toBe(0);
      expect(listing(dir)).toEqual(before);
    } finally {
      chmodSync(dir, 0o755);
    }
  });

  it.skipIf(asRoot)(
    `a -wal without its -shm in a directory it cannot write: says what to do, and not to remove the -wal${NEEDS_USER}`,
    async () => {
      const file = storeWithRows();
      const copy = join(root, `t${++n}`);
      mkdirSync(copy);
      const writer = new Database(file);
      writer.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('late', 'in the wal');
      // A copy taken while the writer has commits in its -wal, without the -shm.
      copyFileSync(file, join(copy, 'warden.db'));
      copyFileSync(`${file}-wal`, join(copy, 'warden.db-wal'));
      writer.close();
      chmodSync(copy, 0o555);
      try {
        const h = await wardenCli('health', '--store', join(copy, 'warden.db'));
        expect(h.code).toBe(2);
        expect(h.stderr).toContain(
          `-wal holds commits not yet in the file, and reading it needs a ${join(copy, 'warden.db')}-shm beside it, which cannot be created in ${copy} (mode 0555)`,
        );
        expect(h.stderr).toContain('do not remove the -wal');
        expect(readdirSync(copy).sort()).toEqual(['warden.db', 'warden.db-wal']);
      } finally {
        chmodSync(copy, 0o755);
      }
    },
  );
});

describe('a store that cannot be written is refused when opened for writing, leaving nothing behind', () => {
  it.skipIf(asRoot)(`a read-only store file: the file and chmod u+w named${NEEDS_USER}`, () => {
    const file = storeWithRows();
    chmodSync(file, 0o444);
    const before = listing(join(file, '..'));
    const e = storeError(() => openSqliteStore(file, { now: NOW }));
    expect(e.code).toBe('io');
    expect(e.message).toBe(
      `${file}: cannot open the store for writing: the file cannot be written (mode 0444); make it writable (chmod u+w ${file}); nothing was changed`,
    );
    expect(listing(join(file, '..'))).toEqual(before);
    chmodSync(file, 0o644);
    openSqliteStore(file, { now: NOW }).close();
  });

  it.skipIf(asRoot)(
    `a read-only directory: the directory named, for an existing store and a new one${NEEDS_USER}`,
    () => {
      const file = storeWithRows();
      const dir = join(file, '..');
      chmodSync(dir, 0o555);
      try {
        const e = storeError(() => openSqliteStore(file, { now: NOW }));
        expect(e.message).toContain(
          `${file}: cannot open the store for writing: its directory ${dir} cannot be written (mode 0555)`,
        );
        expect(e.message).toContain(`chmod u+w ${dir}`);
        const other = join(dir, 'new.db');
        expect(storeError(() => openSqliteStore(other, { now: NOW })).message).toContain(
          `${other}: cannot create the store: its directory ${dir} cannot be written`,
        );
        expect(readdirSync(dir)).toEqual(['warden.db']);
      } finally {
        chmodSync(dir, 0o755);
      }
    },
  );

  it.skipIf(asRoot)(
    `a stray -shm or -wal that cannot be written: named, with what to check and what not to remove${NEEDS_USER}`,
    () => {
      const file = storeWithRows();
      writeFileSync(`${file}-shm`, '');
      chmodSync(`${file}-shm`, 0o444);
      const shm = storeError(() => openSqliteStore(file, { now: NOW }));
      expect(shm.message).toContain(
        `${file}-shm beside it cannot be written (mode 0444); check its mode and owner (chmod u+w ${file}-shm); it holds no data`,
      );
      rmSync(`${file}-shm`);
      writeFileSync(`${file}-wal`, '');
      chmodSync(`${file}-wal`, 0o444);
      const wal = storeError(() => openSqliteStore(file, { now: NOW }));
      expect(wal.message).toContain(
        `${file}-wal beside it cannot be written (mode 0444); check its mode and owner (chmod u+w ${file}-wal); do not remove it: it holds the store's last transactions`,
      );
      expect(readdirSync(join(file, '..')).sort()).toEqual(['warden.db', 'warden.db-wal']);
    },
  );
});

describe('a full disk is named', () => {
  it("SQLite's SQLITE_FULL and the file system's ENOSPC read as the disk is full; other failures as they are", () => {
    expect(describeStoreFailure(new Database.SqliteError('database or disk is full', 'SQLITE_FULL'))).toBe(
      'the disk is full: database or disk is full',
    );
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(describeStoreFailure(enospc)).toBe('the disk is full: ENOSPC: no space left on device, write');
    expect(describeStoreFailure(new Database.SqliteError('database is locked', 'SQLITE_BUSY'))).toBe(
      'database is locked',
    );
  });
});
