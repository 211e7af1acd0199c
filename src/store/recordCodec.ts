// How stored records are written and read back: JSON that keeps NaN and the infinities (plans and
// decision records use NaN for "none"; plain JSON would turn them into null: domain/plainJson.ts), and
// every row read back goes through its record's schema. A row that fails is reported with its table
// and key (StoreError 'invalid_row'), never skipped.
import type { z } from 'zod';
import { fromPlainJson, toPlainJson } from '../domain/plainJson.ts';
import { StoreError } from './store.ts';

/** JSON text of a record; non-finite numbers are kept (plainJson's tagged form). */
export function encodeRecord(value: unknown): string {
  return toPlainJson(value);
}

/**
 * Parses a stored JSON column with `schema`; anything wrong (not JSON, a field missing or of the
 * wrong type) is a StoreError 'invalid_row' naming the table, the key and the first problem.
 */
export function decodeRecord<S extends z.ZodType>(
  schema: S,
  text: unknown,
  location: string,
  table: string,
  key: string,
): z.output<S> {
  if (typeof text !== 'string')
    throw invalidRow(
      location,
      table,
      key,
      `the stored value is ${text === null ? 'NULL' : typeof text}, not JSON text`,
    );
  let value: unknown;
  try {
    value = fromPlainJson(text);
  } catch (err) {
    throw invalidRow(location, table, key, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const n = parsed.error.issues.length;
    const i = parsed.error.issues[0]!;
    const more = n > 1 ? ` (and ${n - 1} more problem${n > 2 ? 's' : ''})` : '';
    throw invalidRow(location, table, key, `${i.path.join('.') || '(record)'}: ${i.message}${more}`);
  }
  return parsed.data;
}

function invalidRow(location: string, table: string, key: string, what: string): StoreError {
  return new StoreError('invalid_row', location, `${location}: ${table} row ${key} is not valid: ${what}`);
}
