// The `broker:` config section: which account `warden serve` and `warden broker check` drive, how often
// it is polled, and each venue's settings. Its credentials are never read from the file: they come from
// the environment variables in BROKER_ENV, and one written in the file is refused.
import { z } from 'zod';
import { range } from './ranges.ts';

/** Environment variables the broker credentials come from (never from the config file). */
export const BROKER_ENV = {
  ccxtApiKey: 'WARDEN_CCXT_API_KEY',
  ccxtSecret: 'WARDEN_CCXT_SECRET',
  metaApiToken: 'WARDEN_METAAPI_TOKEN',
  metaApiAccountId: 'WARDEN_METAAPI_ACCOUNT_ID',
} as const;

/** A credential written in the file is refused, naming the variable it belongs in. */
// A custom issue: the config error prints its message only, never the value (a secret).
const fromEnvOnly = (variable: string) =>
  z
    .unknown()
    .refine(() => false, {
      error: `credentials are read from the environment only: remove it here and set ${variable}`,
    })
    .optional();

/**
 * Which account `warden serve` and `warden broker check` drive. `paper` (the default): the embedded
 * paper account over a played market (service.market). `ccxt`: a crypto futures account (Binance
 * USD-M; demo trading unless `demo: false`). `metaapi`: an MT4/MT5 account through MetaApi.
 */
export const brokerSchema = z
  .strictObject({
    kind: z.enum(['paper', 'ccxt', 'metaapi']).default('paper'),
    /**
     * live: Warden's decisions are sent. shadow: Warden reads the account and decides, records every
     * intent it would send (outcome 'shadow') and sends nothing, on any account, the paper one included;
     * a symbol is promoted to live through the API without a restart (`warden serve --shadow`).
     */
    mode: z.enum(['live', 'shadow']).default('live'),
    /** Symbols to manage on a real account, as the venue spells them (XAUUSDc; BTC/USDT:USDT). */
    symbols: z.array(z.string().min(1)).max(50).default([]),
    /**
     * How often the live feed asks the venue for bars closed since the last, seconds. Below 1 s is for
     * a venue you run yourself (a simulator on this machine, played faster than real time): Binance and
     * MetaApi count requests per minute, and their bars close once a minute.
     */
    pollSec: range(0.01, 300).default(5),
    /**
     * How often, between two bars, the stop rules and DTMS's fast check are decided on the symbol's
     * latest quote, seconds (0: on closed bars only). MetaApi streams its quotes and the latest one is
     * taken; ccxt is asked for a quote each time. A quote step with a position on its symbol reads the
     * account's positions once: Binance and MetaApi count requests per minute. The features still
     * change only with closed bars.
     */
    quoteSec: range(0, 300).default(5),
    /** Health is degraded when a symbol's quotes have not moved for this long (a stream that stopped), seconds. */
    quoteStaleSec: z.number().int().min(5).max(3_600).default(60),
    /** M1 bars read at start to build the features (MetaApi and Binance give up to 1,000-1,500 per request). */
    historyBars: z.number().int().min(100).max(1500).default(1000),
    /** The embedded paper account's money: what it starts with and its currency (profits of symbols quoted in another are converted at the symbol's price where it is based in this one, as USDJPY in USD). */
    paper: z
      .strictObject({
        balance: range(1, 1e12).default(10_000),
        currency: z
          .string()
          .regex(/^[A-Z]{3,5}$/, 'a currency code in capitals, e.g. USD')
          .default('USD'),
      })
      .prefault({}),
    ccxt: z
      .strictObject({
        exchange: z.enum(['binanceusdm']).default('binanceusdm'),
        /** Binance demo trading (demo-fapi.binance.com). Set false only to trade real funds. */
        demo: z.boolean().default(true),
        /** The account's position mode; read from the venue when not set. */
        hedgeMode: z.boolean().optional(),
        apiKey: fromEnvOnly(BROKER_ENV.ccxtApiKey),
        secret: fromEnvOnly(BROKER_ENV.ccxtSecret),
      })
      .prefault({}),
    metaapi: z
      .strictObject({
        /** The MetaApi account id (app.metaapi.cloud); or WARDEN_METAAPI_ACCOUNT_ID. */
        accountId: z.string().min(1).optional(),
        /** Seconds to wait for the account to deploy, connect and synchronize. */
        connectTimeoutSec: z.number().int().min(5).max(600).default(60),
        token: fromEnvOnly(BROKER_ENV.metaApiToken),
      })
      .prefault({}),
  })
  .superRefine((b, ctx) => {
    if (b.quoteSec > 0 && b.quoteStaleSec <= b.quoteSec) {
      ctx.addIssue({
        code: 'custom',
        path: ['quoteStaleSec'],
        message: `must be more than broker.quoteSec (${b.quoteSec} s): quotes are taken that often`,
      });
    }
    if (b.kind !== 'paper' && b.symbols.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['symbols'],
        message: `list the symbols to manage on the ${b.kind} account, as the venue spells them (e.g. ${b.kind === 'ccxt' ? 'BTC/USDT:USDT' : 'XAUUSDc'})`,
      });
    }
  })
  .prefault({});
