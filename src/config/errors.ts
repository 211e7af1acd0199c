// Config errors: one `{ path, message }` per problem, phrased for a trader editing a YAML file.
// Every message names the offending value and what is allowed (range, values or keys).
import { z } from 'zod';

/** One problem in a config: `path` is the dotted field path (or the file name for read/syntax errors). */
export interface ConfigError {
  path: string;
  message: string;
}

/** The path shown for a problem with the config document as a whole. */
export const ROOT_PATH = '(root)';

/** `['exits', 'symbolParams', 'XAUUSD', 'trailingMultiplier']` -> `exits.symbolParams.XAUUSD.trailingMultiplier`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? ROOT_PATH : out;
}

/** Human text, one `path: message` line per error. */
export function formatConfigErrors(errors: readonly ConfigError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('\n');
}

/** A short rendering of an offending value for a message: `3.5`, `"M2"`, `[1,2]`, `null`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null (empty)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = Array.isArray(value) ? 'a list' : 'a mapping';
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Message zod issues get when their schema gave no message of its own (see `toConfigErrors`). */
export const NO_CUSTOM_MESSAGE = '\u0000warden:no-custom-message';

/** Parse options for `safeParse` so that `toConfigErrors` can tell schema messages from zod's generic ones. */
export const PARSE_OPTIONS = { error: () => NO_CUSTOM_MESSAGE, reportInput: true } as const;

type Schema = z.core.$ZodType;

/** Unwraps optional/default/prefault/nullable wrappers. */
function unwrap(schema: Schema): Schema {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    if (
      s instanceof z.ZodOptional ||
      s instanceof z.ZodDefault ||
      s instanceof z.ZodPrefault ||
      s instanceof z.ZodNullable
    ) {
      s = s.unwrap();
    } else {
      return s;
    }
  }
  return s;
}

/** The schema that validates the value at `path`, if it can be found. */
export function schemaAt(root: Schema, path: readonly PropertyKey[]): Schema | undefined {
  let s: Schema | undefined = unwrap(root);
  for (const seg of path) {
    if (s === undefined) return undefined;
    if (s instanceof z.ZodObject) {
      const shape: Record<string, Schema> = s.shape;
      s = typeof seg === 'string' && Object.hasOwn(shape, seg) ? shape[seg] : undefined;
    } else if (s instanceof z.ZodRecord) {
      s = s.valueType;
    } else if (s instanceof z.ZodArray) {
      s = s.element;
    } else {
      return undefined;
    }
    if (s !== undefined) s = unwrap(s);
  }
  return s;
}

function listOf(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : String(v))).join(', ');
}

/** The keys a mapping schema accepts, if it has a fixed set. */
function allowedKeys(schema: Schema | undefined): string[] | undefined {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodRecord) {
    const key = schema.keyType;
    if (key instanceof z.ZodEnum) return key.options.map(String);
  }
  return undefined;
}

function describeNumberRange(schema: Schema | undefined): string | undefined {
  if (!(schema instanceof z.ZodNumber)) return undefined;
  const min = schema.minValue;
  const max = schema.maxValue;
  const whole = schema.isInt ? 'a whole number ' : '';
  const hasMin = min !== null && Number.isFinite(min) && min > Number.MIN_SAFE_INTEGER;
  const hasMax = max !== null && Number.isFinite(max) && max < Number.MAX_SAFE_INTEGER;
  if (hasMin && hasMax) return `must be ${whole}between ${min} and ${max}`;
  if (hasMin) return `must be ${whole}${min} or more`;
  if (hasMax) return `must be ${whole}${max} or less`;
  return undefined;
}

/** What a schema accepts, as "must be ..." text. */
export function describeAllowed(schema: Schema | undefined): string | undefined {
  if (schema === undefined) return undefined;
  if (schema instanceof z.ZodNumber)
    return describeNumberRange(schema) ?? (schema.isInt ? 'must be a whole number' : 'must be a number');
  if (schema instanceof z.ZodEnum) return `must be one of ${listOf(schema.options)}`;
  if (schema instanceof z.ZodBoolean) return 'must be true or false';
  if (schema instanceof z.ZodString) return 'must be a text value';
  if (schema instanceof z.ZodArray) return 'must be a list';
  if (schema instanceof z.ZodObject) return `must be a mapping with keys ${listOf(Object.keys(schema.shape))}`;
  if (schema instanceof z.ZodRecord) {
    const keys = allowedKeys(schema);
    return keys ? `must be a mapping with keys among ${listOf(keys)}` : 'must be a mapping of symbol to settings';
  }
  return undefined;
}

