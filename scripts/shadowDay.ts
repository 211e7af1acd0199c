// `npm run shadow:day [-- DIR]`: one played day in shadow mode on each M1 file of the shared data (or of
// DIR, laid out like it): Warden decides on demo positions opened as a trader would and sends nothing;
// each position's would-be result is scored against the actual one. Prints a table and the totals.
import path from 'node:path';
import { configSchema } from '../src/config/schema.ts';
import { shadowTotals, type ShadowScore } from '../src/execution/shadowBook.ts';
import { sharedSets } from '../src/study/study.ts';
import { playShadowDay } from '../src/study/shadowDay.ts';

const dir = path.resolve(process.argv[2] ?? '../shared/data');
const { sets } = sharedSets(dir, false);
const config = configSchema.parse({});
const all: ShadowScore[] = [];
const f = (x: number | null, d = 3) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(d)}`);
console.log(
  '| set | day | bars | positions (ended) | acted | shadow decisions | sent | would-be R | actual R | would-be − actual ± SE | better / worse / same |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const set of sets) {
  if (set.source.kind !== 'file') continue;
  let r: Awaited<ReturnType<typeof playShadowDay>>;
  try {
    r = await playShadowDay({ file: set.source.file, symbol: set.source.symbol, config });
  } catch (err) {
    // A file without a playable day (separate days, no two weeks to warm up on): said, and left out.
    console.log(`| ${set.name} | skipped: ${err instanceof Error ? err.message : String(err)} |`);
    continue;
  }
  all.push(...r.scores);
  const t = r.totals;
  console.log(
    `| ${set.name} | ${r.day} | ${r.bars} | ${t.positions} (${t.final}) | ${t.acted} | ${r.shadowDecisions} | ${r.sentRequests} | ${f(t.shadowMeanR)} | ${f(t.actualMeanR)} | ${f(t.diffMeanR)} ± ${t.diffSeR === null ? 'n/a' : t.diffSeR.toFixed(3)} | ${t.better} / ${t.worse} / ${t.same} |`,
  );
}
const t = shadowTotals(all);
console.log(
  `| all | | | ${t.positions} (${t.final}) | ${t.acted} | ${t.decisions} | | ${f(t.shadowMeanR)} | ${f(t.actualMeanR)} | ${f(t.diffMeanR)} ± ${t.diffSeR === null ? 'n/a' : t.diffSeR.toFixed(3)} | ${t.better} / ${t.worse} / ${t.same} |`,
);
