// The API's hot views of a live session (views.ts: LiveViews; AccountSession.version) on a real account
// session over the paper account and a SQLite store, stepped bar by bar on the bars' clock: between two
// changes a view is built once and kept; a step, an API change or a broker refresh drops it; while a
// step waits on the venue (its answer held back), views are built for every read and none is kept, and
// once it settles they show the state it left.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BrokerAnswer } from '../../src/brokers/brokerAnswer.ts';
import type { OrderGateway } from '../../src/brokers/brokerPort.ts';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { roundStop } from '../../src/domain/rounding.ts';
import type { Intent, Position } from '../../src/domain/types.ts';
import { AccountSession } from '../../src/execution/accountSession.ts';
import { LiveViews, positionView } from '../../src/service/views.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { BAR_MS, liveConfig, sampleBars, SYMBOL } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-views-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The paper account, whose answers to position reads can be held back (a venue slow to answer). */
class HeldVenue implements OrderGateway {
  readonly name = 'paper';
  private hold: Promise<void> | null = null;
  private release: (() => void) | null = null;
  constructor(readonly account: PaperAccount) {}

  holdPositions(): void {
    this.hold = new Promise((resolve) => (this.release = resolve));
  }

  answer(): void {
    this.release?.();
    this.hold = null;
  }

  async positions(): Promise<Position[]> {
    if (this.hold !== null) await this.hold;
    return this.account.positions();
  }

  send(intent: Intent): Promise<BrokerAnswer> {
    return this.account.send(intent);
  }
}

async function rig() {
  const config = liveConfig();
  const instrument = instrumentFromConfig(config, SYMBOL, true);
  const bars = sampleBars(11, 1800);
  const account = new PaperAccount([instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
  const venue = new HeldVenue(account);
  let now = bars[1499]!.time + BAR_MS;
  const store = openSqliteStore(join(dir, `v${Math.random().toString(36).slice(2)}.db`), { now });
  const session = new AccountSession({
    config,
    baseTimeframe: 'M1',
    instruments: [instrument],
    broker: venue,
    store,
    clock: () => now,
    sleep: async () => {},
  });
  await session.start(new Map([[SYMBOL, bars.slice(0, 1500)]]));
  account.onBar(SYMBOL, bars[1499]!, now);
  for (let k = 0; k < 6; k++) {
    const q = account.broker(SYMBOL).quote();
    const buy = k % 2 === 0;
    const entry = buy ? q.ask : q.bid;
    account.broker(SYMBOL).open({
      requestId: `hand:${k}`,
      side: buy ? 'buy' : 'sell',
      volume: 0.3,
      sl: roundStop(buy ? 'buy' : 'sell', buy ? entry * 0.97 : entry * 1.03, instrument.tickSize),
      tp: null,
      comment: '',
      exempt: true,
    });
  }
  const changes = session;
  const views = new LiveViews(session, store);
  let i = 1500;
  const step = () => {
    const bar = bars[i++]!;
    now = bar.time + BAR_MS;
    account.onBar(SYMBOL, bar, now);
    return session.onBar(SYMBOL, bar);
  };
  return { session, store, venue, changes, views, step };
}

const firstTicket = (views: LiveViews): string =>
  (JSON.parse(views.positionsPage(undefined, 1).json.toString()) as { ticket: string }[])[0]!.ticket;

describe('hot views of a live session', () => {
  it("the session's version rises as each step, change and refresh settles; changing from the call until then", async () => {
    const { session, changes, step } = await rig();
    expect(changes.version).toBe(0);
    const s = step();
    expect(changes.changing).toBe(true);
    await s;
    expect([changes.version, changes.changing]).toEqual([1, false]);
    const a = session.act(() => 42);
    expect(changes.changing).toBe(true);
    expect(await a).toBe(42);
    await session.refreshFromBroker();
    expect([changes.version, changes.changing]).toEqual([3, false]);
    await expect(
      session.act(() => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect([changes.version, changes.changing]).toEqual([4, false]);
  });

  it('between two changes a view is kept; a step or an API change drops it, and the next read shows the new state', async () => {
    const { session, views, step } = await rig();
    await session.refreshFromBroker();
    await step();
    const page = views.positionsPage(undefined, 10);
    expect(page.count).toBe(6);
    expect(views.positionsPage(undefined, 10)).toBe(page);
    const ticket = firstTicket(views);
    const key = session.managedKey(ticket)!;
    const one = views.position(ticket);
    expect(views.position(ticket)).toBe(one);
    expect(JSON.parse(one!)).toEqual(JSON.parse(JSON.stringify(positionView(session, key))));
    const status = views.dtmsStatus();
    expect(views.dtmsStatus()).toBe(status);

    await step();
    expect(views.positionsPage(undefined, 10)).not.toBe(page);
    expect(JSON.parse(views.position(ticket)!)).toEqual(JSON.parse(JSON.stringify(positionView(session, key))));

    const before = views.position(ticket);
    await session.act(() => {
      session.engine.plan(key)!.enabled = false;
    });
    expect(before).toContain('"enabled":true');
    expect(views.position(ticket)).toContain('"enabled":false');
    expect(views.positionsPage(undefined, 1).json.toString()).toContain('"enabled":false');
  });

  it('while a step waits on the venue, every read builds its view and none is kept; once it settles, the views show what it left', async () => {
    const { session, venue, views, changes, step } = await rig();
    await session.refreshFromBroker();
    await step();
    const settled = views.positionsPage(undefined, 10);
    venue.holdPositions();
    const held = step();
    expect(changes.changing).toBe(true);
    const a = views.positionsPage(undefined, 10);
    const b = views.positionsPage(undefined, 10);
    expect(a).not.toBe(settled);
    expect(b).not.toBe(a);
    expect(b.json.equals(a.json)).toBe(true);
    venue.answer();
    await held;
    const after = views.positionsPage(undefined, 10);
    expect(views.positionsPage(undefined, 10)).toBe(after);
    const ticket = firstTicket(views);
    expect(JSON.parse(views.position(ticket)!)).toEqual(
      JSON.parse(JSON.stringify(positionView(session, session.managedKey(ticket)!))),
    );
  });

  it("the journal's last seq is asked once per version, and directly while a change is under way", async () => {
    const { session, store, views, venue, step } = await rig();
    await session.refreshFromBroker();
    await step();
    expect(views.journalHead()).toBe(store.lastDecisionSeq());
    expect(store.lastDecisionSeq()).toBeGreaterThan(0);
    venue.holdPositions();
    const held = step();
    store.appendDecision({ ...store.recentDecisions(1)[0]!, note: 'written while the step waits' });
    expect(views.journalHead()).toBe(store.lastDecisionSeq());
    venue.answer();
    await held;
    expect(views.journalHead()).toBe(store.lastDecisionSeq());
  });
});
