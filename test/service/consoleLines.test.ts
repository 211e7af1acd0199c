// `warden serve`'s console on the embedded default: the engine loop plays a generated market into the
// paper account and the session, with the demo trader opening positions; the log is captured as
// JSON (every field, debug included) and as the human console (prettyDestination at info). Each
// intent has one line (rule, ticket, old -> new stop, outcome), each DTMS transition one, positions
// closed at the venue one each, and the demo trader's openings are summarised (its JSON complete).
// Clocks are pinned: the session runs on the bars' time and the loop's wall clock never moves.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { ticketOfKey } from '../../src/domain/lifetime.ts';
import { AccountSession, type StepReport } from '../../src/execution/accountSession.ts';
import type { SettledIntent } from '../../src/execution/intentExecutor.ts';
import { formatsOf, intentLabel } from '../../src/execution/consoleLines.ts';
import type { DecisionRecord } from '../../src/exits/decisionRecord.ts';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger, prettyDestination } from '../../src/log.ts';
import { startService } from '../../src/service/service.ts';
import { EngineLoop } from '../../src/service/engineLoop.ts';
import { PaperMarket } from '../../src/service/paperMarket.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { BAR_MS, liveConfig, PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-console-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SYMBOLS = ['XAUUSDc', 'EURUSD', 'BTCUSDc'];
const WARMUP_MINUTES = 3_000;
const BARS = 1_500;
const EVERY = 300;

type Json = Record<string, unknown>;

interface Run {
  /** Every log record, as JSON (debug and above). */
  records: Json[];
  /** The human console (info and above), one string per line. */
  human: string[];
  settled: SettledIntent[];
  decisions: DecisionRecord[];
  played: number;
}

let run: Run;

beforeAll(async () => {
  const config = liveConfig();
  const instruments = SYMBOLS.map((s) => instrumentFromConfig(config, s, true));
  const market = new PaperMarket({
    symbols: instruments.map((i) => ({ symbol: i.symbol, canonical: i.canonical })),
    seed: 1,
    start: PINNED_NOW,
    warmupMinutes: WARMUP_MINUTES,
  });
  const account = new PaperAccount(instruments, { accountMode: 'hedging', timeframeMs: BAR_MS });
  const store = openSqliteStore(join(dir, 'console.db'), { now: PINNED_NOW });
  const records: Json[] = [];
  const human: string[] = [];
  const pretty = prettyDestination((line) => void human.push(line.replace(/\n$/, '')));
  // One logger, two views: the JSON lines as written, and the human console of the info ones.
  const log = createLogger({
    level: 'debug',
    destination: {
      write(chunk: string): void {
        for (const line of chunk.split('\n')) {
          if (line.trim() === '') continue;
          const rec = JSON.parse(line) as Json;
          records.push(rec);
          if (typeof rec.level === 'number' && rec.level >= 30) pretty.write(`${line}\n`);
        }
      },
    },
  });
  let marketTime = PINNED_NOW + WARMUP_MINUTES * 60_000;
  const decisions: DecisionRecord[] = [];
  const session = new AccountSession({
    config,
    baseTimeframe: 'M1',
    instruments,
    broker: account,
    store,
    clock: () => marketTime,
    log,
    onDecision: (r) => void decisions.push(r),
  });
  for (const inst of instruments) {
    const bars = market.warmup().get(inst.symbol) ?? [];
    account.addHistory(inst.symbol, bars.slice(-600));
    const last = bars[bars.length - 1];
    if (last) account.onBar(inst.symbol, last, last.time + BAR_MS);
  }
  await session.start(market.warmup());
  const settled: SettledIntent[] = [];
  let loop: EngineLoop;
  loop = new EngineLoop({
    market,
    account,
    session,
    instruments,
    speed: 1_000,
    demoPositions: 2,
    reopenBars: 20,
    openingsEveryBars: EVERY,
    log,
    now: () => PINNED_NOW,
    sleep: async () => {},
    beforeStep: (_s, close) => {
      marketTime = Math.max(marketTime, close);
    },
    onStep: (_s, report: StepReport) => {
      settled.push(...report.intents);
      if (loop.played >= BARS) void loop.stop();
    },
  });
  await loop.run();
  await session.close();
  store.close();
  run = { records, human, settled, decisions, played: loop.played };
}, 120_000);

