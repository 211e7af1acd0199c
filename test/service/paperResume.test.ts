// `npm start` twice on the same store: the embedded paper account is an account, so the second start
// goes on where the first stopped (its positions, tickets and realized profit, the played market's
// clock), sends every intent it decides, and every position shown partial-done has had volume closed
// at the venue. Settings the stored account was not made with start a new paper account, said so.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema, type WardenConfig } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (extra: Record<string, unknown> = {}): WardenConfig =>
  configSchema.parse({ service: { port: 0, market: { speed: 400, ...extra } } });

async function serve(
  file: string,
  c: WardenConfig,
  lines: string[],
): Promise<{ service: RunningService; store: WardenStore }> {
  const store = openSqliteStore(file, { now: PINNED_NOW });
  const log = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } });
  const service = await startService({
    config: c,
    store,
    log,
    clock: () => PINNED_NOW,
    version: 'test',
    token: 'resume-test-token-0123456789',
    tokenFile: join(dir, 'unused.token'),
  });
  return { service, store };
}

/** Every managed position's flags are true at the paper venue: partial done means volume closed there. */
async function flagsHoldAtVenue(service: RunningService): Promise<void> {
  const venue = new Map((await service.broker.positions()).map((p) => [p.id, p]));
  for (const key of service.session.engine.positionIds()) {
    const plan = service.session.engine.plan(key)!;
    const at = venue.get(plan.ticket);
    if (at === undefined) continue; // closed since the last step (its stop or target)
    if (plan.partialState === 1) {
      expect(plan.closedVolume, key).toBeGreaterThan(0);
      expect(at.volume, key).toBeLessThanOrEqual(plan.initialVolume - plan.closedVolume + 1e-9);
    }
  }
}

describe('the embedded paper account across restarts', () => {
  it('goes on where it stopped: same positions and tickets, the market clock moving on, every decision sent', async () => {
    const file = join(dir, 'resume.db');
    const lines1: string[] = [];
    const a = await serve(file, config(), lines1);
    expect(
      await waitUntil(
        () =>
          a.service.loop.played >= 600 &&
          a.store.intentsSince(0).some((i) => i.intent.rule === 'partial' && i.status === 'applied'),
        1200,
      ),
    ).toBe(true);
    await a.service.stop();
    await flagsHoldAtVenue(a.service);
    const before = (await a.service.broker.positions()).map((p) => p.id).sort();
    const stored = a.store.paperAccount()!;
    const intents1 = a.store.intentsSince(0).length;
    // Each symbol numbers its tickets in its own block of a million: the last one used per block.
    const lastTicket = new Map<number, number>();
    for (const t of a.store
      .recentDecisions(100_000)
      .map((r) => r.positionId.split('#')[0]!)
      .map(Number)) {
      if (!Number.isFinite(t) || t <= 0) continue;
      const block = Math.floor(t / 1e6);
      lastTicket.set(block, Math.max(lastTicket.get(block) ?? 0, t));
    }
    const isNew = (t: number): boolean => t > (lastTicket.get(Math.floor(t / 1e6)) ?? 0);
    a.store.close();
    expect(before.length).toBeGreaterThan(0);

    const lines2: string[] = [];
    const b = await serve(file, config(), lines2);
    try {
      expect(lines2.join('')).toMatch(/paper account: going on where it stopped/);
      // The same account: its positions (the demo may have opened more since), and its market clock
      // where it stopped.
      const after = (await b.service.broker.positions()).map((p) => p.id);
      for (const id of before) expect(after).toContain(id);
      for (const id of after) if (!before.includes(id)) expect(isNew(Number(id)), id).toBe(true);
      expect(
        b.service.session.engine
          .positionIds()
          .map((k) => k.split('#')[0]!)
          .filter((t) => before.includes(t))
          .sort(),
      ).toEqual(before);
      expect(b.service.session.engine.positionIds().every((k) => k.endsWith('#1'))).toBe(true);
      const clock0 = stored.market.clock;
      expect(await waitUntil(() => b.service.loop.played >= 400, 1200)).toBe(true);
      await b.service.loop.pause();
      try {
        expect(b.store.paperAccount()!.market.clock).toBeGreaterThan(clock0);
        // New positions take new tickets: none is reused.
        const tickets = (await b.service.broker.positions()).map((p) => Number(p.id));
        for (const t of tickets) if (!before.includes(String(t))) expect(isNew(t), String(t)).toBe(true);
        // Every decision of the second run was sent (none met the journal), and settled.
        const all = b.store.intentsSince(0);
        expect(all.length).toBeGreaterThan(intents1);
        expect(b.store.recentDecisions(100_000).some((r) => r.reason === 'journal_conflict')).toBe(false);
        expect(lines2.join('')).not.toMatch(/not sent again|already in the journal/);
        expect(b.store.unresolvedIntents()).toEqual([]);
        await flagsHoldAtVenue(b.service);
      } finally {
        b.service.loop.resume();
      }
    } finally {
      await b.service.stop();
      b.store.close();
    }
  }, 60_000);

  it('other market settings than the stored account was made with: a new paper account, said in the log', async () => {
    const file = join(dir, 'other.db');
    const a = await serve(file, config(), []);
    await waitUntil(() => a.service.loop.played >= 50);
    await a.service.stop();
    a.store.close();
    const lines: string[] = [];
    const b = await serve(file, config({ seed: 99 }), lines);
    try {
      expect(lines.join('')).toMatch(
        /the stored paper account was made with other market settings \(seed 1, now 99\): a new paper account/,
      );
    } finally {
      await b.service.stop();
      b.store.close();
    }
  });
});
