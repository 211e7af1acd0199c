// Plan proposals: a change to one position's exit plan, proposed by an agent (MCP), the API or a page,
// tried in shadow before it touches anything. While a proposal is in shadow, its what-if (the
// position's bars since it opened, replayed under the current plan and under the proposed one, on the
// same simulator) is shown beside what actually happened; nothing at the venue changes. Approved, it
// is applied as the trader's own plan change would be (the same checks, a `manual` decision record
// naming the proposal and who approved it); rejected, it is kept with why. Every step is a decision
// record. A proposal can only carry what a plan patch can express (triggers, the partial's size,
// trailing on/off): never a looser stop, an open or a larger volume.
import type { WardenConfig } from '../config/schema.ts';
import type { Bar, Instrument } from '../domain/types.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import { withoutStrategyToken } from '../exits/strategyTemplates.ts';
import type { AccountSession } from '../execution/accountSession.ts';
import { BarSeries } from '../market/barSeries.ts';
import { InMemoryBars } from '../market/barSource.ts';
import { runReplayJob } from '../replay/replayRun.ts';
import type { ReplayEntry } from '../replay/entries.ts';
import type { TradeRow } from '../replay/reportModel.ts';
import type { PlanProposal, WardenStore } from '../store/store.ts';
import { applyPlanChange, patchChanges, patchProblem, type PlanPatch as Patch } from './positionActions.ts';

/** Who may approve: any caller with the token (an agent included), or only a person on the dashboard. */
export type ApprovalPolicy = 'agent' | 'dashboard';

/** One side of a what-if: the replayed trade's result. */
export interface WhatIfOutcome {
  exitReason: string;
  exitTime: number;
  exitPrice: number;
  /** Profit / initial risk; null without an initial stop. */
  r: number | null;
  /** Quote currency, partials included. */
  profit: number;
  breakeven: boolean;
  partial: boolean;
  trailMoves: number;
  /** The trade still open at the last bar (closed there for the figures). */
  open: boolean;
}

export interface WhatIf {
  ticket: string;
  lifetime: string;
  symbol: string;
  patch: Patch;
  /** The bars replayed: from the first held bar (the features warm up on the bars before the open) to the latest. */
  bars: number;
  from: number;
  to: number;
  /** The plan as it is now, replayed. */
  current: WhatIfOutcome;
  /** The plan with the proposed change, replayed. */
  proposed: WhatIfOutcome;
  /** proposed.r − current.r (null without R). */
  differenceR: number | null;
  /** What actually happened so far: the venue's stop and volume now, the floating profit at the last price. */
  actual: { sl: number | null; volume: number; profit: number };
  notes: string[];
}

export class ProposalError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 422,
    message: string,
  ) {
    super(message);
  }
}

export interface ProposalBookOptions {
  session: AccountSession;
  store: WardenStore;
  /** The whole recent bars of a symbol, oldest first (undefined: not kept). */
  bars: (symbol: string) => Bar[] | undefined;
  approval: ApprovalPolicy;
  version: string;
  /** The session's clock: when a proposal was made and decided. */
  clock: () => number;
}

const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;

export class ProposalBook {
  constructor(private readonly o: ProposalBookOptions) {}

  get approval(): ApprovalPolicy {
    return this.o.approval;
  }

  /** Creates a proposal in shadow (nothing changes but the record). Throws ProposalError when it cannot apply to the position now. */
  async propose(ticket: string, patch: Patch, rationale: string, source: string): Promise<PlanProposal> {
    const { session, store } = this.o;
    return session.act(() => {
      const key = session.managedKey(ticket);
      const plan = key === undefined ? undefined : session.engine.plan(key);
      const pos = key === undefined ? undefined : session.engine.position(key);
      if (key === undefined || !plan || !pos) throw new ProposalError(404, `no position ${ticket} under management`);
      const problem = patchProblem(plan, patch);
      if (problem !== '') throw new ProposalError(409, problem);
      const changes = patchChanges(plan, patch);
      if (changes === '')
        throw new ProposalError(409, 'the proposal changes nothing: the plan already has these values');
      const p: PlanProposal = {
        id: `p-${store.proposalCount() + 1}`,
        lifetime: key,
        ticket,
        symbol: pos.symbol,
        patch: { ...patch },
        rationale,
        proposedBy: source,
        createdAt: this.o.clock(),
        status: 'shadow',
        decidedAt: null,
        decidedBy: null,
        decisionNote: '',
      };
      store.saveProposal(p);
      session.recordManual(key, `proposal ${p.id} (in shadow, nothing changed): ${changes}; why: ${rationale}`, source);
      return p;
    });
  }

  /** The proposals, latest first; one whose position closed (or was replaced) is marked void first. */
  async list(q: { status?: PlanProposal['status']; ticket?: string; limit: number }): Promise<PlanProposal[]> {
    await this.voidGone();
    return this.o.store.proposals(q);
  }

  get(id: string): PlanProposal | null {
    return this.o.store.proposal(id);
  }

