// `warden serve` as a process while another program holds a write lock on its store ("database is
// locked", as a backup tool or a second process might): the API keeps answering and says degraded,
// /metrics says so, the engine goes on by itself when the lock is released, and SIGTERM ends the
// process even while the lock is held (it used to print "Warden stopped." and stay, holding the port).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/waitUntil.ts';

const BIN = fileURLToPath(new URL('../../bin/warden.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'warden-serve-outage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Health {
  status: string;
  reasons: string[];
}

describe('warden serve with its store locked by another program', () => {
  it('answers degraded with the reason, recovers by itself when the lock goes, and SIGTERM ends it even under the lock', async () => {
    const storeFile = join(dir, 'serve.db');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', storeFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WARDEN_API_TOKEN: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let lock: Database.Database | null = null;
    try {
      expect(
        await waitUntil(() => /at http:\/\/127\.0\.0\.1:\d+\//.test(out) && out.includes('Ctrl-C stops.'), 1200),
      ).toBe(true);
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;
      const health = async (): Promise<Health> => (await (await fetch(new URL('api/health', url))).json()) as Health;
      const played = async (): Promise<number> =>
        Number(
          /^warden_bars_played (\d+)$/m.exec(await (await fetch(new URL('metrics', url))).text())?.[1] ?? Number.NaN,
        );
      expect(await waitUntil(() => out.includes('Ctrl-C'), 10)).toBe(true);

      // Another program takes the write lock.
      lock = new Database(storeFile);
      lock.prepare('BEGIN IMMEDIATE').run();
      let h: Health = { status: '', reasons: [] };
      for (let i = 0; i < 200 && !/store cannot be written/.test(h.reasons.join('\n')); i++) {
        await new Promise((r) => setTimeout(r, 50));
        h = await health();
      }
      expect(h.status).toBe('degraded');
      expect(h.reasons.join('\n')).toMatch(/the store cannot be written since .*database is locked/);
      expect(await (await fetch(new URL('metrics', url))).text()).toMatch(/^warden_health 0$/m);
      // A change through the API is refused, saying why (nothing is changed).
      const token = readFileSync(`${storeFile}.token`, 'utf8').trim();
      const positions = (await (await fetch(new URL('api/positions', url))).json()) as { ticket: string }[];
      expect(positions.length).toBeGreaterThan(0); // the demo positions of the played market
      const r = await fetch(new URL(`api/positions/${positions[0]!.ticket}/exits/disable`, url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({
        error: 'store_unavailable',
        message: expect.stringMatching(
          /the store cannot be written \(database is locked\): nothing is changed until it can/,
        ),
      });
      // The engine waits for its store: no bar is stepped meanwhile.
      const held = await played();
      await new Promise((r) => setTimeout(r, 300));
      expect(await played()).toBe(held);

      // The lock goes: the engine goes on by itself and health no longer names the store.
      lock.prepare('ROLLBACK').run();
      let after = held;
      for (let i = 0; i < 400 && after <= held + 3; i++) {
        await new Promise((r) => setTimeout(r, 50));
        after = await played();
      }
      expect(after).toBeGreaterThan(held + 3);
      expect((await health()).reasons.join('\n')).not.toMatch(/store cannot be written/);

      // Locked again, and SIGTERM: the process ends all the same.
      lock.prepare('BEGIN IMMEDIATE').run();
      for (let i = 0; i < 200 && !/store cannot be written/.test((await health()).reasons.join('\n')); i++)
        await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      const code = await exited;
      expect(code, `stdout:\n${out}\nstderr:\n${err}`).toBe(0);
      expect(out).toContain('Warden stopped.');
    } finally {
      if (lock?.inTransaction) lock.prepare('ROLLBACK').run();
      lock?.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