const consoleRecords = (event: string): Json[] => run.records.filter((r) => r.event === event);

describe('the serve console', () => {
  it('gives each intent one line: its rule, ticket, old -> new stop and outcome, with the why of its decision', () => {
    expect(run.settled.length).toBeGreaterThan(10);
    const lines = consoleRecords('intent');
    // One line per intent settled, in the same order, and no other.
    expect(lines.map((r) => r.intent)).toEqual(run.settled.map((s) => s.intent.id));
    const rules = new Set(run.settled.filter((s) => s.settled === 'applied').map((s) => s.intent.rule));
    for (const rule of ['breakeven', 'partial', 'trail', 'dtms']) expect(rules.has(rule as never), rule).toBe(true);
    for (const s of run.settled) {
      const it = s.intent;
      const f = formatsOf(instrumentFromConfig(liveConfig(), it.symbol, true));
      const line = run.human.find(
        (l) =>
          l.includes(`#${ticketOfKey(it.positionId)} `) &&
          l.includes(`${intentLabel(it)}: `) &&
          (it.kind !== 'move_stop' || l.includes(`SL ${f.price(it.oldSl)} -> ${f.price(it.newSl)}`)),
      );
      expect(line, it.id).toBeDefined();
      // `HH:MM:SS` of the decision (the market's time), the symbol, and the outcome at the end.
      expect(
        line!.startsWith(
          `${new Date(it.time).toISOString().slice(11, 19)} ${it.symbol} #${ticketOfKey(it.positionId)} `,
        ),
      ).toBe(true);
      if (s.settled === 'applied') expect(line!.endsWith('  applied')).toBe(true);
      else expect(line).toMatch(/REJECTED|OUTCOME UNKNOWN|NOT SENT/);
    }
    // The why: a breakeven names its trigger, a trail its critical gate, a DTMS action the state it acts in.
    expect(run.human.find((l) => / breakeven: SL /.test(l))).toMatch(
      /\(breakeven at [\d.]+(R|% progress) \(trigger [\d.]+(R|%)\), ATR [\d.]+, buffer [\d.]+ \(x[\d.]+\)\) {2}applied$/,
    );
    expect(run.human.find((l) => / trail: SL /.test(l))).toMatch(
      /\(critical ok \(R [\d.]+ vs [\d.]+\).*distance [\d.]+\) {2}applied$/,
    );
    expect(run.human.find((l) => / dtms [a-z_]+: /.test(l))).toMatch(/\(in [A-Z_0-9]+, episode \d+\) {2}applied$/);
    // The JSON keeps the fields and the full explanation.
    const be = lines.find((r) => r.rule === 'breakeven')!;
    expect(be).toMatchObject({ kind: 'move_stop', outcome: 'applied', how: 'answer' });
    expect(typeof be.oldSl).toBe('number');
    expect(typeof be.newSl).toBe('number');
    expect(String(be.why)).toMatch(/breakeven: intent \(intent_sent\); progress .* SL .* -> /);
  });

  it('gives each DTMS state transition one line, with its states and score', () => {
    const transitions = run.decisions.filter((r) => r.reason === 'dtms_transition');
    expect(transitions.length).toBeGreaterThan(0);
    const lines = consoleRecords('dtms').filter((r) => r.reason === 'dtms_transition');
    expect(lines.length).toBe(transitions.length);
    for (const t of transitions) {
      const line = run.human.find(
        (l) =>
          l.includes(`#${ticketOfKey(t.positionId)} `) && l.includes(`DTMS ${t.dtmsFrom} -> ${t.dtmsState} (score `),
      );
      expect(line, `${t.positionId} ${t.dtmsFrom}->${t.dtmsState}`).toBeDefined();
    }
  });

  it('says each position that left the venue once, with its stop or target when the bar reached it', () => {
    const closed = consoleRecords('position').filter((r) => r.change === 'closed');
    const ended = run.decisions.filter((r) => r.reason === 'lifetime_ended');
    expect(closed.length).toBe(ended.length);
    expect(new Set(closed.map((r) => r.positionId)).size).toBe(closed.length);
    expect(run.human.some((l) => / closed at the venue: SL [\d.]+ reached$/.test(l))).toBe(true);
  });

  it('summarises the demo trader: far fewer lines than openings, the counts right, every opening still in the JSON', () => {
    const openings = run.records.filter((r) => r.msg === 'demo position opened');
    expect(openings.every((r) => r.level === 20)).toBe(true);
    const summaries = consoleRecords('demo_openings');
    expect(openings.length).toBeGreaterThan(20);
    // One at the start, at most one per EVERY bars, one when the loop ends.
    expect(summaries.length).toBeLessThanOrEqual(2 + Math.ceil(run.played / EVERY));
    expect(summaries.length * 4).toBeLessThan(openings.length);
    // Every opening in exactly one summary, with its symbol's count.
    expect(summaries.flatMap((s) => s.tickets as string[])).toEqual(openings.map((r) => r.ticket));
    const bySymbol = new Map<string, number>();
    for (const s of summaries)
      for (const [k, n] of Object.entries(s.bySymbol as Record<string, number>))
        bySymbol.set(k, (bySymbol.get(k) ?? 0) + n);
    for (const sym of SYMBOLS)
      expect(bySymbol.get(sym) ?? 0, sym).toBe(openings.filter((r) => r.symbol === sym).length);
    const human = run.human.filter((l) => l.includes('demo trader: '));
    expect(human.length).toBe(summaries.length);
    expect(human[0]).toMatch(
      /^\d\d:\d\d:\d\d demo trader: \d+ positions? opened at the start: XAUUSDc \d+, EURUSD \d+, BTCUSDc \d+$/,
    );
    expect(human[1]).toMatch(
      /^\d\d:\d\d:\d\d demo trader: \d+ positions? opened since \d\d:\d\d:\d\d \(300 bars played\): /,
    );
    // Their adoption by the session is at debug level: no line per opening on the console.
    const adopted = consoleRecords('position').filter((r) => r.change === 'adopted');
    expect(adopted.length).toBe(openings.length);
    expect(adopted.every((r) => r.level === 20 && r.demo === true)).toBe(true);
    expect(run.human.filter((l) => / opened by the demo trader/.test(l))).toEqual([]);
  });

  it('is mostly actions: the console is not buried under the openings', () => {
    const actions = run.human.filter(
      (l) => / {2}(applied|REJECTED|OUTCOME UNKNOWN|NOT SENT)/.test(l) || / DTMS /.test(l) || / closed /.test(l),
    );
    const demo = run.human.filter((l) => l.includes('demo trader: '));
    expect(actions.length).toBeGreaterThan(demo.length * 5);
    // Every console line is one line of text.
    for (const l of run.human) expect(l).not.toContain('\n');
  });
});

