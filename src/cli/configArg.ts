// The `--config FILE` of every command: the built-in defaults without one, or the file, refused with
// every error (field path and allowed range) as one CliError.
import { defaultConfig, loadConfigFile } from '../config/load.ts';
import { formatConfigErrors } from '../config/errors.ts';
import type { WardenConfig } from '../config/schema.ts';
import { CliError } from './errors.ts';

export function loadConfigOption(file: string | undefined): WardenConfig {
  if (file === undefined) return defaultConfig();
  const r = loadConfigFile(file);
  if (!r.ok) throw new CliError(`${file} is not a valid Warden config:\n${formatConfigErrors(r.errors)}`);
  return r.config;
}
