// `warden broker check [--config FILE] [--json]`: connects to the account the config's `broker:` names
// (credentials from the environment), and lists its mode, each symbol's rules, a quote, the last
// closed bar and the open positions. Sends no request that changes anything: a safe first step
// before `warden serve` on a real account. Exit 0 ready, 3 when a symbol is not usable, 2 when the
// account cannot be reached or the config or environment is incomplete.
import type { Command } from 'commander';
import { checkBroker, formatBrokerCheck } from '../../brokers/brokerCheck.ts';
import { brokerFromConfig, BrokerSetupError, type ConfiguredBroker } from '../../brokers/brokerFromConfig.ts';
import { loadConfigOption } from '../configArg.ts';
import { CliError, EXIT_DEGRADED } from '../errors.ts';
import { writeOut } from '../io.ts';

interface CheckOptions {
  config?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const broker = program.command('broker').description('the account Warden drives (broker: in the config)');
  broker
    .command('check')
    .description(
      'connect, list the account mode, symbol rules, quotes and open positions; change nothing (exit 3 when a symbol is not usable)',
    )
    .option(
      '--config <file>',
      'a Warden config file; its broker: section names the account (default: the paper account)',
    )
    .option('--json', 'the report as JSON')
    .action((o: CheckOptions, cmd: Command) => check(o, cmd));
}

async function check(o: CheckOptions, cmd: Command): Promise<void> {
  const config = loadConfigOption(o.config);
  let c: ConfiguredBroker;
  try {
    c = brokerFromConfig(config, process.env);
  } catch (err) {
    if (err instanceof BrokerSetupError) throw new CliError(err.message);
    throw err;
  }
  try {
    let report;
    try {
      report = await checkBroker(c);
    } catch (err) {
      throw new CliError(`cannot read ${c.describe}: ${err instanceof Error ? err.message : String(err)}`);
    }
    writeOut(cmd, o.json === true ? JSON.stringify(report, null, 2) : formatBrokerCheck(report));
    if (report.problems.length > 0) throw new CliError('', EXIT_DEGRADED);
  } finally {
    await c.broker.close?.();
  }
}
