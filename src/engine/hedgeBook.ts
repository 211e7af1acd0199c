// DTMS hedges as the engine books them: the position each hedge protects, and the hedges whose
// position closed before them (orphans). Nothing protects anything with an orphan, so the engine
// closes it: one close request in flight per orphan, sent again after a refusal, up to
// ORPHAN_CLOSE_ATTEMPTS sends; past that it is the trader's to close (each refusal is in the caller's
// records). A position out of DTMS's hands leaves its hedge to the trader: it is never an orphan.
import type { Intent, Position } from '../domain/types.ts';
import { startRecord, type DecisionRecord, type DecisionSink } from '../exits/decisionRecord.ts';
import type { IntentOutcome } from '../exits/exitPlan.ts';

/**
 * A DTMS hedge whose position closed before it (by its stop, its target or by hand): nothing protects
 * anything with it now, so the engine closes it.
 */
export interface OrphanHedge {
  hedgeId: string;
  parentId: string;
  symbol: string;
  side: 'buy' | 'sell';
  volume: number;
  pending: string;
  attempts: number;
}

/** Sends of an orphan hedge's close before giving up (it is then the trader's to close). */
const ORPHAN_CLOSE_ATTEMPTS = 3;

export class HedgeBook {
  /** DTMS hedge ticket -> the position it hedges. */
  private readonly owners = new Map<string, string>();
  /** Per symbol, in the order the symbols were added: the orphaned hedges still to close. */
  private readonly orphans = new Map<string, OrphanHedge[]>();

  /** The symbol's orphan list (the engine holds it to check it at each evaluation without a lookup). */
  orphansOf(symbol: string): OrphanHedge[] {
    let list = this.orphans.get(symbol);
    if (list === undefined) this.orphans.set(symbol, (list = []));
    return list;
  }

  /** DTMS opened hedge `hedgeId` for `positionId`. */
  opened(hedgeId: string, positionId: string): void {
    this.owners.set(hedgeId, positionId);
  }

  /** DTMS closed the hedge (its position's defence asked for it). */
  closed(hedgeId: string): void {
    this.owners.delete(hedgeId);
  }

  isHedge(positionId: string): boolean {
    return this.owners.has(positionId);
  }

  /** The position that `hedgeId` hedges, if it is a DTMS hedge. */
  ownerOf(hedgeId: string): string | undefined {
    return this.owners.get(hedgeId);
  }

  /** Every DTMS hedge's ticket, open or left behind by its closed position. */
  ids(): string[] {
    return [...this.owners.keys()];
  }

  /** Every hedge with the position it hedges, in the order they were opened (a snapshot's). */
  entries(): [hedgeId: string, positionId: string][] {
    return [...this.owners];
  }

  /** Position `parentId` closed with its hedge open: the hedge is the engine's to close. */
  leftBehind(symbol: string, hedgeId: string, parentId: string, parentSide: 'buy' | 'sell', volume: number): void {
    this.orphansOf(symbol).push({
      hedgeId,
      parentId,
      symbol,
      side: parentSide === 'buy' ? 'sell' : 'buy',
      volume,
      pending: '',
      attempts: 0,
    });
  }

  /**
   * The hedge is gone at the broker (its own stop or target, or closed by hand): forgotten, and no
   * longer an orphan to close. `symbol`: its position's, where an orphan of it is listed (undefined:
   * looked for on every symbol).
   */
  gone(hedgeId: string, symbol: string | undefined): void {
    this.owners.delete(hedgeId);
    const one = symbol === undefined ? undefined : this.orphans.get(symbol);
    for (const list of one ? [one] : this.orphans.values()) {
      const i = list.findIndex((orphan) => orphan.hedgeId === hedgeId);
      if (i >= 0) list.splice(i, 1);
    }
  }

  /** Each orphan's close in flight, under its closed position's id (appended to `out`). */
  pendingCloses(out: { positionId: string; intentId: string }[]): void {
    for (const list of this.orphans.values())
      for (const orphan of list)
        if (orphan.pending !== '') out.push({ positionId: orphan.parentId, intentId: orphan.pending });
  }

