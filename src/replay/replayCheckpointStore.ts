// A replay checkpoint in the store (`warden replay --store`). What grows with the run is not repeated
// in every checkpoint: the settled trades and the paper broker's deals, realized profits and applied
// request ids are kept as parts (replay_checkpoint_parts), and a checkpoint writes only the parts that
// changed since the previous one (in practice, the elements added since); the rest, which stays small
// (open trades, the engine, the broker's open book), is the checkpoint's JSON row. Everything of one
// checkpoint is saved in one transaction, so a kill leaves the previous checkpoint or this one whole.
import { z } from 'zod';
import type { PaperBrokerSnapshot, PaperDeal, PaperDealReason } from '../brokers/paperBroker.ts';
import { toPlainJson } from '../domain/plainJson.ts';
import { decodeRecord } from '../store/records.ts';
import {
  REPLAY_CHECKPOINT_LISTS,
  StoreError,
  type ReplayCheckpointList,
  type ReplayCheckpointPart,
  type StoredReplayCheckpoint,
  type WardenStore,
} from '../store/store.ts';
import type { ExitReason, TradeChart } from './reportModel.ts';
import type { PlacedTrade, ReplayCheckpoint, TradeState } from './replaySession.ts';

type BrokerBook = Omit<PaperBrokerSnapshot, 'deals' | 'realized' | 'appliedIds'>;
/** The checkpoint without its growing lists (those are parts). */
type CheckpointBody = Omit<ReplayCheckpoint, 'settled' | 'broker'> & { broker: BrokerBook };
/** The JSON row: the body, and how many elements each list has (its parts must hold exactly these). */
interface CheckpointRow {
  body: CheckpointBody;
  lengths: Record<ReplayCheckpointList, number>;
}

/** The growing lists of a checkpoint, by the name their parts are stored under. */
function listsOf(c: ReplayCheckpoint): Record<ReplayCheckpointList, readonly unknown[]> {
  return { trades: c.settled, deals: c.broker.deals, realized: c.broker.realized, applied_ids: c.broker.appliedIds };
}

// ---- validation of what is read back ------------------------------------------------------------------

/** The members of a string union, checked complete at compile time. */
const membersOf = <T extends string>(o: Record<T, true>) => Object.keys(o) as [T, ...T[]];
/** A number, NaN and the infinities included (NaN means "not known" in the state). */
const num = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' });
const count = z.number().int().nonnegative();

const EXIT_REASONS = membersOf<ExitReason>({
  initial_stop: true,
  breakeven_stop: true,
  trailing_stop: true,
  dtms_stop: true,
  take_profit: true,
  closed: true,
  dtms_close: true,
  data_gap: true,
  end_of_data: true,
  balance_gone: true,
});
const EVENT_KINDS = membersOf<TradeChart['events'][number]['kind']>({
  breakeven: true,
  trail: true,
  partial: true,
  dtms: true,
  exit: true,
});
const DEAL_REASONS = membersOf<PaperDealReason>({
  open: true,
  sl: true,
  tp: true,
  partial: true,
  close: true,
  net: true,
});
const side = z.enum(['buy', 'sell']);

const tradeSchema = z.strictObject({
  id: z.string(),
  side,
  comment: z.string(),
  entryIdx: num,
  entryTime: num,
  entryPrice: num,
  highest: num,
  lowest: num,
  volume: num,
  openVolume: num,
  initialSl: num.nullable(),
  tp: num.nullable(),
  sl: num.nullable(),
  slSetBy: z.enum(membersOf<TradeState['slSetBy']>({ initial: true, breakeven: true, trail: true, dtms: true })),
  realized: num,
  ownRealized: num,
  exitValue: num,
  exitVolume: num,
  exitIdx: num,
  exitTime: num,
  exitReason: z.enum(EXIT_REASONS).nullable(),
  tradeType: z.string(),
  breakeven: z.boolean(),
  partial: z.boolean(),
  partialSkipped: z.boolean(),
  trailMoves: num,
  breakevenTime: num,
  firstTrailTime: num,
  trailGatePassed: z.boolean(),
  dtmsWarningTime: num,
  dtmsStopTime: num,
  rmag: z.boolean(),
  gapFill: z.boolean(),
  dtmsActions: num,
  hedged: z.boolean(),
  reAddOf: z.string(),
  charted: z.boolean(),
  stopPath: z.array(z.tuple([num, num.nullable()])),
  events: z.array(z.strictObject({ time: num, kind: z.enum(EVENT_KINDS), price: num, label: z.string() })),
  closes: z.array(z.tuple([num, num])),
}) satisfies z.ZodType<TradeState>;

