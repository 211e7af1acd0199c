// Loading Warden's config: read a YAML or JSON file, merge the user's symbol tables over the built-in ones,
// validate with the zod schema, and report every problem as `{ path, message }`. Never throws for bad input and
// never replaces an invalid value with a default.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { configSchema } from './schema.ts';
import type { WardenConfig } from './schema.ts';
import { formatPath, PARSE_OPTIONS, ROOT_PATH, toConfigErrors } from './errors.ts';
import type { ConfigError } from './errors.ts';

export type { ConfigError } from './errors.ts';
export { formatConfigErrors } from './errors.ts';

export type LoadResult = { ok: true; config: WardenConfig } | { ok: false; errors: ConfigError[] };

type Json = Record<string, unknown>;

/** The built-in config (the schema's defaults), computed once. */
const DEFAULTS: WardenConfig = configSchema.parse({});

/** A fresh copy of the built-in config: every default filled in. */
export function defaultConfig(): WardenConfig {
  return structuredClone(DEFAULTS);
}

/** Canonical symbols key every parameter table: upper-case letters and digits (XAUUSD, US10Y), or DEFAULT. */
const CANONICAL_KEY = /^[A-Z0-9][A-Z0-9_]*$/;

function isPlainObject(v: unknown): v is Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The canonical spelling we would suggest for a table key such as `XAUUSDc`, `xauusd` or `EURUSD.pro`. */
function suggestCanonical(key: string, decorations: readonly string[]): string | undefined {
  let k = key.trim();
  for (const d of [...decorations].sort((a, b) => b.length - a.length)) {
    if (k.length > d.length && k.endsWith(d)) {
      k = k.slice(0, -d.length);
      break;
    }
  }
  k = k.toUpperCase().replace(/[^A-Z0-9_]/g, '');
  return CANONICAL_KEY.test(k) ? k : undefined;
}

function canonicalKeyProblem(key: string, decorations: readonly string[]): string | undefined {
  if (CANONICAL_KEY.test(key)) return undefined;
  const why = 'table keys must be canonical symbols: upper-case, without broker decorations, or DEFAULT';
  const suggestion = suggestCanonical(key, decorations);
  return suggestion !== undefined && suggestion !== key
    ? `"${key}" is not a canonical symbol: use "${suggestion}" instead (${why})`
    : `"${key}" is not a canonical symbol (${why})`;
}

interface MergeContext {
  decorations: readonly string[];
  errors: ConfigError[];
}

/**
 * Merges the user's symbol table over the built-in one. With `entries`, a user entry for a built-in symbol is merged
 * field by field over it, and a new symbol is merged over the (user-adjusted) DEFAULT entry plus `newEntryBase`.
 * With `values`, entries are plain values and simply replace the built-in ones. Non-canonical keys are refused.
 */
function mergeTable(
  user: Json,
  builtIn: Json,
  path: readonly string[],
  ctx: MergeContext,
  mode: 'entries' | 'values',
  newEntryBase: Json = {},
): Json {
  const result: Json = structuredClone(builtIn);
  const accepted: [string, unknown][] = [];
  for (const [key, value] of Object.entries(user)) {
    const problem = canonicalKeyProblem(key, ctx.decorations);
    if (problem !== undefined) ctx.errors.push({ path: formatPath([...path, key]), message: problem });
    else accepted.push([key, value]);
  }
  // DEFAULT first, so a new symbol inherits the user's DEFAULT, not only the built-in one.
  accepted.sort(([a], [b]) => (a === 'DEFAULT' ? -1 : b === 'DEFAULT' ? 1 : 0));
  for (const [key, value] of accepted) {
    if (mode === 'values' || !isPlainObject(value)) {
      result[key] = value;
      continue;
    }
    const own = Object.hasOwn(builtIn, key) ? result[key] : undefined;
    const fallback = result.DEFAULT;
    const base: Json = isPlainObject(own) ? own : { ...(isPlainObject(fallback) ? fallback : {}), ...newEntryBase };
    result[key] = { ...base, ...value };
  }
  return result;
}