  /** Applies a proposal in shadow to its position's plan. `source`: who approves ('page' for the dashboard). */
  async approve(id: string, source: string, note: string): Promise<PlanProposal> {
    if (this.o.approval === 'dashboard' && source !== 'page') {
      throw new ProposalError(
        403,
        `approval needs a person on the dashboard (proposals.approval: dashboard): open the position's page and approve ${id} there`,
      );
    }
    return this.decide(id, source, note, (plan, key, p) => {
      const problem = patchProblem(plan, p.patch);
      if (problem !== '') throw new ProposalError(409, `${id} no longer applies: ${problem}`);
      const changes = patchChanges(plan, p.patch);
      this.o.session.recordManual(
        key,
        `plan: ${changes === '' ? 'nothing left to change' : changes} (proposal ${p.id} approved${note ? `: ${note}` : ''})`,
        source,
      );
      applyPlanChange(this.o.session, key, plan, p.patch);
      return 'approved';
    });
  }

  /** Rejects a proposal in shadow; the plan stays as it is. */
  async reject(id: string, source: string, note: string): Promise<PlanProposal> {
    return this.decide(id, source, note, (_plan, key, p) => {
      this.o.session.recordManual(
        key,
        `proposal ${p.id} rejected${note ? `: ${note}` : ''}; the plan stays as it is`,
        source,
      );
      return 'rejected';
    });
  }

  private async decide(
    id: string,
    source: string,
    note: string,
    how: (plan: ExitPlan, key: string, p: PlanProposal) => 'approved' | 'rejected',
  ): Promise<PlanProposal> {
    const { session, store } = this.o;
    return session.act(() => {
      const p = store.proposal(id);
      if (p === null) throw new ProposalError(404, `no proposal ${id}`);
      if (p.status !== 'shadow') throw new ProposalError(409, `${id} is ${p.status} already`);
      const key = session.managedKey(p.ticket);
      const plan = key === p.lifetime ? session.engine.plan(key) : undefined;
      if (key !== p.lifetime || !plan) {
        const voided = {
          ...p,
          status: 'void' as const,
          decidedAt: this.o.clock(),
          decidedBy: source,
          decisionNote: `the position ${p.lifetime} is no longer managed`,
        };
        store.saveProposal(voided);
        throw new ProposalError(409, `${id} is void: ${voided.decisionNote}`);
      }
      const status = how(plan, key, p);
      const decided: PlanProposal = { ...p, status, decidedAt: this.o.clock(), decidedBy: source, decisionNote: note };
      store.saveProposal(decided);
      return decided;
    });
  }

  /** Proposals in shadow whose lifetime is no longer managed become void (said once, in the record). */
  private async voidGone(): Promise<void> {
    const { session, store } = this.o;
    const gone = store
      .proposals({ status: 'shadow', limit: 1000 })
      .filter((p) => session.managedKey(p.ticket) !== p.lifetime);
    if (gone.length === 0) return;
    await session.act(() => {
      for (const p of gone)
        store.saveProposal({
          ...p,
          status: 'void',
          decidedAt: this.o.clock(),
          decidedBy: 'warden',
          decisionNote: `the position ${p.lifetime} is no longer managed`,
        });
    });
  }

  /**
   * Replays the position's bars since it opened under its plan as it is now and under the plan with
   * `patch`, on the same simulator (the replay's paper broker), and puts both beside what actually
   * happened. The bars are the ones the service keeps (the last 2,000 per symbol): a position opened
   * before them cannot be replayed, and says so. Nothing changes.
   */
  async whatIf(ticket: string, patch: Patch): Promise<WhatIf> {
    const { session } = this.o;
    const key = session.managedKey(ticket);
    const plan = key === undefined ? undefined : session.engine.plan(key);
    const pos = key === undefined ? undefined : session.engine.position(key);
    const inst = pos === undefined ? undefined : session.engine.instrument(pos.symbol);
    if (key === undefined || !plan || !pos || !inst)
      throw new ProposalError(404, `no position ${ticket} under management`);
    const problem = patchProblem(plan, patch);
    const bars = this.o.bars(pos.symbol) ?? [];
    const first = bars[0];
    const last = bars[bars.length - 1];
    if (first === undefined || last === undefined || !(pos.openTime >= first.time)) {
      throw new ProposalError(
        422,
        `the bars since ${ticket} opened (${new Date(pos.openTime).toISOString()}) are not all held here (the service keeps the last ${bars.length} of ${pos.symbol}${first ? `, from ${new Date(first.time).toISOString()}` : ''}): no what-if`,
      );
    }
    if (pos.openTime > last.time)
      throw new ProposalError(422, `${ticket} opened after the last closed bar: nothing to replay yet`);
    const notes: string[] = [];
    if (problem !== '')
      notes.push(`applied now the change would be refused: ${problem}; the replay shows it from the open`);
    const entry: ReplayEntry = {
      time: pos.openTime,
      side: pos.side,
      volume: plan.initialVolume,
      sl: Number.isFinite(plan.initialSl) ? plan.initialSl : null,
      tp: pos.tp,
      slDistance: Number.NaN,
      tpDistance: Number.NaN,
      // The plan's template is in planConfig: a !strategy: token would choose one over it.
      comment: withoutStrategyToken(pos.comment),
      source: `position ${ticket}`,
    };
    const current = planConfig(session.engine.config, plan, {});
    const proposed = planConfig(session.engine.config, plan, patch);
    const [a, b] = await Promise.all([
      this.replay(current, inst, bars, entry),
      this.replay(proposed, inst, bars, entry),
    ]);
    if (a === null || b === null)
      throw new ProposalError(
        422,
        `the replay could not open ${ticket} at ${new Date(pos.openTime).toISOString()} (its stop or target is not valid at the replayed fill)`,
      );
    notes.push(
      "both replays open the position at the first bar at or after its open time, at that bar's price: their entry can differ from the venue's fill by the bar's move",
    );
    if (a.open || b.open) notes.push("a replayed trade still open at the last bar is valued at that bar's close");
    const q = session.engine.quote(pos.symbol);
    const price = pos.side === 'buy' ? q.bid : q.ask;
    return {
      ticket,
      lifetime: key,
      symbol: pos.symbol,
      patch: { ...patch },
      bars: bars.length,
      from: first.time,
      to: last.time,
      current: a,
      proposed: b,
      differenceR: a.r === null || b.r === null ? null : round(b.r - a.r, 3),
      actual: {
        sl: pos.sl,
        volume: pos.volume,
        profit: round((pos.side === 'buy' ? 1 : -1) * (price - pos.entryPrice) * pos.volume * inst.contractSize, 2),
      },
      notes,
    };
  }

