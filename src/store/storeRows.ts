// The rows of a SQL store as they are read back, checked before they become records: the columns each
// table's queries select, and how a row is decoded or refused ('invalid_row', naming the table and the
// row). Nothing here depends on SQLite: a store on another SQL database selects the same columns and
// decodes its rows with these, so both refuse the same rows with the same messages.
import { z } from 'zod';
import { fromPlainJson } from '../domain/plainJson.ts';
import {
  decisionRecordSchema,
  decodeRecord,
  INTENT_STATUSES,
  intentSchema,
  notesSchema,
  storedLegacyRuleSchema,
} from './records.ts';
import {
  REPLAY_CHECKPOINT_LISTS,
  StoreError,
  type IntentCount,
  type IntentStatus,
  type JournalDecision,
  type ReplayCheckpointList,
  type ReplayCheckpointPart,
  type ReplayCheckpointRecord,
  type StoredIntent,
  type StoredLegacyRule,
  type StoredReplayCheckpoint,
} from './store.ts';

// ---- intents

export const INTENT_COLUMNS = 'id, status, code, reason, recorded_at, resolved_at, intent';

export interface IntentRow {
  id: string;
  status: IntentStatus;
  code: string | null;
  reason: string;
  recorded_at: number;
  resolved_at: number | null;
  intent: string;
}

export function decodeIntentRow(row: IntentRow, location: string): StoredIntent {
  const intent = decodeRecord(intentSchema, row.intent, location, 'intents', row.id);
  if (!(INTENT_STATUSES as readonly string[]).includes(row.status)) {
    throw new StoreError(
      'invalid_row',
      location,
      `${location}: intents row ${row.id} is not valid: status ${row.status}`,
    );
  }
  return {
    intent,
    status: row.status,
    code: row.code,
    reason: row.reason,
    recordedAt: row.recorded_at,
    resolvedAt: row.resolved_at,
  };
}

/** An intent id journaled twice: refused the same way by every store. */
export function duplicateIntent(location: string, id: string, prior: string | undefined): StoreError {
  return new StoreError(
    'duplicate_intent',
    location,
    `intent ${id} is already in the journal (${prior ?? 'unknown status'}): refusing to record it twice`,
  );
}

/**
 * Whether an answer `status` for intent `id`, now `current` in the journal (undefined: not there),
 * changes it: false for the same final answer again; throws for an id never journaled
 * ('unknown_intent') and for a final answer that would be replaced by another ('intent_conflict').
 */
export function answerChanges(
  location: string,
  id: string,
  current: IntentStatus | undefined,
  status: IntentStatus,
): boolean {
  if (current === undefined)
    throw new StoreError(
      'unknown_intent',
      location,
      `intent ${id} is not in the journal: an answer for it cannot be recorded`,
    );
  if (current === 'applied' || current === 'rejected') {
    if (current === status) return false;
    throw new StoreError(
      'intent_conflict',
      location,
      `intent ${id} is already ${current}: refusing to mark it ${status}`,
    );
  }
  return true;
}

const { shape: decisionFields } = decisionRecordSchema;

/** A row of the intent counts: the status column, the intent's rule and action as the database extracted them, the count. */
const intentCountSchema = z.object({
  status: z.enum(INTENT_STATUSES),
  rule: decisionFields.rule,
  action: z.string().nullable(),
  n: z.number().int().min(1),
});

export function decodeIntentCount(row: unknown, location: string): IntentCount {
  const parsed = intentCountSchema.safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StoreError(
      'invalid_row',
      location,
      `${location}: an intents row is not valid: ${issue.path.join('.') || 'intent'}: ${issue.message}`,
    );
  }
  return { status: parsed.data.status, rule: parsed.data.rule, action: parsed.data.action ?? '', count: parsed.data.n };
}

// ---- decisions

/** A decision as a journal page reads it: its columns, and the other listed fields extracted from the record as one JSON array. */
export interface JournalRow {
  seq: number;
  time: number;
  position_id: string;
  rule: string;
  outcome: string;
  reason: string;
  /** JSON array (text, or already parsed): symbol, intentId, oldSl, newSl, volume, price, dtmsState, score, note. */
  fields: unknown;
}

/** A journal row after its fields array is parsed: the same checks as a whole record's, for the fields read. */
const journalRowSchema = z.object({
  seq: z.number().int(),
  time: decisionFields.time,
  position_id: decisionFields.positionId,
  rule: decisionFields.rule,
  outcome: decisionFields.outcome,
  reason: decisionFields.reason,
  fields: z.tuple([
    decisionFields.symbol,
    decisionFields.intentId,
    decisionFields.oldSl,
    decisionFields.newSl,
    decisionFields.volume,
    decisionFields.price,
    decisionFields.dtmsState,
    decisionFields.score,
    decisionFields.note,
  ]),
});