describe('the serve console of the service', () => {
  it('is the human console of the service as wired, with no secret in it', async () => {
    const config = configSchema.parse({
      service: { port: 0, market: { speed: 400, warmupMinutes: 1_500, demoPositions: 2 } },
    });
    const store = openSqliteStore(join(dir, 'service.db'), { now: PINNED_NOW });
    const lines: string[] = [];
    const log = createLogger({ pretty: true, destination: { write: (l: string) => void lines.push(l) } });
    const tokenFile = join(dir, 'service.db.token');
    const service = await startService({
      config,
      store,
      log,
      clock: () => PINNED_NOW,
      version: 'test',
      token: undefined,
      tokenFile,
    });
    try {
      const token = readFileSync(tokenFile, 'utf8').trim();
      expect(token.length).toBeGreaterThan(16);
      // The loop plays in the background: wait (without reading a clock) for some actions on the console.
      expect(
        await waitUntil(() => service.loop.played >= 300 && lines.some((l) => / {2}applied$/m.test(l)), 1_200),
      ).toBe(true);
      // A request with the token: the server logs it (if at all) without the header.
      const res = await fetch(new URL('/api/positions/none/exits/disable', service.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(404);
      await service.stop();
      const text = lines.join('');
      expect(text).toMatch(/^\d\d:\d\d:\d\d demo trader: \d+ positions? opened at the start: /m);
      expect(text).toMatch(/^\d\d:\d\d:\d\d \S+ #\d+ (buy|sell) [\d.]+ {2}\S+( \S+)?: .* {2}applied$/m);
      expect(text).not.toContain(token);
      expect(text).not.toMatch(/Bearer/i);
    } finally {
      await service.stop();
      store.close();
    }
  }, 60_000);
});