const EXPECTED_TEXT: Record<string, string> = {
  number: 'must be a number',
  int: 'must be a whole number',
  boolean: 'must be true or false',
  string: 'must be a text value',
  array: 'must be a list',
  object: 'must be a mapping (key: value)',
  record: 'must be a mapping (key: value)',
};

function customMessage(issue: z.core.$ZodIssue): string | undefined {
  return issue.message === NO_CUSTOM_MESSAGE || issue.message === '' ? undefined : issue.message;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/**
 * Turns zod issues into config errors. `schema` is the root schema that was parsed and `input` the value it was
 * given (used to find the offending value when zod did not report it, and the allowed range when zod's message is
 * generic). Unknown keys give one error per key, at the key's own path.
 */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
export function toConfigErrors(issues: readonly z.core.$ZodIssue[], schema: Schema, input: unknown): ConfigError[] {
  const out: ConfigError[] = [];
  for (const issue of issues) {
    const path = issue.path;
    const at = formatPath(path);
    const value = 'input' in issue && issue.input !== undefined ? issue.input : valueAt(input, path);
    const custom = customMessage(issue);
    const fieldSchema = schemaAt(schema, path);
    switch (issue.code) {
      case 'too_big':
      case 'too_small': {
        if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
          let allowed = custom ?? describeNumberRange(fieldSchema);
          if (allowed === undefined) {
            if (issue.code === 'too_big')
              allowed =
                issue.inclusive === false ? `must be less than ${issue.maximum}` : `must be ${issue.maximum} or less`;
            else
              allowed =
                issue.inclusive === false
                  ? `must be greater than ${issue.minimum}`
                  : `must be ${issue.minimum} or more`;
          }
          out.push({ path: at, message: `${describeValue(value)} is out of range: ${allowed}` });
        } else if (issue.code === 'too_small' && Number(issue.minimum) === 1 && issue.origin === 'string') {
          out.push({ path: at, message: custom ?? `${describeValue(value)} is not allowed: must not be empty` });
        } else if (issue.code === 'too_small') {
          out.push({
            path: at,
            message: `${describeValue(value)} is too short: ${custom ?? `must have at least ${issue.minimum} ${issue.origin === 'string' ? 'characters' : 'items'}`}`,
          });
        } else {
          out.push({
            path: at,
            message: `${describeValue(value)} is too long: ${custom ?? `must have at most ${issue.maximum} ${issue.origin === 'string' ? 'characters' : 'items'}`}`,
          });
        }
        break;
      }
      case 'invalid_type': {
        const allowed =
          custom ??
          describeAllowed(fieldSchema) ??
          EXPECTED_TEXT[issue.expected] ??
          `must be of type ${issue.expected}`;
        if (value === undefined) out.push({ path: at, message: `is required: ${allowed}` });
        else out.push({ path: at, message: `${describeValue(value)} is not valid: ${allowed}` });
        break;
      }
      case 'invalid_value': {
        const allowed = custom ?? `must be one of ${listOf(issue.values)}`;
        out.push({ path: at, message: `${describeValue(value)} is not allowed: ${allowed}` });
        break;
      }
      case 'unrecognized_keys': {
        const keys = allowedKeys(fieldSchema);
        const hint = keys ? `; allowed keys here: ${listOf(keys)}` : '';
        for (const key of issue.keys) {
          out.push({ path: formatPath([...path, key]), message: `unknown key "${key}"${hint}` });
        }
        break;
      }
      case 'invalid_key': {
        // The path ends at the key itself: what keys are allowed is the mapping's, one level up, or
        // the key schema's own message (a name's pattern).
        const keys = allowedKeys(schemaAt(schema, path.slice(0, -1)));
        const why = issue.issues.map(customMessage).find((m) => m !== undefined);
        out.push({
          path: at,
          message: `invalid key ${describeValue(value)}${keys ? `: must be one of ${listOf(keys)}` : why !== undefined ? `: ${why}` : ''}`,
        });
        break;
      }
      case 'not_multiple_of': {
        out.push({
          path: at,
          message: `${describeValue(value)} is not valid: ${custom ?? `must be a multiple of ${issue.divisor}`}`,
        });
        break;
      }
      default: {
        // Refinements (e.g. "must have a DEFAULT entry") carry their own message.
        const allowed = describeAllowed(fieldSchema);
        out.push({
          path: at,
          message: custom ?? `${describeValue(value)} is not valid${allowed ? `: ${allowed}` : ''}`,
        });
      }
    }
  }
  return out;
}
