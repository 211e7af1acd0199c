// The account answer's schema (/api/account): the venue's balance and margin, today's realized P/L as
// the venue booked it, and the open exposure per symbol, with how fresh each figure is.
import { z } from 'zod';

const money = z.number().nullable();
export const accountSchema = z
  .object({
    mode: z
      .enum(['paper', 'live', 'shadow'])
      .describe(
        "shadow: Warden decides and sends nothing (for the symbols in `shadowed`); paper: the embedded paper account; live: Warden's decisions go to the venue",
      ),
    venue: z.enum(['paper', 'ccxt', 'metaapi']),
    account: z.string().describe('which account, for a person (no secret in it)'),
    shadowed: z.array(z.string()).describe('symbols decided on and not sent (shadow mode)'),
    currency: z.string().nullable().describe("the account's currency; null until the venue has answered"),
    balance: money,
    equity: money.describe('the balance plus the floating profit of what is open'),
    openProfit: money.describe(
      'equity - balance: the floating profit of every open position at the venue (account currency)',
    ),
    margin: money,
    freeMargin: money,
    today: z
      .object({
        from: z
          .string()
          .describe("UTC midnight of the session clock (the played market's time on paper): the day counted"),
        realized: money.describe(
          'profit + fees booked since `from`: partials, closes, stops and targets, on every symbol of the account',
        ),
        profit: money,
        fees: money.describe('commission, swap and funding (a charge is negative)'),
        bookings: z.number(),
      })
      .describe("today's realized P/L as the venue booked it"),
    exposure: z
      .array(
        z.object({
          symbol: z.string(),
          positions: z.number(),
          buyVolume: z.number(),
          sellVolume: z.number(),
          netVolume: z.number().describe('bought minus sold, lots'),
        }),
      )
      .describe("the venue's open positions per symbol (Warden's, its hedges and any other)"),
    health: z.object({ status: z.string(), reasons: z.array(z.string()) }),
    readAt: z.string().nullable().describe('when the oldest of these figures was read from the venue (null: never)'),
    stale: z.boolean().describe('true: the last read failed (see errors) and the figures are from readAt'),
    errors: z.array(z.string()).describe("the last read's failures, one per part"),
    notes: z
      .array(z.string())
      .describe('what the figures leave out (a profit no rate converts; a venue that does not report a figure)'),
    at: z.string().describe('when this answer was made (wall clock)'),
  })
  .meta({ id: 'Account' });
