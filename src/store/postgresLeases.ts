// An account's lease in a shared installation, and the installation's list of accounts. The lease
// (one row per account in `leases`) gives one live owner per account across processes and machines:
// taken when free (never held, released, or lapsed on the database's clock), renewed by its holder,
// lapsing when the holder stops renewing (killed, cut off); its token grows at every change of holder
// and is the fencing token journaled intents carry (postgresJournals.ts).
import type { PostgresConnection, SqlParam } from './postgresConnection.ts';
import { decodeRecord } from './recordCodec.ts';
import { healthReportSchema } from './sessionRecords.ts';
import type { AccountLease, AccountLeases, InstalledAccount, LeaseAttempt } from './store.ts';

/** The database's clock in epoch ms, one reading per statement (leases compare against it, not the hosts'). */
export const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/** The token a store holds its account's lease under (null: none), shared with its journals. */
export interface LeaseHolding {
  token: number | null;
}

export function accountLeases(conn: PostgresConnection, account: string, holding: LeaseHolding): AccountLeases {
  const rows = <T>(sql: string, params: readonly SqlParam[] = []): T[] => conn.rows<T>(sql, [account, ...params]);
  type LeaseRow = { holder: string; token: number; acquired_at: number; expires_at: number };
  const COLUMNS = 'holder, token, acquired_at, expires_at';
  const toLease = (r: LeaseRow): AccountLease => ({
    account: account,
    holder: r.holder,
    token: r.token,
    acquiredAt: r.acquired_at,
    expiresAt: r.expires_at,
  });
  const current = (): AccountLease | null => {
    const row = rows<LeaseRow>(`SELECT ${COLUMNS} FROM leases WHERE account = $1`)[0];
    return row === undefined ? null : toLease(row);
  };
  return {
    account: account,
    current,
    acquire: (holder, ttlMs): LeaseAttempt =>
      conn.transaction(() => {
        // Free: never held, released, or lapsed (the database's clock), or held by this same holder
        // (host and process: a process re-taking its own); the token then grows by one. Taken again
        // through the store that holds it (a session claiming what its supervisor took for it), it
        // is only extended: the same token, so no intent is journaled under a token never used.
        const row = rows<LeaseRow>(
          `INSERT INTO leases AS l (account, holder, token, acquired_at, renewed_at, expires_at)
             SELECT $1, $2, 1, t.now, t.now, t.now + $3 FROM (SELECT ${NOW_MS} AS now) t
           ON CONFLICT (account) DO UPDATE SET holder = excluded.holder,
             token = CASE WHEN l.holder = excluded.holder AND l.token = $4::bigint THEN l.token ELSE l.token + 1 END,
             acquired_at = CASE WHEN l.holder = excluded.holder AND l.token = $4::bigint THEN l.acquired_at ELSE excluded.acquired_at END,
             renewed_at = excluded.renewed_at, expires_at = excluded.expires_at,
             endpoint = CASE WHEN l.holder = excluded.holder AND l.token = $4::bigint THEN l.endpoint ELSE NULL END
           WHERE l.expires_at <= excluded.acquired_at OR l.holder = excluded.holder
           RETURNING ${COLUMNS}`,
          [holder, Math.round(ttlMs), holding.token],
        )[0];
        if (row !== undefined) {
          holding.token = row.token;
          return { acquired: true, lease: toLease(row) };
        }
        return { acquired: false, heldBy: current()! };
      }),
    renew: (ttlMs) => {
      if (holding.token === null) return null;
      const row = rows<LeaseRow>(
        `UPDATE leases SET renewed_at = ${NOW_MS}, expires_at = ${NOW_MS} + $3 WHERE account = $1 AND token = $2
         RETURNING ${COLUMNS}`,
        [holding.token, Math.round(ttlMs)],
      )[0];
      if (row === undefined) holding.token = null;
      return row === undefined ? null : toLease(row);
    },
    advertise: (endpoint) => {
      if (holding.token === null) return;
      rows('UPDATE leases SET endpoint = $3 WHERE account = $1 AND token = $2', [holding.token, endpoint]);
    },
    release: () => {
      if (holding.token === null) return;
      // Lapsed at once, the token kept: the next holder's is higher, so this session's is never valid again.
      rows(`UPDATE leases SET expires_at = ${NOW_MS} WHERE account = $1 AND token = $2`, [holding.token]);
      holding.token = null;
    },
  };
}

/** Every account with a lease or stored rows: its lease, positions and latest health, in one read. */
export function installedAccounts(conn: PostgresConnection, location: string): InstalledAccount[] {
  type Row = {
    account: string;
    holder: string | null;
    token: number | null;
    acquired_at: number | null;
    expires_at: number | null;
    endpoint: string | null;
    live: boolean | null;
    positions: number;
    health: string | null;
  };
  const rows = conn.rows<Row>(
    `SELECT a.account, l.holder, l.token, l.acquired_at, l.expires_at, l.endpoint, l.expires_at > ${NOW_MS} AS live,
       coalesce(p.n, 0) AS positions, h.value AS health
     FROM (SELECT account FROM leases UNION SELECT account FROM positions UNION SELECT account FROM session_state) a
     LEFT JOIN leases l ON l.account = a.account
     LEFT JOIN (SELECT account, count(*) AS n FROM positions GROUP BY account) p ON p.account = a.account
     LEFT JOIN session_state h ON h.account = a.account AND h.key = 'health'
     ORDER BY a.account`,
  );
  return rows.map((r) => ({
    account: r.account,
    lease:
      r.holder === null || r.token === null || r.acquired_at === null || r.expires_at === null
        ? null
        : {
            account: r.account,
            holder: r.holder,
            token: r.token,
            acquiredAt: r.acquired_at,
            expiresAt: r.expires_at,
            live: r.live === true,
            endpoint: r.endpoint,
          },
    positions: r.positions,
    health: r.health === null ? null : decodeRecord(healthReportSchema, r.health, location, 'session_state', 'health'),
  }));
}
