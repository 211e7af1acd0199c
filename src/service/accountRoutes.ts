// The account strip's API (GET /api/account): balance, equity, open and today's realized P/L,
// exposure per symbol, the mode and health, in one answer every page polls. The figures come from
// AccountFigures (read from the venue at most once per its refresh); a part the venue did not answer
// keeps its last value, and the answer says so (stale, errors, readAt) rather than showing it as fresh.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountSession } from '../execution/accountSession.ts';
import type { AccountFigures, AccountFiguresSnapshot } from './accountFigures.ts';
import { accountSchema } from './apiSchemas.ts';
import { isoTime } from './views.ts';

export interface AccountRouteOptions {
  session: AccountSession;
  figures: AccountFigures;
  venue: 'paper' | 'ccxt' | 'metaapi';
  /** Which account, for a person (no secret in it). */
  account: string;
  /** The session's clock (the played market's time on paper): the day of "today". */
  clock: () => number;
  wallClock: () => number;
}

/** Money shown to the cent (USDT wallets keep 8 decimals; a trader reads 2). */
const cents = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 100) / 100;

/** The account answer from the figures as read, the session's mode and health. */
export function accountJson(o: AccountRouteOptions, f: AccountFiguresSnapshot) {
  const shadowed = o.session.shadow?.shadowed() ?? [];
  const mode: 'paper' | 'live' | 'shadow' = shadowed.length > 0 ? 'shadow' : o.venue === 'paper' ? 'paper' : 'live';
  const funds = f.funds?.value ?? null;
  const today = f.today?.value ?? null;
  const h = o.session.health();
  const times = [f.funds?.at, f.today?.at, f.exposure?.at].filter((t): t is number => t !== undefined);
  const notes = [...(funds?.notes ?? [])];
  if (f.unsupported.includes('funds')) notes.push(`the ${o.venue} venue does not report the balance and equity`);
  if (f.unsupported.includes('today'))
    notes.push(`the ${o.venue} venue does not report what it booked: today's realized P/L is not known`);
  return {
    mode,
    venue: o.venue,
    account: o.account,
    shadowed,
    currency: funds?.currency ?? null,
    balance: cents(funds?.balance),
    equity: cents(funds?.equity),
    openProfit: funds === null ? null : cents(funds.equity - funds.balance),
    margin: cents(funds?.margin),
    freeMargin: cents(funds?.freeMargin),
    today: {
      from: isoTime(today?.from ?? Math.floor(o.clock() / 86_400_000) * 86_400_000),
      realized: cents(today?.realized),
      profit: cents(today?.profit),
      fees: cents(today?.fees),
      bookings: today?.bookings ?? 0,
    },
    exposure: (f.exposure?.value ?? []).map((e) => ({
      ...e,
      buyVolume: round8(e.buyVolume),
      sellVolume: round8(e.sellVolume),
      netVolume: round8(e.netVolume),
    })),
    health: { status: h.status, reasons: [...h.reasons] },
    readAt: times.length === 0 ? null : isoTime(Math.min(...times)),
    stale: f.errors.length > 0,
    errors: f.errors,
    notes,
    at: isoTime(o.wallClock()),
  };
}

/** Lots summed in floating point, shown as the venue's lot steps would (0.30000000000000004 is 0.3). */
const round8 = (x: number): number => Math.round(x * 1e8) / 1e8;

export function registerAccountRoutes(app: FastifyInstance, o: AccountRouteOptions): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/account',
    {
      schema: {
        operationId: 'getAccount',
        summary:
          "the account: balance, equity, open and today's realized P/L, exposure per symbol, the mode and health (the strip on every page)",
        response: { 200: accountSchema },
      },
    },
    async () => accountJson(o, await o.figures.read()),
  );
}
