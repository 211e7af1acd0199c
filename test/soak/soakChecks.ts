// What the soak holds Warden to after every step, reading Warden's store (read-only, beside the running
// process: SQLite's WAL lets a reader in), its HTTP API, and the venue's own record (venueAudit.ts, and
// the writes the venue applied). A failed check is a violation that says what it saw.
//
//   nothing applied twice   no client id applied twice at the venue (a market order filled, a stop
//                           placed); no position closed beyond what was open (the audit); every request
//                           carries the id of an intent journaled before it was sent
//   every intent settled    no journal row `pending` or `unknown` once a step is done
//   journal = venue         what the venue applied is journaled applied; what is journaled applied the
//                           venue did (a close of a position already gone excepted: the absence is the close)
//   flags true at the venue for each plan with nothing in flight: the venue's volume of THAT lifetime
//                           is its initial volume less what Warden's requests closed of it, and that is
//                           `closedVolume`; a partial done closed some of it; a breakeven Warden confirmed
//                           left the venue's stop at or beyond the breakeven stop (unless the trader
//                           moved it since); trailMoves is the count of trail moves journaled applied
//   no stop loosened        the venue's successive stops only tighten, but for the trader's moves (the
//                           audit, online); a stop Warden took away is back by the end of the step
//   Warden's view = venue   with nothing in flight, the stored position's stop (and the API's) is the
//                           venue's, and every position at the venue is managed (or is a DTMS hedge)
import { z } from 'zod';
import type { Intent } from '../../src/domain/types.ts';
import { BREAKEVEN_DONE, PARTIAL_DONE } from '../../src/exits/exitPlan.ts';
import { positionSchema } from '../../src/service/apiSchemas.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { SqliteStore } from '../../src/store/sqliteStore.ts';
import type { StoredIntent } from '../../src/store/store.ts';
import type { AppliedWrite, SoakVenue } from './soakVenues.ts';
import { describe as describeSource, looser, samePrice, type VenueAudit } from './venueAudit.ts';

const EPS = 1e-7;

export class SoakChecks {
  /** Checks run, by name (one per position or request looked at). */
  readonly runs: Record<string, number> = {};
  private store: SqliteStore | null = null;
  /** The journal as last read, by intent id. */
  readonly journal = new Map<string, StoredIntent>();
  private readonly byClientId = new Map<string, { intent: Intent; role: string }>();
  private lastRecordedAt = Number.NEGATIVE_INFINITY;
  private appliedSeen = 0;
  private readonly appliedByClientId = new Map<string, AppliedWrite[]>();
  /** Stop moves the venue applied without a client id, by the intent they carried out. */
  private readonly stopsApplied = new Set<string>();
  /** Market orders the venue applied without a client id, by the intent they carried out. */
  private readonly marketApplied = new Set<string>();
  /** Intents whose journal row was final and checked against the venue. */
  private readonly checkedFinal = new Set<string>();

  constructor(
    private readonly venue: SoakVenue,
    private readonly audit: VenueAudit,
    private readonly storeFile: string,
    private readonly applied: readonly AppliedWrite[],
  ) {}

  private ran(name: string, n = 1): void {
    this.runs[name] = (this.runs[name] ?? 0) + n;
  }

  private fail(check: string, message: string): void {
    this.audit.flag(check, message);
  }

  private get db(): SqliteStore {
    this.store ??= openSqliteStore(this.storeFile, { readonly: true, now: this.venue.now });
    return this.store;
  }

  close(): void {
    this.store?.close();
    this.store = null;
  }

  /** Reads the journal rows new or changed since the last look. */
  private readJournal(): void {
    for (const row of this.db.intentsSince(this.lastRecordedAt)) this.remember(row);
    for (const [id, row] of this.journal) {
      if (row.status !== 'pending' && row.status !== 'unknown') continue;
      const now = this.db.intent(id);
      if (now) this.remember(now);
    }
  }

  private remember(row: StoredIntent): void {
    if (!this.journal.has(row.intent.id))
      for (const c of this.venue.clientIdsOf(row.intent))
        this.byClientId.set(c.id, { intent: row.intent, role: c.role });
    this.journal.set(row.intent.id, row);
    this.lastRecordedAt = Math.max(this.lastRecordedAt, row.recordedAt);
  }

  /** Everything, after a step the child finished. */
  async afterStep(url: string): Promise<void> {
    this.readJournal();
    this.settled();
    this.writesAgainstJournal();
    this.journalAgainstVenue();
    this.flags();
    this.stopsBack();
    await this.viewEqualsVenue(url);
  }

