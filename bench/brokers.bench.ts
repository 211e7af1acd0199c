// `npm run bench` (sixth part): what each broker adapter costs Warden's process per request, with the
// venue replaced by the in-process fakes of the tests (no network: a real venue adds its round trip,
// tens to hundreds of ms). For the paper account, the ccxt adapter over the fake Binance REST API
// (request signing, JSON, ccxt's parsing) and the MetaApi adapter over the fake SDK connection: the
// positions read of every step, a stop move, and 1,000 M1 bars (the history a real account's
// session warms up from). A benchmark, not a test: it prints figures and asserts nothing.
import { PaperAccount } from '../src/brokers/paperAccount.ts';
import type { BrokerPort } from '../src/brokers/brokerPort.ts';
import { CcxtBroker } from '../src/brokers/ccxtBroker.ts';
import { MetaApiBroker } from '../src/brokers/metaApiBroker.ts';
import { configSchema } from '../src/config/schema.ts';
import { instrumentFromConfig } from '../src/domain/instruments.ts';
import type { Bar, Intent } from '../src/domain/types.ts';
import { FakeBinanceUsdm, XAU as BINANCE_XAU } from '../test/brokers/fakeBinanceUsdm.ts';
import { FakeMetaApi, XAU as MT5_XAU } from '../test/brokers/fakeMetaApi.ts';

const T0 = Date.UTC(2024, 4, 16, 0, 0);
const bars: Bar[] = Array.from({ length: 1001 }, (_, i) => {
  const open = 2000 + Math.sin(i / 30) * 5;
  return {
    time: T0 + i * 60_000,
    open,
    high: open + 1,
    low: open - 1,
    close: open + 0.25,
    volume: 10,
    spread: Number.NaN,
  };
});
const NOW = T0 + 1000 * 60_000 + 30_000;

interface Case {
  name: string;
  broker: BrokerPort;
  symbol: string;
  ticket: string;
}

function paper(): Case {
  const inst = instrumentFromConfig(configSchema.parse({}), 'XAUUSDc', true);
  const account = new PaperAccount([inst], { accountMode: 'hedging', timeframeMs: 60_000 });
  account.addHistory('XAUUSDc', bars.slice(0, 1000));
  account.broker('XAUUSDc').setQuote(NOW, 2000, 0.3);
  const a = account
    .broker('XAUUSDc')
    .open({ requestId: 'bench', side: 'buy', volume: 1, sl: 1950, tp: 2100, comment: '', exempt: true });
  if (a.outcome !== 'applied') throw new Error('paper refused the bench position');
  return { name: 'paper account', broker: account, symbol: 'XAUUSDc', ticket: a.positionId };
}

function ccxt(): Case {
  const fake = new FakeBinanceUsdm();
  fake.feedBars(bars, NOW);
  const ticket = fake.traderOpen('buy', 1, 1950, 2100);
  const broker = new CcxtBroker({
    exchangeId: 'binanceusdm',
    apiKey: 'bench-key-0123',
    secret: 'bench-secret-0123',
    fetchImplementation: fake.fetch,
    enableRateLimit: false,
    clock: () => fake.now,
  });
  // The fake records every request for the tests; the bench empties it as it goes.
  setInterval(() => (fake.seen.length = 0), 200).unref();
  return { name: 'ccxt (fake Binance USD-M REST)', broker, symbol: BINANCE_XAU, ticket };
}

function metaApi(): Case {
  const fake = new FakeMetaApi('hedging');
  fake.now = NOW;
  fake.feedBars(bars);
  const ticket = fake.traderOpen('buy', 1, 1950, 2100);
  const broker = new MetaApiBroker({ accountId: 'bench', gateway: fake, symbols: [MT5_XAU], clock: () => fake.now });
  setInterval(() => (fake.calls.length = 0), 200).unref();
  return { name: 'MetaApi (fake SDK connection)', broker, symbol: MT5_XAU, ticket };
}

const fmt = (x: number, d = 1) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<{ mean: number; p99: number }> {
  for (let i = 0; i < Math.min(50, n); i++) await fn(i); // warm
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    t.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  t.sort((a, b) => a - b);
  return { mean: t.reduce((s, x) => s + x, 0) / n, p99: t[Math.floor(n * 0.99)]! };
}

let seq = 0;
function moveStop(c: Case, sl: number): Intent {
  seq++;
  return {
    id: `bench:${seq}`,
    positionId: c.ticket,
    symbol: c.symbol,
    kind: 'move_stop',
    rule: 'trail',
    episode: seq,
    newSl: sl,
    oldSl: null,
    volume: 0,
    time: NOW,
    price: 2000,
    reason: 'bench',
    targetId: c.ticket,
    side: 'buy',
    comment: '',
    action: '',
  };
}

console.log('\nBroker adapters (in-process fakes, no network; microseconds per call):');
console.log('| Adapter | positions() mean / p99 | move stop mean / p99 | 1,000 M1 bars |');
console.log('|---|---|---|---|');
for (const make of [paper, ccxt, metaApi]) {
  const c = make();
  await c.broker.instrument(c.symbol); // loads markets / connects
  const pos = await timed(2000, () => c.broker.positions());
  const move = await timed(1000, async (i) => {
    const a = await c.broker.send(moveStop(c, i % 2 === 0 ? 1960 : 1961));
    if (a.outcome !== 'applied')
      throw new Error(`${c.name}: the bench's stop move was refused: ${'reason' in a ? a.reason : ''}`);
  });
  const t0 = process.hrtime.bigint();
  const got = await c.broker.candles(c.symbol, 'M1', 1000);
  const candles = Number(process.hrtime.bigint() - t0) / 1e3;
  if (got.length !== 1000) throw new Error(`${c.name}: ${got.length} bars, expected 1000`);
  console.log(
    `| ${c.name} | ${fmt(pos.mean)} / ${fmt(pos.p99)} | ${fmt(move.mean)} / ${fmt(move.p99)} | ${fmt(candles / 1000, 2)} ms |`,
  );
  await c.broker.close?.();
}
