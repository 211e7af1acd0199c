// `warden health --store FILE` on stores a real live session wrote: healthy (exit 0), degraded with
// its reasons (exit 3), idle, and the clear refusals. Also the path from `warden import-legacy` to a
// live session that builds the position's plan from the imported rule.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { AccountSession } from '../../src/execution/accountSession.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { wardenCli, wardenCliAt } from '../support/cliRun.ts';
import { BAR_MS, liveConfig, PINNED_NOW, sampleBars, SYMBOL } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-health-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const warden = wardenCli;

/** A live session over sample bars whose last bar closes just before PINNED_NOW (the session's and the CLI's clock), with one hand-opened position (ticket 100001). */
async function liveStore(options: { legacy?: boolean } = {}) {
  const file = join(dir, `live${++n}.db`);
  const config = liveConfig();
  const instrument = instrumentFromConfig(config, SYMBOL, true);
  const all = sampleBars(13, 1200);
  // Shift the sample so its last bar closes a few seconds before the pinned instant (health judges
  // feeds on the session's clock).
  const shift = PINNED_NOW - 5_000 - (all[all.length - 1]!.time + BAR_MS);
  const bars = all.map((b) => ({ ...b, time: b.time + shift }));
  const account = new PaperAccount([instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
  account.onBar(SYMBOL, bars[1099]!, bars[1099]!.time + BAR_MS);
  const q = account.broker(SYMBOL).quote();
  account.broker(SYMBOL).open({
    requestId: 'hand',
    side: 'buy',
    volume: 0.4,
    sl: Math.round((q.ask - 40) * 100) / 100,
    tp: Math.round((q.ask + 80) * 100) / 100,
    comment: '',
    exempt: true,
  });
  if (options.legacy === true) {
    const legacy = join(dir, `legacy${n}.json`);
    writeFileSync(
      legacy,
      JSON.stringify({
        '100001': {
          ticket: 100001,
          symbol: SYMBOL,
          entry_price: q.ask,
          direction: 'buy',
          initial_sl: Math.round((q.ask - 40) * 100) / 100,
          initial_tp: Math.round((q.ask + 80) * 100) / 100,
          breakeven_profit_pct: 20,
          partial_profit_pct: 50,
          breakeven_triggered: false,
          partial_triggered: false,
        },
      }),
    );
    const imp = await warden('import-legacy', legacy, '--store', file);
    expect(imp.code, imp.stderr).toBe(0);
  }
  const store = openSqliteStore(file, { now: PINNED_NOW });
  const session = new AccountSession({
    config,
    baseTimeframe: 'M1',
    instruments: [instrument],
    broker: account,
    store,
    clock: () => PINNED_NOW,
  });
  const started = await session.start(new Map([[SYMBOL, bars.slice(0, 1100)]]));
  for (let i = 1100; i < bars.length; i++) {
    account.onBar(SYMBOL, bars[i]!, bars[i]!.time + BAR_MS);
    await session.onBar(SYMBOL, bars[i]!);
  }
  return { file, store, session, started };
}

describe('warden health', () => {
  it('healthy (exit 0) for a store a session just reported to, with the JSON report', async () => {
    const { file, store, started } = await liveStore();
    // Ticket 100001's first lifetime in this store.
    expect(started.adopted).toEqual(['100001#1']);
    store.close();
    const r = await warden('health', '--store', file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // 1,200 M1 bars of history: features still warming up are listed (a paper-like session: not degraded by them).
    expect(r.stdout).toMatch(
      /^healthy: 1 position\(s\), 0 hedge\(s\) under management, report \d+ s old\n {2}feed XAUUSDc: last bar closed .*Z\n {2}XAUUSDc features warming up: missing .*mtf H1 \(H1 20\/200\).*\n {2}engine: last step ended .*Z, 0 s behind the market \(0 bar\(s\) waiting\) when it reported\n$/,
    );
    const j = await warden('health', '--store', file, '--json');
    const report = JSON.parse(j.stdout) as {
      status: string;
      positions: number;
      feeds: { symbol: string; stale: boolean }[];
    };
    expect(report).toMatchObject({ status: 'healthy', positions: 1, feeds: [{ symbol: SYMBOL, stale: false }] });
  });

  it('degraded (exit 3) with its reasons when the session stopped reporting, or an intent is unsettled', async () => {
    const { file, store, session } = await liveStore();
    // An intent journaled and never answered (the process died before sending it).
    const id = `${session.engine.positionIds()[0]}:breakeven:99`;
    store.recordIntent({
      id,
      positionId: '100001#1',
      symbol: SYMBOL,
      kind: 'move_stop',
      rule: 'breakeven',
      episode: 99,
      newSl: 1,
      oldSl: null,
      volume: 0,
      time: PINNED_NOW,
      price: 1,
      reason: 'test',
      targetId: '100001',
      side: 'buy',
      comment: '',
      action: '',
    });
    store.close();
    const r = await warden('health', '--store', file);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`degraded: 1 position(s)`);
    expect(r.stdout).toContain(`  - 1 intent(s) not settled with the broker: ${id} (pending)`);
    // Two seconds later, nothing has reported: with --silent-after 1 the positions are unwatched.
    const silent = await wardenCliAt(PINNED_NOW + 2_000, 'health', '--store', file, '--silent-after', '1');
    expect(silent.code).toBe(3);
    expect(silent.stdout).toMatch(
      /the session's last step ended \d+ s ago: nothing is managing the 1 open position\(s\)/,
    );
  });

  it('idle for a store no session has reported to; clear refusals for a missing store and a bad option', async () => {
    const file = join(dir, 'empty.db');
    openSqliteStore(file, { now: 0 }).close();
    const r = await warden('health', '--store', file);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^idle: 0 position/);
    expect(await warden('health', '--store', join(dir, 'nope.db'))).toMatchObject({
      code: 2,
      stderr: `warden: ${join(dir, 'nope.db')}: no store there (the file does not exist)\n`,
    });
    const notAStore = join(dir, 'rules.json');
    writeFileSync(notAStore, '{"a":1}');
    const bad = await warden('health', '--store', notAStore);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /is not a Warden store: it is not a SQLite database \(it looks like a JSON file\); refusing to open it; the file was left untouched/,
    );
    expect((await warden('health', '--store', file, '--silent-after', 'soon')).stderr).toContain(
      '--silent-after must be a whole number of seconds within 1..86400, got "soon"',
    );
  });
});

describe('import-legacy, then a live session', () => {
  it('builds the position plan from its imported rule when the session first sees the ticket, and uses the rule once', async () => {
    const { store, started, session } = await liveStore({ legacy: true });
    // The rule is keyed by ticket; the plan built from it by the ticket's lifetime.
    expect(started.fromLegacy).toEqual(['100001#1']);
    expect(session.managedKey('100001')).toBe('100001#1');
    const plan = session.engine.plan('100001#1');
    expect(plan).toMatchObject({ positionId: '100001#1', ticket: '100001', breakevenPct: 20, partialPct: 50 });
    expect(store.legacyRule('100001')).toBeNull();
    expect(store.plan('100001#1')).toEqual(plan);
    store.close();
  });
});
