// Config test helpers: temp files under os.tmpdir(), and the load result unwrapped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatConfigErrors, type ConfigError, type LoadResult } from '../../src/config/load.ts';
import type { WardenConfig } from '../../src/config/schema.ts';

export function ok(result: LoadResult): WardenConfig {
  if (!result.ok) throw new Error(`expected a valid config, got:\n${formatConfigErrors(result.errors)}`);
  return result.config;
}

export function errs(result: LoadResult): ConfigError[] {
  if (result.ok) throw new Error('expected the config to be refused');
  return result.errors;
}

/** A config with one value set at a dotted path, e.g. `at('exits.rmag.vwapFactor', 1)`. */
export function at(path: string, value: unknown): Record<string, unknown> {
  let out: unknown = value;
  for (const key of path.split('.').reverse()) out = { [key]: out };
  return out as Record<string, unknown>;
}

export interface TempDir {
  dir: string;
  /** Writes `name` with `text` and returns its absolute path. */
  file(name: string, text: string): string;
  remove(): void;
}

export function tempDir(prefix = 'warden-config-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
