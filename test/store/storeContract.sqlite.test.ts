// The store contract (storeContract.ts) on the SQLite store: each test's store is a new file under the
// OS temp dir, opened at a pinned instant; a reopen closes it and opens the same file again. What only
// the SQLite store has (its file, WAL, migrations, refusals at open, raw rows) is tested beside this,
// in sqliteStore.test.ts and the other files of this folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { describeStoreContract } from './storeContract.ts';
import { NOW } from './storeFixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-contract-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const open = (file: string) => openSqliteStore(file, { now: NOW, createdBy: 'test' });

describeStoreContract('SqliteStore', {
  open: () => open(join(root, `s${++n}.db`)),
  reopen: (s) => {
    s.close();
    return open(s.location);
  },
});