  /**
   * The broker answered an orphan's close (`parentId`: its closed position): applied, the hedge is
   * gone; refused, it is sent again later. False when it was not that orphan's close in flight.
   */
  settleClose(parentId: string, intentId: string, outcome: IntentOutcome): boolean {
    for (const list of this.orphans.values()) {
      for (let i = 0; i < list.length; i++) {
        const orphan = list[i]!;
        if (orphan.parentId !== parentId || orphan.pending !== intentId) continue;
        orphan.pending = '';
        if (outcome === 'applied') {
          list.splice(i, 1);
          this.owners.delete(orphan.hedgeId);
        } else orphan.attempts++;
        return true;
      }
    }
    return false;
  }

  /**
   * After an "unknown" answer to an orphan's close: settled from the broker's view of the positions
   * (applied when the hedge is gone from them). Null when no close of `parentId`'s orphan was in flight.
   */
  reconcileClose(parentId: string, positions: readonly Position[]): IntentOutcome | null {
    for (const list of this.orphans.values()) {
      for (const orphan of list) {
        if (orphan.parentId !== parentId || orphan.pending === '') continue;
        const outcome: IntentOutcome = positions.some((q) => q.id === orphan.hedgeId) ? 'rejected' : 'applied';
        this.settleClose(parentId, orphan.pending, outcome);
        return outcome;
      }
    }
    return null;
  }

  /** Every orphan still to close (copies), symbol by symbol in the order they were added. */
  orphanCopies(): OrphanHedge[] {
    const out: OrphanHedge[] = [];
    for (const list of this.orphans.values()) for (const orphan of list) out.push({ ...orphan });
    return out;
  }
}

/**
 * Sends the close of each orphan on one symbol that has none in flight and sends left, at the quote
 * (`bid`/`ask`), with its own decision record (its position's plan is gone: every intent is explained).
 */
export function closeOrphanHedges(
  orphans: readonly OrphanHedge[],
  rec: DecisionRecord,
  sink: DecisionSink,
  now: number,
  bid: number,
  ask: number,
  out: Intent[],
): void {
  for (let i = 0; i < orphans.length; i++) {
    const orphan = orphans[i]!;
    if (orphan.pending !== '') continue;
    if (orphan.attempts >= ORPHAN_CLOSE_ATTEMPTS) continue; // reported by the caller's records of each refusal
    const id = `${orphan.parentId}:dtms:orphan_hedge:${orphan.hedgeId}${orphan.attempts > 0 ? `:${orphan.attempts + 1}` : ''}`;
    orphan.pending = id;
    const r = startRecord(
      rec,
      now,
      { positionId: orphan.parentId, symbol: orphan.symbol, side: orphan.side === 'buy' ? 'sell' : 'buy' },
      'dtms',
    );
    r.outcome = 'intent';
    r.reason = 'intent_sent';
    r.changed = true;
    r.intentId = id;
    r.volume = orphan.volume;
    r.price = orphan.side === 'buy' ? bid : ask;
    r.dtmsState = 'CLOSED';
    r.note = `close_orphan_hedge: position #${orphan.parentId} is closed; its hedge #${orphan.hedgeId} (${orphan.side} ${orphan.volume}) protects nothing now`;
    sink.record(r);
    out.push({
      id,
      positionId: orphan.parentId,
      symbol: orphan.symbol,
      kind: 'close',
      rule: 'dtms',
      episode: 0,
      newSl: NaN,
      oldSl: null,
      volume: orphan.volume,
      time: now,
      price: orphan.side === 'buy' ? bid : ask,
      reason: `close_orphan_hedge: its position #${orphan.parentId} is closed; close hedge #${orphan.hedgeId} (${orphan.volume})`,
      targetId: orphan.hedgeId,
      side: orphan.side,
      comment: '',
      action: 'close_orphan_hedge',
    });
  }
}