const placedTradeSchema = z.strictObject({ index: count, trade: tradeSchema }) satisfies z.ZodType<PlacedTrade>;

const dealSchema = z.strictObject({
  positionId: z.string(),
  time: num,
  side,
  volume: num,
  price: num,
  reason: z.enum(DEAL_REASONS),
  profit: num,
  requestId: z.string(),
}) satisfies z.ZodType<PaperDeal>;

const ELEMENT: Record<ReplayCheckpointList, z.ZodType> = {
  trades: placedTradeSchema,
  deals: dealSchema,
  realized: z.tuple([z.string(), num]),
  applied_ids: z.string(),
};

// The body's open trades are checked like the settled ones; the engine's and the broker's snapshots
// are the replay's own plain data, read as they were written.
const rowSchema = z.strictObject({
  body: z.looseObject({
    next: count,
    lines: count,
    tradeCount: count,
    unsettled: z.array(placedTradeSchema),
    broker: z.looseObject({}),
  }),
  lengths: z.strictObject({ trades: count, deals: count, realized: count, applied_ids: count }),
});

// ---- writing ------------------------------------------------------------------------------------------

/** What the store holds of one list: its elements (as last saved) and where each of its parts starts. */
interface WrittenList {
  items: readonly unknown[];
  starts: number[];
}
export type WrittenLists = Record<ReplayCheckpointList, WrittenList>;

/** Equal numbers, NaN equal to itself. */
const eq = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));

/** The fields sameDeal compares: a field added to PaperDeal and not compared there fails tsc here. */
// biome-ignore lint/correctness/noUnusedVariables: read by tsc only (the `satisfies` check), never at run time.
const DEAL_COMPARED = {
  positionId: true,
  time: true,
  side: true,
  volume: true,
  price: true,
  reason: true,
  profit: true,
  requestId: true,
} satisfies Record<keyof PaperDeal, true>;
// Written out field by field: ten times faster than a loop over the names, and it runs over every deal.
const sameDeal = (x: PaperDeal, y: PaperDeal): boolean =>
  x.positionId === y.positionId &&
  eq(x.time, y.time) &&
  x.side === y.side &&
  eq(x.volume, y.volume) &&
  eq(x.price, y.price) &&
  x.reason === y.reason &&
  eq(x.profit, y.profit) &&
  x.requestId === y.requestId;

/** Whether an element is as saved, by list (the broker's snapshots are fresh copies: compared by value). */
const SAME: Record<ReplayCheckpointList, ((a: unknown, b: unknown) => boolean) | null> = {
  // Settled trades never change: only new ones are written.
  trades: null,
  deals: (a, b) => sameDeal(a as PaperDeal, b as PaperDeal),
  realized: (a, b) => {
    const x = a as [string, number];
    const y = b as [string, number];
    return x[0] === y[0] && eq(x[1], y[1]);
  },
  applied_ids: (a, b) => a === b,
};

/** Saves a run's checkpoints: each one writes its JSON row and the parts that changed since the previous one. */
export class ReplayCheckpointWriter {
  private written: WrittenLists;

  /** `written`: what the store holds already (a resumed run: loadReplayCheckpoint's); none for a fresh run. */
  constructor(
    private readonly store: WardenStore,
    private readonly runKey: string,
    written?: WrittenLists,
  ) {
    this.written = written ?? {
      trades: { items: [], starts: [] },
      deals: { items: [], starts: [] },
      realized: { items: [], starts: [] },
      applied_ids: { items: [], starts: [] },
    };
  }

