// The broker contract against the paper account: the fake every real adapter is measured by.
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { brokerContract } from './brokerContract.ts';

brokerContract(
  'paper account',
  async (venue) => {
    const config = configSchema.parse({});
    const inst = {
      ...instrumentFromConfig(config, 'XAUUSDc', venue.mode === 'hedging'),
      stopsLevelPoints: venue.stopsLevelPoints ?? 0,
      freezeLevelPoints: venue.freezeLevelPoints ?? 0,
    };
    const account = new PaperAccount([inst], { accountMode: venue.mode, timeframeMs: 60_000 });
    const broker = account.broker(inst.symbol);
    let n = 0;
    return {
      broker: account,
      symbol: inst.symbol,
      async open(side, volume, sl, tp) {
        const a = broker.open({ requestId: `trader:${n++}`, side, volume, sl, tp, comment: '', exempt: true });
        if (a.outcome !== 'applied')
          throw new Error(`the paper broker refused the test's position: ${'reason' in a ? a.reason : ''}`);
        return a.positionId;
      },
      async setBid(bid) {
        broker.setQuote(Date.UTC(2024, 4, 16, 10), bid, 0.3);
      },
      failNext(kind) {
        broker.failNext(kind);
      },
      async feedBars(bars, now) {
        // The paper account keeps the bars fed to it; one still forming at `now` has not been fed yet.
        account.addHistory(
          inst.symbol,
          bars.filter((b) => b.time + 60_000 <= now),
        );
      },
      async closeMarket() {
        broker.setMarketOpen(false);
      },
      async close() {},
    };
    // The paper account holds a stop on the position, set in one step; it keeps no record of it over time.
  },
  { protectedQuantity: false },
);
