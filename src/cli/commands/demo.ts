// `warden demo`: the exit engine on the embedded sample market, every decision printed.
import type { Command } from 'commander';
import { explainPosition, runSampleSession } from '../../demo/sampleSession.ts';
import { loadConfigOption } from '../configArg.ts';
import { CliError } from '../errors.ts';
import { writeOut } from '../io.ts';

interface DemoOptions {
  symbol: string;
  seed: string;
  bars: string;
  every: string;
  config?: string;
  quiet?: boolean;
}

const positiveInt = (name: string, v: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${name} must be an integer >= ${min} (got "${v}")`);
  return n;
};

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the exit engine on the embedded sample market with demo positions and print every decision')
    .option('--symbol <symbol>', 'XAUUSDc, EURUSD, GBPUSD, USDJPY or BTCUSDc', 'XAUUSDc')
    .option('--seed <n>', 'sample market seed', '42')
    .option('--bars <n>', 'M1 bars to generate', '12000')
    .option('--every <n>', 'open a demo position every N bars', '240')
    .option('--config <file>', 'a Warden config file (YAML or JSON)')
    .option('--quiet', 'print only the summary')
    .action(async (o: DemoOptions, cmd: Command) => {
      const config = loadConfigOption(o.config);
      let result;
      try {
        result = await runSampleSession(config, {
          symbol: o.symbol,
          seed: positiveInt('seed', o.seed, 0),
          bars: positiveInt('bars', o.bars, 3000),
          every: positiveInt('every', o.every, 1),
        });
      } catch (err) {
        if (err instanceof CliError) throw err;
        if (err instanceof Error && err.message.startsWith('no sample market')) throw new CliError(err.message);
        throw err;
      }
      if (o.quiet !== true) {
        writeOut(cmd, result.lines.join('\n'));
        const first = result.plans[0];
        if (first)
          writeOut(
            cmd,
            `\nwhy, for #${first.positionId} (decision journal):\n  ${explainPosition(result, first.positionId).join('\n  ')}`,
          );
      }
      writeOut(cmd, `\n${result.summary.join('\n')}`);
    });
}
