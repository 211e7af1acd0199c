// The account the config names (`broker:`), as a BrokerPort. Credentials come from the environment
// only (BROKER_ENV); a missing one is an error naming the variable, never a silent paper fallback.
// The venue's SDK is loaded on first use, so building the adapter does not connect.
import { BROKER_ENV } from '../config/brokerSchema.ts';
import type { WardenConfig } from '../config/schema.ts';
import { instrumentFromConfig } from '../domain/instruments.ts';
import type { BrokerPort } from './brokerPort.ts';
import { CcxtBroker } from './ccxtBroker.ts';
import { MetaApiBroker } from './metaApiBroker.ts';
import { PaperAccount } from './paperAccount.ts';

/** The config or the environment cannot make the account: the message says what to set. */
export class BrokerSetupError extends Error {
  override name = 'BrokerSetupError';
}

export interface ConfiguredBroker {
  kind: WardenConfig['broker']['kind'];
  broker: BrokerPort;
  /** The symbols to manage, as the venue spells them. */
  symbols: string[];
  /** Set for `paper`: the embedded account the played market feeds. */
  paper: PaperAccount | null;
  /** One line for a person: which account this is (no secret in it). */
  describe: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string, what: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === '') throw new BrokerSetupError(`${what}: set the environment variable ${name}`);
  return v.trim();
}

export function brokerFromConfig(config: WardenConfig, env: Env = process.env): ConfiguredBroker {
  const b = config.broker;
  switch (b.kind) {
    case 'paper': {
      const symbols = [...config.service.market.symbols];
      const paper = new PaperAccount(
        symbols.map((s) => instrumentFromConfig(config, s, true)),
        { accountMode: 'hedging', timeframeMs: 60_000 },
        { balance: b.paper.balance, currency: b.paper.currency },
      );
      return {
        kind: 'paper',
        broker: paper,
        symbols,
        paper,
        describe: `paper account (embedded; played market of ${symbols.join(', ')})`,
      };
    }
    case 'ccxt': {
      const apiKey = required(env, BROKER_ENV.ccxtApiKey, `the ${b.ccxt.exchange} account needs its API key`);
      const secret = required(env, BROKER_ENV.ccxtSecret, `the ${b.ccxt.exchange} account needs its API secret`);
      const broker = new CcxtBroker({
        exchangeId: b.ccxt.exchange,
        apiKey,
        secret,
        demo: b.ccxt.demo,
        ...(b.ccxt.hedgeMode !== undefined ? { hedgeMode: b.ccxt.hedgeMode } : {}),
      });
      return {
        kind: 'ccxt',
        broker,
        symbols: [...b.symbols],
        paper: null,
        describe: `${b.ccxt.exchange} ${b.ccxt.demo ? 'demo trading' : 'LIVE account (real funds)'} via ccxt`,
      };
    }
    case 'metaapi': {
      const token = required(env, BROKER_ENV.metaApiToken, 'MetaApi needs the account token from app.metaapi.cloud');
      const accountId =
        b.metaapi.accountId ??
        required(
          env,
          BROKER_ENV.metaApiAccountId,
          'MetaApi needs the account id (broker.metaapi.accountId in the config, or the environment)',
        );
      const broker = new MetaApiBroker({
        token,
        accountId,
        symbols: [...b.symbols],
        connectTimeoutMs: b.metaapi.connectTimeoutSec * 1000,
        symbolRules: config.symbols,
        instruments: config.instruments,
      });
      return {
        kind: 'metaapi',
        broker,
        symbols: [...b.symbols],
        paper: null,
        describe: `MetaApi account ${accountId} (MT4/MT5)`,
      };
    }
  }
}