  /** Saves `c` (whose decision lines fill the first `bytes` bytes of decisions.jsonl, on disk already). */
  save(c: ReplayCheckpoint, bytes: number, at: number): void {
    const lists = listsOf(c);
    const parts: ReplayCheckpointPart[] = [];
    const next = {} as WrittenLists;
    for (const list of REPLAY_CHECKPOINT_LISTS) {
      const cur = lists[list];
      const w = this.written[list];
      if (cur.length < w.items.length)
        throw new Error(
          `replay checkpoint: the ${list} list went from ${w.items.length} to ${cur.length} elements; checkpoints keep lists that only grow`,
        );
      // A part with a changed element is written again whole (same start and end).
      const same = SAME[list];
      if (same !== null) {
        for (let j = 0; j < w.starts.length; j++) {
          const from = w.starts[j]!;
          const to = j + 1 < w.starts.length ? w.starts[j + 1]! : w.items.length;
          for (let k = from; k < to; k++) {
            if (same(w.items[k], cur[k])) continue;
            parts.push({ list, start: from, itemsJson: toPlainJson(cur.slice(from, to)) });
            break;
          }
        }
      }
      const starts = w.starts.slice();
      if (cur.length > w.items.length) {
        parts.push({ list, start: w.items.length, itemsJson: toPlainJson(cur.slice(w.items.length)) });
        starts.push(w.items.length);
      }
      next[list] = { items: cur, starts };
    }
    const { settled: _settled, broker, ...rest } = c;
    const { deals: _deals, realized: _realized, appliedIds: _appliedIds, ...book } = broker;
    const row: CheckpointRow = {
      body: { ...rest, broker: book },
      lengths: {
        trades: c.settled.length,
        deals: broker.deals.length,
        realized: broker.realized.length,
        applied_ids: broker.appliedIds.length,
      },
    };
    this.store.saveReplayCheckpoint(
      this.runKey,
      { next: c.next, lines: c.lines, bytes, checkpointJson: toPlainJson(row), parts },
      at,
    );
    this.written = next;
  }
}

// ---- reading ------------------------------------------------------------------------------------------

export interface ResumePoint {
  stored: StoredReplayCheckpoint;
  checkpoint: ReplayCheckpoint;
  /** What the store holds of the lists: for the ReplayCheckpointWriter that goes on from here. */
  written: WrittenLists;
}

/**
 * The store's checkpoint for this run, rebuilt whole, when decisions.jsonl (`bytesOnDisk` long, -1:
 * missing) still holds every byte it counts on; otherwise null, and a stale checkpoint is deleted. A
 * damaged row is a StoreError 'invalid_row' naming its table and key.
 */
export function loadReplayCheckpoint(store: WardenStore, runKey: string, bytesOnDisk: number): ResumePoint | null {
  // One read transaction: the row and its parts as one checkpoint saved them.
  const read = store.transaction(() => {
    const stored = store.replayCheckpoint(runKey);
    return {
      stored,
      parts: stored === null || bytesOnDisk < stored.bytes ? null : store.replayCheckpointParts(runKey),
    };
  });
  if (read.stored === null) return null;
  if (read.parts !== null) {
    const point = rebuild(store.location, read.stored, read.parts);
    if (point.checkpoint.next === read.stored.next && point.checkpoint.lines === read.stored.lines) return point;
  }
  store.deleteReplayCheckpoint(runKey);
  return null;
}

function rebuild(
  location: string,
  stored: StoredReplayCheckpoint,
  parts: readonly ReplayCheckpointPart[],
): ResumePoint {
  const key = stored.runKey;
  const row = decodeRecord(rowSchema, stored.checkpointJson, location, 'replay_checkpoints', key);
  const written = {} as WrittenLists;
  for (const list of REPLAY_CHECKPOINT_LISTS) {
    const items: unknown[] = [];
    const starts: number[] = [];
    for (const p of parts) {
      if (p.list !== list) continue;
      const partKey = `${key} ${list}@${p.start}`;
      if (p.start !== items.length)
        throw invalidRow(
          location,
          'replay_checkpoint_parts',
          partKey,
          `it should start at ${items.length}, where the parts before it end`,
        );
      const elements = decodeRecord(z.array(ELEMENT[list]), p.itemsJson, location, 'replay_checkpoint_parts', partKey);
      if (elements.length === 0) throw invalidRow(location, 'replay_checkpoint_parts', partKey, 'it is empty');
      starts.push(p.start);
      for (const e of elements) items.push(e);
    }
    const expected = row.lengths[list];
    if (items.length !== expected)
      throw invalidRow(
        location,
        'replay_checkpoints',
        key,
        `its ${list} list has ${expected} elements, its parts hold ${items.length}`,
      );
    written[list] = { items, starts };
  }
  // The row's body and the parts' elements passed their schemas: typed as the checkpoint they were saved from.
  const body = row.body as unknown as CheckpointBody;
  const checkpoint: ReplayCheckpoint = {
    ...body,
    settled: written.trades.items as PlacedTrade[],
    broker: {
      ...body.broker,
      deals: written.deals.items as PaperDeal[],
      realized: written.realized.items as [string, number][],
      appliedIds: written.applied_ids.items as string[],
    },
  };
  return { stored, checkpoint, written };
}

function invalidRow(location: string, table: string, key: string, what: string): StoreError {
  return new StoreError('invalid_row', location, `${location}: ${table} row ${key} is not valid: ${what}`);
}
