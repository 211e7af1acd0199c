// `npm run bench` (third part): the DTMS monitor alone (not yet wired into the replay engine): one
// symbol, 1,000,000 M1 bars, 10 positions defended (re-registered every 150 bars, so all states and
// checks run), features + fast and deep checks + transitions + planned orders. Prints figures only.
import { configSchema } from '../src/config/schema.ts';
import { instrumentFromConfig } from '../src/domain/instruments.ts';
import type { Bar, Position } from '../src/domain/types.ts';
import { DefensiveMonitor, type DefensiveDecision, type DefensiveHold } from '../src/dtms/defensiveMonitor.ts';
import { generateSampleSeries, SAMPLE_SHAPES } from '../src/market/sampleMarket.ts';

const BARS = Number(process.env.BENCH_REPLAY_BARS ?? 1_000_000);
const config = configSchema.parse({});
const inst = instrumentFromConfig(config, 'XAUUSDc');
const { series } = generateSampleSeries({ seed: 7, bars: BARS, ...SAMPLE_SHAPES.XAUUSD! });
const fmt = (x: number, d = 2) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const NO_LOSS = { dailyLossPct: 0, hourlyLossPct: 0 };
for (const when of ['cold', 'warm']) {
  const m = new DefensiveMonitor('M1', 60_000);
  const decisions: DefensiveDecision[] = [];
  const holds: DefensiveHold[] = [];
  const ids: string[] = [];
  const handles: ReturnType<DefensiveMonitor['track']>[] = [];
  const bar: Bar = { time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, spread: 0 };
  let next = 1;
  let transitions = 0;
  let orders = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < series.length; i++) {
    series.read(i, bar);
    m.onBar(inst.symbol, bar);
    const now = bar.time + 60_000;
    if (i >= 3000 && i % 150 === 0) {
      if (ids.length === 10) {
        m.untrack(ids.shift()!, now);
        handles.shift();
      }
      const side = next % 2 === 0 ? 'buy' : 'sell';
      const p: Position = {
        id: String(next++),
        symbol: inst.symbol,
        side,
        volume: 0.1,
        entryPrice: bar.close,
        sl: side === 'buy' ? bar.close - 10 : bar.close + 10,
        tp: null,
        openTime: now,
        comment: '',
      };
      handles.push(m.track(p, inst, 10, now));
      ids.push(p.id);
    }
    for (let k = 0; k < handles.length; k++) m.evaluateTracked(handles[k]!, now, NO_LOSS, decisions, holds);
    if (decisions.length > 10_000) {
      for (const d of decisions) {
        if (d.from !== d.to) transitions++;
        orders += d.orders.length;
      }
      decisions.length = 0;
    }
  }
  for (const d of decisions) {
    if (d.from !== d.to) transitions++;
    orders += d.orders.length;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `dtms monitor (${when}): ${fmt(BARS, 0)} M1 bars, 10 positions defended, in ${fmt(s, 3)} s; ${fmt(m.deepChecks, 0)} deep checks, ${fmt(transitions, 0)} transitions, ${fmt(orders, 0)} orders planned, ${fmt(holds.length, 0)} checks held (bad data)`,
  );
}
