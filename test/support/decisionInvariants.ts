// Money-safety invariants checked on every line of a replay's decisions.jsonl, replaying the lines
// as a ledger: a stop never loosens, is a tick multiple and respects the stops level; a close never
// exceeds what is open and partial volumes respect lot step and minimum lot; an intent id is applied
// at most once; nothing happens to a position after it closed; every "unknown" answer is settled.
// DTMS: its stop moves and partial closes obey the same rules (kind 'dtms'); a hedge is a position of
// its own (opened and closed by lines under its ticket), never larger than the open volume of the
// position it hedges, at most one open per position, and never opened for a closed position.
import { isStepMultiple, isTighterStop } from '../../src/domain/rounding.ts';
import type { Instrument, Side } from '../../src/domain/types.ts';
import type { DecisionLine } from '../../src/replay/decisionLog.ts';

interface Ledger {
  side: Side;
  volume: number;
  sl: number | null;
  closed: boolean;
  /** For a DTMS hedge: the position it hedges. */
  hedgeOf: string;
}

const EPS = 1e-9;

export function checkDecisionInvariants(
  lines: readonly string[],
  inst: Instrument,
): { violations: string[]; applied: number; positions: number; hedges: number; dtmsApplied: number } {
  const violations: string[] = [];
  const ledger = new Map<string, Ledger>();
  const appliedIds = new Set<string>();
  const unsettled = new Set<string>();
  let applied = 0;
  let hedges = 0;
  let dtmsApplied = 0;
  const openHedge = new Map<string, string>(); // position -> its open hedge
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  lines.forEach((text, i) => {
    const at = `line ${i + 1}`;
    const bad = (why: string) => violations.push(`${at}: ${why}: ${text}`);
    let l: DecisionLine;
    try {
      l = JSON.parse(text) as DecisionLine;
    } catch {
      bad('not JSON');
      return;
    }
    for (const k of [
      'time',
      'positionId',
      'symbol',
      'side',
      'kind',
      'intentId',
      'oldSl',
      'newSl',
      'volume',
      'price',
      'reason',
      'result',
    ] as const) {
      if (!(k in l)) bad(`missing ${k}`);
    }
    if (l.intentId) {
      if (l.result === 'unknown') unsettled.add(l.intentId);
      else if (l.result === 'applied' || l.result === 'rejected') unsettled.delete(l.intentId);
    }
    if (l.kind === 'open') {
      if (l.result === 'applied') {
        if (ledger.has(l.positionId)) bad('position opened twice');
        let hedgeOf = '';
        if (l.intentId.includes(':dtms:')) {
          if (appliedIds.has(l.intentId)) bad(`intent ${l.intentId} applied twice`);
          appliedIds.add(l.intentId);
          applied++;
          dtmsApplied++;
          const parentId = l.intentId.slice(0, l.intentId.indexOf(':dtms:'));
          const parent = ledger.get(parentId);
          if (!parent || parent.closed) bad(`DTMS open for a position that is not open (#${parentId})`);
          if (l.intentId.includes(':open_hedge')) {
            hedges++;
            hedgeOf = parentId;
            if (parent && l.volume! > parent.volume + EPS)
              bad(`hedge ${l.volume} > open volume ${parent.volume} of #${parentId}`);
            if (parent && l.side === parent.side) bad('hedge on the same side as its position');
            if (openHedge.has(parentId)) bad(`second hedge for #${parentId} while #${openHedge.get(parentId)} is open`);
            openHedge.set(parentId, l.positionId);
          }
        }
        ledger.set(l.positionId, { side: l.side as Side, volume: l.volume!, sl: l.newSl, closed: false, hedgeOf });
      }
      return;
    }
    const p = ledger.get(l.positionId);
    if (!p) {
      bad('line for a position that was never opened');
      return;
    }
    if (l.result !== 'applied') return;
    if (p.closed) bad('applied after the position closed');
    if (l.openVolume !== null && Math.abs(l.openVolume - p.volume) > EPS)
      bad(`openVolume ${l.openVolume} but ${p.volume} is open`);
    if (l.intentId) {
      if (appliedIds.has(l.intentId)) bad(`intent ${l.intentId} applied twice`);
      appliedIds.add(l.intentId);
      applied++;
      if (l.intentId.includes(':dtms:')) dtmsApplied++;
    }
    const dtmsStop = l.kind === 'dtms' && l.newSl !== null && l.volume === null;
    const dtmsPartial = l.kind === 'dtms' && l.volume !== null && l.newSl === null;
    if (l.kind === 'dtms' && !dtmsStop && !dtmsPartial)
      return bad('applied DTMS line that is neither a stop move nor a partial close');
    if (l.kind === 'breakeven' || l.kind === 'trail' || dtmsStop) {
      const sl = l.newSl;
      if (sl === null) return bad('stop move without newSl');
      if (!isTighterStop(p.side, sl, p.sl)) bad(`stop loosened or unchanged: ${p.sl} -> ${sl}`);
      if (!isStepMultiple(sl, inst.tickSize)) bad(`stop ${sl} is not a multiple of the tick ${inst.tickSize}`);
      const gap = inst.stopsLevelPoints * inst.point;
      if (l.price !== null && (p.side === 'buy' ? sl > l.price - gap + EPS : sl < l.price + gap - EPS))
        bad(`stop ${sl} inside the stops level of price ${l.price}`);
      p.sl = sl;
    } else if (l.kind === 'partial' || dtmsPartial) {
      const v = l.volume!;
      if (v > p.volume + EPS) bad(`partial ${v} > open ${p.volume}`);
      if (!isStepMultiple(v, inst.lotStep) || v < inst.minLot - EPS)
        bad(`partial ${v} breaks lot step ${inst.lotStep} / min lot ${inst.minLot}`);
      const rest = p.volume - v;
      if (rest > EPS && rest < inst.minLot - EPS) bad(`partial leaves ${rest} < min lot`);
      p.volume = Number(rest.toFixed(8));
    } else if (l.kind === 'close') {
      const v = l.volume!;
      if (Math.abs(v - p.volume) > EPS) bad(`close of ${v} but ${p.volume} is open`);
      p.volume = 0;
      p.closed = true;
      if (p.hedgeOf !== '') openHedge.delete(p.hedgeOf);
    }
  });
  for (const id of unsettled) violations.push(`intent ${id}: unknown answer never settled`);
  return { violations, applied, positions: ledger.size, hedges, dtmsApplied };
}
