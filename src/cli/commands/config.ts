// `warden config check FILE` and `warden config defaults`.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { defaultConfig, loadConfigFile } from '../../config/load.ts';
import { formatConfigErrors } from '../../config/errors.ts';
import type { WardenConfig } from '../../config/schema.ts';
import { redactedConfig } from '../../config/redact.ts';
import { CliError } from '../errors.ts';
import { writeOut } from '../io.ts';

interface FormatOptions {
  json?: boolean;
}

function render(full: WardenConfig, header: string, options: FormatOptions): string {
  const config = redactedConfig(full);
  if (options.json === true) return `${JSON.stringify(config, null, 2)}\n`;
  const body = stringify(config, { lineWidth: 0 });
  return `${header
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n')}\n${body}`;
}

export function register(program: Command): void {
  const config = program.command('config').description('check a config file, or print the default config');

  config
    .command('check')
    .description('validate a config file (YAML or JSON) and print the effective config with the defaults filled in')
    .argument('<file>', 'config file (.yaml, .yml or .json)')
    .option('--json', 'print the effective config as JSON instead of YAML')
    .action((file: string, options: FormatOptions, cmd: Command) => {
      const result = loadConfigFile(file);
      if (!result.ok) {
        const [first] = result.errors;
        // Unreadable file or syntax error: one line naming the file (and the line/column).
        if (result.errors.length === 1 && first !== undefined && first.path === file)
          throw new CliError(`${file}: ${first.message}`);
        const n = result.errors.length;
        throw new CliError(
          `${file} is not a valid Warden config (${n} error${n === 1 ? '' : 's'}):\n${formatConfigErrors(result.errors)}`,
        );
      }
      writeOut(
        cmd,
        render(result.config, `${file} is valid. Effective config (your settings over the defaults):`, options),
      );
    });

  config
    .command('defaults')
    .description('print the built-in default config (a starting file: keep only what you change)')
    .option('--json', 'print as JSON instead of YAML')
    .action((options: FormatOptions, cmd: Command) => {
      writeOut(
        cmd,
        render(
          defaultConfig(),
          "Warden's default config. Keep only the settings you change (symbol tables merge over the defaults),\nthen check the file with: warden config check FILE",
          options,
        ),
      );
    });
}