/** Merges a fixed-key table (e.g. trade types) entry by entry, field by field, over the built-in entries. */
function mergeFixedEntries(user: Json, builtIn: Json): Json {
  const result: Json = { ...user };
  for (const [key, value] of Object.entries(user)) {
    const base = builtIn[key];
    if (isPlainObject(value) && isPlainObject(base)) result[key] = { ...structuredClone(base), ...value };
  }
  for (const [key, base] of Object.entries(builtIn)) {
    if (!Object.hasOwn(user, key)) result[key] = structuredClone(base);
  }
  return result;
}

/**
 * Merges the user's strategy templates over the built-in ones: a built-in name's entry field by field
 * (a field set to null goes back to unset: the exits default), a new name as given.
 */
function mergeTemplates(user: Json, builtIn: Json): Json {
  const result: Json = structuredClone(builtIn);
  for (const [name, value] of Object.entries(user)) {
    const base = result[name];
    if (!isPlainObject(value)) {
      result[name] = value;
      continue;
    }
    const merged: Json = isPlainObject(base) ? { ...base, ...value } : { ...value };
    for (const [field, v] of Object.entries(value)) if (v === null) delete merged[field];
    result[name] = merged;
  }
  return result;
}

function decorationsOf(raw: Json): readonly string[] {
  const symbols = raw.symbols;
  if (isPlainObject(symbols)) {
    const d = symbols.decorations;
    if (Array.isArray(d) && d.every((x): x is string => typeof x === 'string' && x.length > 0)) return d;
  }
  return DEFAULTS.symbols.decorations;
}

/** Applies the merge semantics to the raw input (before validation, so errors still name the user's fields). */
function mergeOverDefaults(raw: Json, errors: ConfigError[]): Json {
  const ctx: MergeContext = { decorations: decorationsOf(raw), errors };
  const out: Json = { ...raw };
  if (isPlainObject(out.exits)) {
    const exits: Json = { ...out.exits };
    if (isPlainObject(exits.symbolParams)) {
      exits.symbolParams = mergeTable(
        exits.symbolParams,
        DEFAULTS.exits.symbolParams,
        ['exits', 'symbolParams'],
        ctx,
        'entries',
        {
          sessions: {},
        },
      );
    }
    if (isPlainObject(exits.rmag)) {
      const rmag: Json = { ...exits.rmag };
      if (isPlainObject(rmag.thresholds)) {
        rmag.thresholds = mergeTable(
          rmag.thresholds,
          DEFAULTS.exits.rmag.thresholds,
          ['exits', 'rmag', 'thresholds'],
          ctx,
          'values',
        );
      }
      exits.rmag = rmag;
    }
    if (isPlainObject(exits.tradeTypes))
      exits.tradeTypes = mergeFixedEntries(exits.tradeTypes, DEFAULTS.exits.tradeTypes);
    if (isPlainObject(exits.strategies)) exits.strategies = mergeTemplates(exits.strategies, DEFAULTS.exits.strategies);
    if (isPlainObject(exits.strategyBySymbol)) {
      exits.strategyBySymbol = mergeTable(
        exits.strategyBySymbol,
        DEFAULTS.exits.strategyBySymbol,
        ['exits', 'strategyBySymbol'],
        ctx,
        'values',
      );
    }
    out.exits = exits;
  }
  if (isPlainObject(out.instruments)) {
    out.instruments = mergeTable(out.instruments, DEFAULTS.instruments, ['instruments'], ctx, 'entries');
  }
  if (isPlainObject(out.dtms)) {
    const dtms: Json = { ...out.dtms };
    if (isPlainObject(dtms.vwapSlopeBase)) {
      dtms.vwapSlopeBase = mergeTable(
        dtms.vwapSlopeBase,
        DEFAULTS.dtms.vwapSlopeBase,
        ['dtms', 'vwapSlopeBase'],
        ctx,
        'values',
      );
    }
    out.dtms = dtms;
  }
  return out;
}

