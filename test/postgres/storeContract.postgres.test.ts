// The store contract (test/store/storeContract.ts) on the PostgreSQL store: one installation (a schema
// of this suite's own) and a new account for each test's store, so every test also runs beside the
// rows of the accounts before it (an account sees only its own). A reopen closes the store and opens
// the same account again.
import { afterAll, describe } from 'vitest';
import { openPostgresStore } from '../../src/store/postgresStore.ts';
import { describeStoreContract } from '../store/storeContract.ts';
import { NOW } from '../store/storeFixtures.ts';
import { dropSchema, freshSchema, NO_POSTGRES, urlOf } from './postgresSupport.ts';

const schema = freshSchema('contract');
const url = urlOf(schema);
let n = 0;
const open = (account: string) => openPostgresStore(url, { now: NOW, createdBy: 'test', account });

describe.skipIf(NO_POSTGRES)('PostgreSQL store contract', () => {
  afterAll(() => dropSchema(schema));
  describeStoreContract('PostgresStore', {
    open: () => open(`acct-${++n}`),
    reopen: (s) => {
      const account = (s as ReturnType<typeof open>).account;
      s.close();
      return open(account);
    },
  });
});