  /**
   * After a restart, before its settling step: what the start settled agrees with the venue, and its
   * view is the venue's (a journal row may stay open until the step, and a stop Warden took away in the
   * step the kill cut short has the settling step to come back).
   */
  async afterStart(url: string): Promise<void> {
    this.readJournal();
    this.writesAgainstJournal();
    this.journalAgainstVenue();
    this.flags(true);
    await this.viewEqualsVenue(url);
  }

  /** Every intent settled: nothing pending or unknown once a step is done. */
  settled(): void {
    this.ran('settled');
    const open = this.db.unresolvedIntents();
    if (open.length > 0)
      this.fail(
        'settled',
        `${open.length} intent(s) not settled after the step: ${open.map((r) => `${r.intent.id} ${r.intent.kind} ${r.status} (${r.reason || 'no answer'})`).join('; ')}`,
      );
  }

  /** Each write the venue applied: once per client id, and journaled (applied) before and after. */
  private writesAgainstJournal(): void {
    for (; this.appliedSeen < this.applied.length; this.appliedSeen++) {
      const w = this.applied[this.appliedSeen]!;
      this.ran('applied_once');
      if (w.clientId === '') {
        // Requests without a client id: a stop move (MetaTrader's modify) is known by its position and stop,
        // an open whose comment leaves no room for a client id by its comment.
        this.ran('journaled_before_sent');
        const rows = [...this.journal.values()].reverse();
        const of =
          w.what === 'stop'
            ? rows.find(
                (r) =>
                  r.intent.kind === 'move_stop' &&
                  r.intent.targetId === w.positionId &&
                  samePrice(r.intent.newSl, w.sl),
              )
            : rows.find((r) => r.intent.kind === 'open' && w.comment !== '' && r.intent.comment === w.comment);
        if (!of)
          this.fail(
            'journaled_before_sent',
            `the venue applied a ${w.what === 'stop' ? `stop move of ${w.positionId} to ${w.sl}` : `market order on ${w.positionId} with comment '${w.comment}' and no client id`} for Warden (step ${w.step}); no journaled intent is that request`,
          );
        else if (w.what === 'stop') this.stopsApplied.add(of.intent.id);
        else {
          const seen = this.appliedByClientId.get(`comment:${w.comment}`) ?? [];
          seen.push(w);
          this.appliedByClientId.set(`comment:${w.comment}`, seen);
          this.marketApplied.add(of.intent.id);
          if (seen.length > 1)
            this.fail(
              'applied_once',
              `the open with comment '${w.comment}' (intent ${of.intent.id}) was applied ${seen.length} times at the venue (steps ${seen.map((x) => x.step).join(', ')})`,
            );
        }
        continue;
      }
      const seen = this.appliedByClientId.get(w.clientId) ?? [];
      seen.push(w);
      this.appliedByClientId.set(w.clientId, seen);
      const of = this.byClientId.get(w.clientId);
      this.ran('journaled_before_sent');
      if (!of) {
        this.fail(
          'journaled_before_sent',
          `the venue applied a ${w.what} with client id ${w.clientId} (on ${w.positionId || 'a new position'}, step ${w.step}) that no journaled intent carries`,
        );
        continue;
      }
      // A restore puts the stop from before a refused move back: the same price again, not a second decision.
      if (seen.length > 1 && of.role !== 'restore')
        this.fail(
          'applied_once',
          `client id ${w.clientId} (intent ${of.intent.id}, ${of.role}) was applied ${seen.length} times at the venue (steps ${seen.map((x) => x.step).join(', ')})`,
        );
    }
    // Stop moves without a client id (MetaTrader's modify): a journaled move of that position to that stop.
  }