/** True when the user's own input has a value at `path` (as opposed to one the merge copied in). */
function userHas(raw: unknown, path: readonly PropertyKey[]): boolean {
  let v: unknown = raw;
  for (const seg of path) {
    if (!isPlainObject(v) && !Array.isArray(v)) return false;
    const key = typeof seg === 'number' ? String(seg) : seg;
    if (!Object.hasOwn(v, key)) return false;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return true;
}

/**
 * Validates a parsed config document. `raw` is what YAML/JSON gave (`null`/`undefined` for an empty document means
 * all defaults); `source` names where it came from (used for problems with the document as a whole).
 */
export function parseConfig(raw: unknown, source: string): LoadResult {
  try {
    if (raw === null || raw === undefined) raw = {};
    if (!isPlainObject(raw)) {
      const kind = Array.isArray(raw)
        ? 'a list'
        : typeof raw === 'string'
          ? `the text ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 37)}...` : raw)}`
          : `${typeof raw} ${String(raw)}`;
      return {
        ok: false,
        errors: [
          {
            path: ROOT_PATH,
            message: `${source} must hold a mapping of settings (e.g. "exits:"), but it holds ${kind}`,
          },
        ],
      };
    }
    const keyErrors: ConfigError[] = [];
    const merged = mergeOverDefaults(raw, keyErrors);
    const parsed = configSchema.safeParse(merged, PARSE_OPTIONS);
    if (parsed.success && keyErrors.length === 0) return { ok: true, config: parsed.data };
    let issues = parsed.success ? [] : parsed.error.issues;
    // A new symbol copies the DEFAULT entry's fields: report a bad inherited value once, at DEFAULT, not again at
    // every symbol that inherited it. (Only ever drops issues when another one remains.)
    const own = issues
      .map((issue) =>
        issue.code === 'unrecognized_keys'
          ? { ...issue, keys: issue.keys.filter((k) => userHas(raw, [...issue.path, k])) }
          : issue,
      )
      .filter((issue) => (issue.code === 'unrecognized_keys' ? issue.keys.length > 0 : userHas(raw, issue.path)));
    if (own.length > 0 || keyErrors.length > 0) issues = own;
    const errors = [...keyErrors, ...toConfigErrors(issues, configSchema, merged)];
    if (errors.length === 0) errors.push({ path: ROOT_PATH, message: `${source} is not a valid config` });
    return { ok: false, errors };
  } catch (err) {
    return { ok: false, errors: [{ path: ROOT_PATH, message: `could not validate ${source}: ${errorText(err)}` }] };
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: ConfigError };

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, col: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

function parseJson(text: string, file: string): Parsed {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const msg = errorText(err);
    const m = /at position (\d+)/.exec(msg);
    const at =
      m?.[1] !== undefined
        ? lineCol(text, Number(m[1]))
        : /end of JSON input/.test(msg)
          ? lineCol(text, text.length)
          : undefined;
    const detail = msg.replace(/\s*in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)$/, '');
    const where = at ? ` at line ${at.line}, column ${at.col}` : '';
    return { ok: false, error: { path: file, message: `JSON syntax error${where}: ${detail}` } };
  }
}

function parseYaml(text: string, file: string): Parsed {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    const first = doc.errors[0];
    if (first !== undefined) {
      const pos = first.linePos?.[0];
      const detail = (first.message.split('\n')[0] ?? first.message).replace(/\s*at line \d+, column \d+:?\s*$/, '');
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more)` : '';
      return { ok: false, error: { path: file, message: `YAML syntax error${where}: ${detail}${more}` } };
    }
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (err) {
    return { ok: false, error: { path: file, message: `YAML error: ${errorText(err)}` } };
  }
}

function readErrorMessage(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  switch (code) {
    case 'ENOENT':
      return 'config file not found';
    case 'EISDIR':
      return 'config file is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'config file cannot be read: permission denied';
    default:
      return `config file cannot be read: ${errorText(err)}`;
  }
}

/**
 * Reads and validates one config file. `.yaml`/`.yml` are read as YAML, `.json` as JSON; any other name is tried
 * as JSON, then as YAML. An empty file means all defaults.
 */
export function loadConfigFile(path: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, errors: [{ path, message: readErrorMessage(err) }] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const ext = extname(path).toLowerCase();
  let parsed: Parsed;
  if (ext === '.json') parsed = parseJson(text, path);
  else if (ext === '.yaml' || ext === '.yml') parsed = parseYaml(text, path);
  else {
    const asJson = parseJson(text, path);
    parsed = asJson.ok ? asJson : parseYaml(text, path);
  }
  if (!parsed.ok) return { ok: false, errors: [parsed.error] };
  return parseConfig(parsed.value, path);
}