/** A journal row's listed fields, checked (non-finite numbers tagged as plainJson writes them). */
export function decodeJournalRow(row: JournalRow, location: string): JournalDecision {
  const parsed = journalRowSchema.safeParse({
    ...row,
    fields: typeof row.fields === 'string' ? fromPlainJson(row.fields) : row.fields,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StoreError(
      'invalid_row',
      location,
      `${location}: decisions row seq ${row.seq} is not valid: ${issue.path.join('.') || 'record'}: ${issue.message}`,
    );
  }
  const r = parsed.data;
  const [symbol, intentId, oldSl, newSl, volume, price, dtmsState, score, note] = r.fields;
  return {
    seq: r.seq,
    time: r.time,
    positionId: r.position_id,
    symbol,
    rule: r.rule,
    outcome: r.outcome,
    reason: r.reason,
    intentId,
    oldSl,
    newSl,
    volume,
    price,
    dtmsState,
    score,
    note,
  };
}

// ---- legacy rules

export const LEGACY_COLUMNS = 'position_id, source, imported_at, notes, rule';

export interface LegacyRow {
  position_id: string;
  source: string;
  imported_at: number;
  notes: string;
  rule: string;
}

export function decodeLegacyRow(row: LegacyRow, location: string): StoredLegacyRule {
  return {
    positionId: row.position_id,
    rule: decodeRecord(storedLegacyRuleSchema, row.rule, location, 'legacy_rules', row.position_id),
    notes: decodeRecord(notesSchema, row.notes, location, 'legacy_rules', row.position_id),
    source: row.source,
    importedAt: row.imported_at,
  };
}

// ---- replay checkpoints

/** Refuses a checkpoint that could not be read back: positions and counts must be non-negative integers, parts of a known list. */
export function checkReplayCheckpoint(runKey: string, c: ReplayCheckpointRecord, location: string): void {
  for (const [k, v] of [
    ['next', c.next],
    ['lines', c.lines],
    ['bytes', c.bytes],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new StoreError(
        'invalid_row',
        location,
        `replay checkpoint ${runKey}: ${k} must be a non-negative integer (got ${v})`,
      );
  }
  for (const part of c.parts ?? []) {
    if (!(REPLAY_CHECKPOINT_LISTS as readonly string[]).includes(part.list))
      throw new StoreError('invalid_row', location, `replay checkpoint ${runKey}: no list ${String(part.list)}`);
    if (!Number.isSafeInteger(part.start) || part.start < 0)
      throw new StoreError(
        'invalid_row',
        location,
        `replay checkpoint ${runKey}: part ${part.list} start must be a non-negative integer (got ${part.start})`,
      );
  }
}

export interface CheckpointRow {
  next: number;
  lines: number;
  bytes: number;
  saved_at: number;
  checkpoint: string;
}

export function decodeCheckpointRow(runKey: string, row: CheckpointRow, location: string): StoredReplayCheckpoint {
  for (const k of ['next', 'lines', 'bytes', 'saved_at'] as const) {
    if (typeof row[k] !== 'number' || !Number.isSafeInteger(row[k]) || row[k] < 0) {
      throw new StoreError(
        'invalid_row',
        location,
        `${location}: replay_checkpoints row ${runKey} is not valid: ${k} ${String(row[k])}`,
      );
    }
  }
  return {
    runKey,
    next: row.next,
    lines: row.lines,
    bytes: row.bytes,
    savedAt: row.saved_at,
    checkpointJson: row.checkpoint,
  };
}

export function decodeCheckpointPart(
  runKey: string,
  row: { list: unknown; start: unknown; items: unknown },
  location: string,
): ReplayCheckpointPart {
  const bad = (what: string) =>
    new StoreError(
      'invalid_row',
      location,
      `${location}: replay_checkpoint_parts row ${runKey} ${String(row.list)}@${String(row.start)} is not valid: ${what}`,
    );
  if (typeof row.list !== 'string' || !(REPLAY_CHECKPOINT_LISTS as readonly string[]).includes(row.list))
    throw bad(`list ${String(row.list)}`);
  if (typeof row.start !== 'number' || !Number.isSafeInteger(row.start) || row.start < 0)
    throw bad(`start ${String(row.start)}`);
  if (typeof row.items !== 'string')
    throw bad(`items is ${row.items === null ? 'NULL' : typeof row.items}, not JSON text`);
  return { list: row.list as ReplayCheckpointList, start: row.start, itemsJson: row.items };
}
