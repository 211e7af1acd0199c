// `npm run bench` (API part): requests per second and latency of GET /api/dtms/trade/{ticket} while
// the service manages 1,000 open positions and the market keeps playing, measured from a second
// process (autocannon) over loopback. A benchmark, not a test: it prints figures and asserts nothing.
// Options (env): BENCH_API_POSITIONS (1000), BENCH_API_SECONDS (10), BENCH_API_CONNECTIONS (10).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema } from '../src/config/schema.ts';
import { createLogger } from '../src/log.ts';
import { startService } from '../src/service/service.ts';
import { openSqliteStore } from '../src/store/sqliteStore.ts';

const POSITIONS = Number(process.env.BENCH_API_POSITIONS ?? 1000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 10);
const fmt = (x: number, d = 2) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const dir = mkdtempSync(path.join(tmpdir(), 'warden-api-bench-'));
const store = openSqliteStore(path.join(dir, 'api.db'), { now: Date.now() });
// A live pace (2 bars a second over three symbols): the API answers while the engine works.
// The rate limit stays on (its cost is part of the figure) but high enough not to refuse the benchmark.
const config = configSchema.parse({ service: { port: 0, rateLimitPerMinute: 1_000_000, market: { speed: 2, demoPositions: 0 } } });
const service = await startService({ config, store, log: createLogger({ level: 'silent' }), version: 'bench', token: 'b'.repeat(32), tokenFile: path.join(dir, 'token'), env: {} });
try {
  await service.loop.pause();
  const symbols = config.service.market.symbols;
  for (let k = 0; k < POSITIONS; k++) {
    const broker = service.paper!.broker(symbols[k % symbols.length]!);
    const q = broker.quote();
    const buy = k % 2 === 0;
    const entry = buy ? q.ask : q.bid;
    const d = entry * 0.004;
    broker.open({ requestId: `bench:${k}`, side: buy ? 'buy' : 'sell', volume: 0.1, sl: Number((buy ? entry - d : entry + d).toFixed(2)), tp: null, comment: '', exempt: true });
  }
  await service.session.refreshFromBroker();
  service.loop.resume();
  const ticket = service.session.engine.positionIds()[0]!;
  const managed = service.session.engine.openPositions;
  const autocannon = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const url = new URL(`api/dtms/trade/${ticket}`, service.url).toString();
  // Asynchronous: this process serves the requests meanwhile.
  const { stdout: raw } = await promisify(execFile)(process.execPath, [autocannon, '-j', '-c', String(CONNECTIONS), '-d', String(SECONDS), url], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const r = JSON.parse(raw) as { requests: { average: number; total: number }; latency: { p50: number; p99: number; average: number; max: number }; non2xx: number; errors: number };
  console.log(`api: GET /api/dtms/trade/{ticket}, ${managed} open positions managed while the market plays, ${CONNECTIONS} connections for ${SECONDS} s from a second process (autocannon):`);
  console.log(`  ${fmt(r.requests.average, 0)} requests/s (${r.requests.total} in all), latency p50 ${fmt(r.latency.p50)} ms, p99 ${fmt(r.latency.p99)} ms, max ${fmt(r.latency.max)} ms; non-2xx ${r.non2xx}, errors ${r.errors} (target p99 < 10 ms)`);
} finally {
  await service.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
