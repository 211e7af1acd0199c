// The CLI as a user runs it: `node bin/warden.js ...` in a child process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultConfig } from '../../src/config/load.ts';

const BIN = fileURLToPath(new URL('../../bin/warden.js', import.meta.url));
const PKG = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs the CLI from a directory other than the project's, as a user might. */
function warden(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, WARDEN_DEBUG: '', NO_COLOR: '1' },
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const STACK_LINE = /^\s{4}at /m;

describe('warden CLI (node bin/warden.js)', () => {
  it('--version prints the version from package.json', () => {
    const r = warden('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(PKG.version);
  });

  it('config check on a good file prints the effective config and exits 0', () => {
    const good = file('good.yaml', 'exits:\n  symbolParams:\n    BTCUSD:\n      trailingMultiplier: 2.5\n');
    const r = warden('config', 'check', good);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('trailingMultiplier: 1.5');
    expect(r.stdout).toContain('trailingMultiplier: 2.5');
    const printed = parse(r.stdout) as ReturnType<typeof defaultConfig>;
    const expected = defaultConfig();
    const btc = expected.exits.symbolParams.BTCUSD;
    if (btc) btc.trailingMultiplier = 2.5;
    expect(printed).toEqual(expected);
  });

  it('config check --json prints JSON', () => {
    const good = file('good.json', '{"exits": {"breakevenMode": "lock"}}');
    const r = warden('config', 'check', '--json', good);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as ReturnType<typeof defaultConfig>;
    expect(printed.exits.breakevenMode).toBe('lock');
    expect(printed.exits.tradeTypes.SCALP.breakevenPct).toBe(25);
  });

  it('config check on a bad file names the field and the range on stderr, exits 2, no stack trace', () => {
    const bad = file(
      'bad.yaml',
      'exits:\n  symbolParams:\n    XAUUSD:\n      trailingMultiplier: 3.5\n  tradeTypes:\n    SCALP:\n      breakevenPct: 120\n',
    );
    const r = warden('config', 'check', bad);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'exits.symbolParams.XAUUSD.trailingMultiplier: 3.5 is out of range: must be between 0.5 and 3',
    );
    expect(r.stderr).toContain('exits.tradeTypes.SCALP.breakevenPct: 120 is out of range: must be between 0 and 100');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('config check on an unknown key names the key', () => {
    const bad = file('unknown.yaml', 'exits:\n  trailing:\n    enable: false\n');
    const r = warden('config', 'check', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exits.trailing.enable: unknown key "enable"');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('config check on a missing file: one clear line, exit 2', () => {
    const missing = join(dir, 'nope.yaml');
    const r = warden('config', 'check', missing);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([`warden: ${missing}: config file not found`]);
  });

  it('config check on a YAML syntax error names the line, exit 2', () => {
    const broken = file('broken.yaml', 'exits:\n  symbolParams: [1,\n  trailing: {}\n');
    const r = warden('config', 'check', broken);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml: YAML syntax error at line \d+, column \d+/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('config defaults prints the default config as YAML that loads back', () => {
    const r = warden('config', 'defaults');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# /);
    expect(parse(r.stdout)).toEqual(defaultConfig());
    const check = warden('config', 'check', file('from-defaults.yaml', r.stdout));
    expect(check.code).toBe(0);
  });

  it('usage errors exit 2 without a stack trace', () => {
    for (const args of [['frobnicate'], ['config', 'check'], ['config', 'check', 'a.yaml', 'b.yaml'], ['--nope'], []]) {
      const r = warden(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).not.toMatch(STACK_LINE);
    }
  });

  it('--help exits 0', () => {
    const r = warden('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('config');
  });
});