  /** Final journal rows against the venue, both ways. */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  private journalAgainstVenue(): void {
    for (const [id, row] of this.journal) {
      if (this.checkedFinal.has(id) || (row.status !== 'applied' && row.status !== 'rejected')) continue;
      this.checkedFinal.add(id);
      const it = row.intent;
      const mine = this.venue.clientIdsOf(it).filter((c) => c.role !== 'restore');
      const appliedHere =
        mine.some((c) => (this.appliedByClientId.get(c.id)?.length ?? 0) > 0) ||
        this.stopsApplied.has(id) ||
        this.marketApplied.has(id);
      this.ran('journal_equals_venue');
      if (row.status === 'rejected') {
        // The venue did it: the journal must not say it did not (the engine would decide it again).
        if (appliedHere && it.kind !== 'move_stop')
          this.fail(
            'journal_equals_venue',
            `intent ${id} (${it.kind} ${it.rule} of ${it.positionId}) is journaled rejected (${row.reason}) but the venue applied its request`,
          );
        if (appliedHere && it.kind === 'move_stop' && this.stopAtVenueNow(it))
          this.fail(
            'journal_equals_venue',
            `intent ${id} (move_stop ${it.rule} of ${it.positionId} to ${it.newSl}) is journaled rejected (${row.reason}) but the venue holds that stop from its request`,
          );
        continue;
      }
      switch (it.kind) {
        case 'close_partial':
        case 'open':
          if (!appliedHere)
            this.fail(
              'journal_equals_venue',
              `intent ${id} (${it.kind} ${it.rule} of ${it.positionId}, ${it.volume}) is journaled applied (${row.reason}) but the venue never filled it (${mine[0] ? `client id ${mine[0].id}` : `comment '${it.comment}'`})`,
            );
          break;
        case 'close': {
          // Applied without a fill of its own: the position was gone already (the absence is the close).
          const then = this.audit.segmentAt(it.targetId, row.recordedAt);
          if (!appliedHere && then && then.closedAt === null)
            this.fail(
              'journal_equals_venue',
              `intent ${id} (close ${it.rule} of ${it.targetId}) is journaled applied (${row.reason}) but the venue never filled it and still holds ${then.key}`,
            );
          break;
        }
        case 'move_stop': {
          const seg = this.audit.segmentAt(it.targetId, row.recordedAt);
          const reached =
            seg !== undefined &&
            (samePrice(seg.stopChanges[0]?.to ?? null, it.newSl) ||
              seg.stopChanges.some((c) => samePrice(c.to, it.newSl)));
          if (!reached)
            this.fail(
              'journal_equals_venue',
              `intent ${id} (move_stop ${it.rule} of ${it.targetId} to ${it.newSl}) is journaled applied (${row.reason}) but the venue's stop never was ${it.newSl}${seg ? ` (its stops: ${seg.stopChanges.map((c) => c.to ?? 'none').join(', ')})` : ' (no such position at the venue)'}`,
            );
          break;
        }
      }
    }
  }

  private stopAtVenueNow(it: Intent): boolean {
    const seg = this.audit.current(it.targetId);
    return seg !== undefined && samePrice(seg.sl, it.newSl);
  }

  /** Every flag a plan shows is true at the venue, for that lifetime. */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  private flags(beforeSettlingStep = false): void {
    const intentsOf = new Map<string, StoredIntent[]>();
    for (const row of this.journal.values()) {
      const list = intentsOf.get(row.intent.positionId) ?? [];
      list.push(row);
      intentsOf.set(row.intent.positionId, list);
    }
    for (const plan of this.db.plans()) {
      if (plan.pending !== null) continue;
      this.ran('flags');
      const life = this.db.lifetime(plan.positionId);
      const seg = life ? this.audit.segmentOf(plan.ticket, life.entryPrice) : undefined;
      const where = `${plan.positionId} (${plan.side} ${plan.initialVolume}, entry ${plan.entry})`;
      if (!life || !seg || seg.closedAt !== null) {
        this.fail(
          'flags',
          `${where}: a plan without its position at the venue (${!life ? 'no lifetime row' : !seg ? `no venue position ${plan.ticket} entered at ${life.entryPrice}` : `${seg.key} closed by ${describeSource(seg.closedBy!)}`})`,
        );
        continue;
      }
      if (Math.abs(seg.volume + plan.closedVolume - plan.initialVolume) > EPS)
        this.fail(
          'flags',
          `${where}: the venue holds ${seg.volume} of ${seg.key}, Warden's plan says ${plan.initialVolume} less ${plan.closedVolume} closed`,
        );
      if (Math.abs(seg.closedByWarden - plan.closedVolume) > EPS)
        this.fail(
          'flags',
          `${where}: closedVolume ${plan.closedVolume}, but Warden's requests closed ${seg.closedByWarden} of ${seg.key} at the venue`,
        );
      if (plan.partialState === PARTIAL_DONE && !(seg.closedByWarden > 0))
        this.fail('flags', `${where}: partial done, but the venue closed nothing of ${seg.key} for Warden`);
      const rows = intentsOf.get(plan.positionId) ?? [];
      if (plan.breakevenState === BREAKEVEN_DONE && plan.breakevenReason === 'confirmed') {
        const be = rows.find(
          (r) => r.intent.rule === 'breakeven' && r.status === 'applied' && r.intent.kind === 'move_stop',
        );
        // The trader may have moved the stop by hand since (the breakeven's own change, or its price, marks when).
        const at = be ? (seg.stopChanges.find((c) => samePrice(c.to, be.intent.newSl))?.seq ?? 0) : 0;
        const byHand = seg.stopChanges.some((c) => c.source.by === 'trader' && c.seq > at);
        // A stop Warden took away in the step a kill cut short has the settling step to come back (stop_back).
        const window = beforeSettlingStep && seg.sl === null && seg.removedAtStep !== null;
        if (!be) this.fail('flags', `${where}: breakeven confirmed, but no breakeven move is journaled applied`);
        else if (!byHand && !window && (seg.sl === null || looser(plan.side, be.intent.newSl, seg.sl)))
          this.fail(
            'flags',
            `${where}: breakeven confirmed at ${be.intent.newSl}, but the venue's stop of ${seg.key} is ${seg.sl ?? 'none'}`,
          );
      }
      const trails = rows.filter((r) => r.intent.rule === 'trail' && r.status === 'applied').length;
      if (trails !== plan.trailMoves)
        this.fail(
          'flags',
          `${where}: trailMoves ${plan.trailMoves}, but ${trails} trail move(s) are journaled applied`,
        );
    }
  }