  private async replay(
    config: WardenConfig,
    inst: Instrument,
    bars: readonly Bar[],
    entry: ReplayEntry,
  ): Promise<WhatIfOutcome | null> {
    const series = BarSeries.fromBars(bars);
    const timeframe = 'M1' as const;
    const run = await runReplayJob({
      config,
      instrument: inst,
      bars: new InMemoryBars(series),
      timeframe,
      data: {
        files: [],
        format: 'recent bars',
        timeframe,
        bars: bars.length,
        first: bars[0]!.time,
        last: bars[bars.length - 1]!.time,
        fillFile: null,
      },
      entries: [entry],
      entriesSource: entry.source,
      broker: { accountMode: 'hedging' },
      startingBalance: 10_000,
      outDir: null,
      version: this.o.version,
      maxTradeCharts: 0,
    });
    const t: TradeRow | undefined = run.report.trades[0];
    if (t === undefined) return null;
    return {
      exitReason: t.exitReason,
      exitTime: t.exitTime,
      exitPrice: t.exitPrice,
      r: t.r === null ? null : round(t.r, 3),
      profit: round(t.profit, 2),
      breakeven: t.flags.includes('breakeven'),
      partial: t.flags.includes('partial'),
      trailMoves: t.trailMoves,
      open: t.exitReason === 'end_of_data',
    };
  }
}

/** The one strategy template a what-if replay knows: the plan's own, whatever chose it live. */
const PLAN_TEMPLATE = 'this_plan';

/**
 * The config a replay of this position runs with: the plan's own base triggers, partial size and
 * trailing switch as every trade type's (the replay classifies the trade afresh), the patch over them.
 * A breakeven trigger in % replaces one set in R, as on the live plan. The plan's strategy template
 * (its trail multiplier and timeframe, its breakeven buffer; its triggers are in the base already) is
 * the only template, given to every position.
 */
export function planConfig(config: WardenConfig, plan: ExitPlan, patch: Patch): WardenConfig {
  const be = patch.breakevenPct ?? plan.baseBreakevenPct;
  const pa = patch.partialPct ?? plan.basePartialPct;
  const pc = patch.partialClosePct ?? plan.partialClosePct;
  const trailing = patch.trailingEnabled ?? plan.trailingEnabled;
  const byR = patch.breakevenPct === undefined && Number.isFinite(plan.breakevenR);
  const base = { breakevenPct: be, partialPct: pa, partialClosePct: pc };
  const x = config.exits;
  return {
    ...config,
    exits: {
      ...x,
      autoEnable: true,
      tradeTypes: { SCALP: { ...base }, INTRADAY: { ...base }, WEEKEND: { ...base } },
      breakeven: { ...x.breakeven, atR: byR ? plan.breakevenR : null },
      trailing: { ...x.trailing, enabled: x.trailing.enabled && trailing },
      strategies: {
        [PLAN_TEMPLATE]: {
          ...(Number.isNaN(plan.templateTrailingMultiplier)
            ? {}
            : { trailingMultiplier: plan.templateTrailingMultiplier }),
          ...(plan.trailTimeframe === '' ? {} : { trailingTimeframe: plan.trailTimeframe }),
          ...(Number.isNaN(plan.templateBufferMultiplier) ? {} : { bufferMultiplier: plan.templateBufferMultiplier }),
        },
      },
      strategyBySymbol: { DEFAULT: PLAN_TEMPLATE },
    },
  };
}