  /** A stop Warden took away (a move is cancel, then place, on Binance) is back once the step is done. */
  private stopsBack(): void {
    for (const seg of this.audit.openSegments()) {
      this.ran('stop_back');
      if (seg.sl === null && seg.removedAtStep !== null) {
        const history = seg.stopChanges
          .slice(-4)
          .map((c) => `${c.from ?? 'none'}->${c.to ?? 'none'} (${describeSource(c.source)}, step ${c.step})`)
          .join('; ');
        this.fail(
          'stop_back',
          `${seg.key} (${seg.side} ${seg.volume}, entry ${seg.entry}) has had no stop since Warden removed ${seg.lastStop} at step ${seg.removedAtStep}; recent stop changes: ${history}`,
        );
        // Reported once per removal.
        seg.removedAtStep = null;
      }
    }
  }

  /** With nothing in flight, Warden's stored view and its API show the venue's stop and volume, and every venue position is Warden's. */
  private async viewEqualsVenue(url: string): Promise<void> {
    const plans = new Map(this.db.plans().map((p) => [p.positionId, p]));
    const stored = this.db.positions();
    const hedges = new Set((this.db.sessionState()?.hedges ?? []).map(([h]) => h));
    const managedTickets = new Set<string>();
    for (const { position } of stored) {
      const ticket = position.ticket ?? position.id;
      managedTickets.add(ticket);
      if (plans.get(position.id)?.pending) continue;
      this.ran('view_equals_venue');
      const seg = this.audit.current(ticket);
      if (!seg) {
        this.fail('view_equals_venue', `Warden keeps ${position.id} (${ticket}) open; the venue has no such position`);
        continue;
      }
      if (!samePrice(seg.sl, position.sl))
        this.fail(
          'view_equals_venue',
          `${position.id}: the venue's stop is ${seg.sl ?? 'none'}, Warden's stored view says ${position.sl ?? 'none'}`,
        );
      if (Math.abs(seg.volume - position.volume) > EPS)
        this.fail(
          'view_equals_venue',
          `${position.id}: the venue holds ${seg.volume}, Warden's stored view says ${position.volume}`,
        );
    }
    for (const seg of this.audit.openSegments()) {
      this.ran('view_equals_venue');
      if (!managedTickets.has(seg.id) && !hedges.has(seg.id))
        this.fail(
          'view_equals_venue',
          `the venue's ${seg.key} (${seg.side} ${seg.volume}, entry ${seg.entry}, opened by ${describeSource(seg.openedBy)}) is neither managed by Warden nor its hedge`,
        );
    }
    const res = await fetch(new URL('api/positions', url));
    const listed = z.array(positionSchema).parse(await res.json());
    for (const p of listed) {
      this.ran('api_equals_venue');
      if (p.exits.pending !== null) continue;
      const seg = this.audit.current(p.ticket);
      if (!seg)
        this.fail('api_equals_venue', `GET /api/positions lists ${p.lifetime}; the venue has no position ${p.ticket}`);
      else if (!samePrice(seg.sl, p.sl) || Math.abs(seg.volume - p.volume) > EPS)
        this.fail(
          'api_equals_venue',
          `GET /api/positions shows ${p.lifetime} with stop ${p.sl ?? 'none'} and volume ${p.volume}; the venue: stop ${seg.sl ?? 'none'}, volume ${seg.volume}`,
        );
    }
  }
}
