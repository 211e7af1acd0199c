// Telegram commands, what they say and do: /status, /positions, /trade N, /exits_on N, /exits_off N,
// /trail N, /shadow, /help. Replies are Telegram HTML, every text from outside (symbols, notes,
// reasons, arguments) escaped. The reads are the HTTP API's views of the same session (views.ts,
// shadowRoutes.ts); the actions are the API's own functions (positionActions.ts), each recorded in the
// decision journal with source 'telegram' and the chat and user that asked. An unknown command gets
// the help text; a bad or unknown ticket gets one line saying so.
import type { Logger } from 'pino';
import type { AccountSession } from '../execution/accountSession.ts';
import type { DecisionRecord } from '../exits/decisionRecord.ts';
import { switchExits, startTrailing, type ManualSource } from '../service/positionActions.ts';
import { shadowReport } from '../service/shadowRoutes.ts';
import { compareTickets, positionViewOfTicket, positionViews, type PositionView } from '../service/views.ts';
import type { WardenStore } from '../store/store.ts';
import type { AccountFigures, AccountFiguresSnapshot } from '../service/accountFigures.ts';
import { escapeHtml } from './channels.ts';
import type { Sleep } from './notifier.ts';
import { NOTIFY_ENV, type NotifyConfig } from '../config/notifySchema.ts';
import { TelegramCommandPoller, type BotCommand } from './telegramPoller.ts';

/** What the commands read and act on: the running service's parts. */
export interface WardenControl {
  session: AccountSession;
  store: WardenStore;
  version: string;
  /** Which account, for a person (no secret in it). */
  account: string;
  /** The embedded paper account (mode 'paper' unless shadowed). */
  paper: boolean;
  /** The session's clock: the time of the decision records of actions. */
  clock: () => number;
  /** The account's money (the dashboard's strip); absent: not known here. */
  figures?: AccountFigures;
}

/** Positions listed by /positions and /shadow at most: a reply stays well under Telegram's 4096 characters. */
export const MAX_LISTED = 25;
/** Decisions shown by /trade. */
export const TRADE_DECISIONS = 6;
const NOTE_CHARS = 160;
/** Tickets as the API takes them (apiSchemas' ticketParams). */
const TICKET = /^[A-Za-z0-9_.:/-]{1,64}$/;

export const HELP_TEXT = [
  '<b>Warden commands</b>',
  "/status - mode, health, balance, equity and today's P/L, positions managed",
  '/positions - open positions: ticket, symbol, side, volume, entry, SL, profit, exits on/off',
  '/trade N - position N: its exit plan, SL, DTMS and last decisions',
  "/exits_on N - turn position N's intelligent exits on",
  '/exits_off N - turn them off (DTMS, if it defends N, goes on defending it)',
  '/trail N - start ATR trailing of N now, before breakeven',
  '/shadow - shadow mode: what Warden would have done, beside what happened',
  '/help - this list',
  'N is a ticket as /positions shows it.',
].join('\n');

const e = escapeHtml;
const fixed = (x: number | null | undefined, digits: number): string =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);
const signed = (x: number | null, digits = 2): string =>
  x === null || !Number.isFinite(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
/** A time for a person (2026-03-11 10:00:00 UTC): from epoch ms (a decision record) or ISO (a view's, as the API's); 'never' when not known. */
const utc = (t: number | string | null): string => {
  const ms = typeof t === 'string' ? Date.parse(t) : (t ?? Number.NaN);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC` : 'never';
};
const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 3)}...` : text);

export class TelegramCommands {
  constructor(private readonly c: WardenControl) {}

  /** The reply to one command (Telegram HTML). */
  async answer(cmd: BotCommand): Promise<string> {
    switch (cmd.name) {
      case 'status':
        return this.status(this.c.figures ? await this.c.figures.read() : null);
      case 'positions':
        return this.positions();
      case 'trade':
        return this.withTicket(cmd, (t) => Promise.resolve(this.trade(t)));
      case 'exits_on':
      case 'exits_off':
        return this.withTicket(cmd, (t) => this.exits(t, cmd.name === 'exits_on', cmd.from));
      case 'trail':
        return this.withTicket(cmd, (t) => this.trail(t, cmd.from));
      case 'shadow':
        return this.shadow();
      case 'help':
      case 'start':
        return HELP_TEXT;
      default:
        return `Unknown command /${e(cmd.name)}.\n\n${HELP_TEXT}`;
    }
  }

  /** Runs `run` with the one ticket the command takes, or says in one line what is wrong with the argument. */
  private withTicket(cmd: BotCommand, run: (ticket: string) => Promise<string>): Promise<string> {
    const usage = `/${cmd.name} N, N a ticket as /positions shows it`;
    if (cmd.args.length === 0) return Promise.resolve(`Which position? Usage: ${usage}.`);
    if (cmd.args.length > 1) return Promise.resolve(`One ticket only. Usage: ${usage}.`);
    const t = cmd.args[0]!.replace(/^#/, '');
    if (!TICKET.test(t)) return Promise.resolve(`"${e(cut(t, 40))}" is not a ticket. Usage: ${usage}.`);
    return run(t);
  }

  private mode(): string {
    const shadowed = this.c.session.shadow?.shadowed() ?? [];
    if (shadowed.length > 0) return 'shadow';
    return this.c.paper ? 'paper' : 'live';
  }

  private status(account: AccountFiguresSnapshot | null): string {
    const s = this.c.session;
    const h = s.health();
    const views = positionViews(s);
    const exitsOff = views.filter((v) => !v.exits.enabled).length;
    const dtmsOff = views.filter((v) => v.dtms !== null && !v.dtms.enabled).length;
    const lines = [`<b>Warden ${e(this.c.version)}</b>, mode <b>${this.mode()}</b>`, `Account: ${e(this.c.account)}`];
    lines.push(`Health: <b>${h.status}</b>`);
    for (const r of h.reasons.slice(0, 5)) lines.push(`- ${e(cut(r, 200))}`);
    if (h.reasons.length > 5) lines.push(`- and ${h.reasons.length - 5} more (GET /api/health)`);
    let managed = `Positions managed: ${h.positions}`;
    if (h.hedges > 0) managed += `, DTMS hedges open: ${h.hedges}`;
    if (exitsOff > 0) managed += `, exits off on ${exitsOff}`;
    if (dtmsOff > 0) managed += `, out of DTMS's hands: ${dtmsOff}`;
    lines.push(managed);
    lines.push(...this.money(account));
    lines.push(
      `Last engine step: ${utc(h.lag.lastStepAt)}${h.lag.barsBehind > 0 ? `, ${h.lag.barsBehind} bar(s) waiting` : ''}`,
    );
    const shadow = s.shadow;
    if (shadow !== undefined) {
      const promoted = shadow.snapshot().promoted;
      lines.push(
        `Shadowed: ${e(shadow.shadowed().join(', ') || 'none')}; promoted to live: ${e(promoted.join(', ') || 'none')} (/shadow)`,
      );
    }
    return lines.join('\n');
  }

  /** Balance, equity, open and today's realized P/L, as the strip shows them; said when not known or old. */
  private money(a: AccountFiguresSnapshot | null): string[] {
    const f = a?.funds?.value;
    if (a === null || f === undefined)
      return [
        a !== null && a.errors.length > 0
          ? `Balance, equity: not known (${e(cut(a.errors.join('; '), 200))})`
          : 'Balance, equity: not reported by this venue',
      ];
    const cur = e(f.currency);
    const today = a.today?.value;
    const lines = [
      `Balance ${fixed(f.balance, 2)} ${cur}, equity ${fixed(f.equity, 2)}, open P/L ${signed(f.equity - f.balance)}`,
    ];
    lines.push(
      today
        ? `Today (since ${utc(today.from)}): realized ${signed(today.realized)} in ${today.bookings} booking(s)`
        : "Today's realized P/L: not reported by this venue",
    );
    if (a.errors.length > 0)
      lines.push(
        `(as of ${utc(Math.min(...[a.funds?.at, a.today?.at].filter((t): t is number => t !== undefined)))}: ${e(cut(a.errors.join('; '), 200))})`,
      );
    return lines;
  }

  private digits(symbol: string): number {
    return this.c.session.engine.instrument(symbol)?.digits ?? 5;
  }

  private positionLine(v: PositionView): string {
    const d = this.digits(v.symbol);
    return `<b>#${e(v.ticket)}</b> ${e(v.symbol)} ${v.side.toUpperCase()} ${v.volume} @ ${fixed(v.entry, d)}, SL ${fixed(v.sl, d)}, P/L ${signed(v.profit)}, exits ${v.exits.enabled ? 'on' : 'off'}`;
  }

  private positions(): string {
    const views = positionViews(this.c.session).sort((a, b) => compareTickets(a.ticket, b.ticket));
    if (views.length === 0) return 'No open position under management.';
    const lines = [
      `<b>Open positions: ${views.length}</b>`,
      ...views.slice(0, MAX_LISTED).map((v) => this.positionLine(v)),
    ];
    if (views.length > MAX_LISTED) lines.push(`... and ${views.length - MAX_LISTED} more (GET /api/positions)`);
    return lines.join('\n');
  }

  private notManaged(ticket: string): string {
    return `No position ${e(ticket)} under management (/positions lists them).`;
  }

  private trade(ticket: string): string {
    const v = positionViewOfTicket(this.c.session, ticket);
    if (v === null) return this.notManaged(ticket);
    const d = this.digits(v.symbol);
    const x = v.exits;
    const lines = [this.positionLine(v)];
    lines.push(
      `TP ${fixed(v.tp, d)}, price ${fixed(v.price, d)}, ${fixed(v.rAchieved, 2)} R, ${fixed(v.progressPct, 1)}% of the way to target`,
    );
    lines.push(`Stop moved by: ${v.stopOwner === 'dtms' ? 'DTMS' : 'the exit plan'}`);
    lines.push(`Exits: ${x.enabled ? 'on' : 'off'}, ${e(x.tradeType)}`);
    const be = x.breakevenR !== null ? `at ${x.breakevenR} R` : `at ${x.breakevenPct}% of the way`;
    lines.push(`- breakeven ${be}: ${x.breakevenDone ? 'done' : 'not yet'}`);
    lines.push(`- partial close of ${x.partialClosePct}% at ${x.partialPct}%: ${x.partialDone ? 'done' : 'not yet'}`);
    const trailing = !x.trailingEnabled
      ? 'off'
      : x.trailingActive
        ? `active, ${x.trailMoves} move(s)`
        : x.trailNow
          ? 'asked to start now'
          : 'on, waiting for breakeven';
    lines.push(`- trailing: ${trailing}`);
    if (x.pending !== null) lines.push(`Intent in flight: ${e(x.pending)}`);
    if (v.dtms === null) lines.push('DTMS: not defending it');
    else if (!v.dtms.enabled)
      lines.push(`DTMS: out of its hands since ${utc(v.dtms.disabledAt)}: ${e(v.dtms.disabledReason ?? '')}`);
    else
      lines.push(
        `DTMS: ${e(v.dtms.state)}, ${v.dtms.score !== null ? `score ${fixed(v.dtms.score, 0)}` : 'no deep check yet'}${v.dtms.hedgeId !== null ? `, hedge #${e(v.dtms.hedgeId)}` : ''}`,
      );
    if (v.shadow !== null) {
      lines.push(
        `Shadow: would-be SL ${fixed(v.shadow.wouldBeSl, d)}, volume ${v.shadow.wouldBeVolume}, would-be ${fixed(v.shadow.wouldBeR, 2)} R vs actual ${fixed(v.shadow.actualR, 2)} R`,
      );
    }
    const decisions = this.c.store.decisionsOf([v.lifetime], TRADE_DECISIONS);
    lines.push('<b>Last decisions</b>');
    if (decisions.length === 0) lines.push('none yet');
    for (const r of decisions) lines.push(decisionLine(r, d));
    return lines.join('\n');
  }

  private mark(from: string): ManualSource {
    return `telegram (${from})`;
  }

  private async exits(ticket: string, on: boolean, from: string): Promise<string> {
    const done = await switchExits(this.c.session, ticket, on, this.mark(from));
    if (done === null) return this.notManaged(ticket);
    const v = positionViewOfTicket(this.c.session, ticket);
    const what = v === null ? `#${e(ticket)}` : `#${e(ticket)} (${e(v.symbol)} ${v.side.toUpperCase()})`;
    if (!done.changed) return `Intelligent exits were already ${on ? 'on' : 'off'} for ${what}: nothing changed.`;
    const defends = v?.dtms?.enabled === true;
    const dtms = defends ? (on ? 'DTMS defends it too.' : 'DTMS still defends it.') : 'DTMS does not defend it.';
    return `Intelligent exits ${on ? 'on' : 'off'} for ${what}. ${dtms}`;
  }

  private async trail(ticket: string, from: string): Promise<string> {
    const failed = await startTrailing(this.c.session, ticket, this.mark(from));
    if (failed !== null) return failed[0] === 404 ? this.notManaged(ticket) : `Not done: ${e(failed[1])}.`;
    return `Trailing of #${e(ticket)} starts now: the stop follows the price from the next step, and only ever tightens.`;
  }

  private shadow(): string {
    const r = shadowReport(this.c.session);
    if (r.mode === 'live') return 'Not in shadow mode: every decision is sent.';
    const t = r.totals;
    const lines = [
      '<b>Shadow mode</b>',
      `Shadowed: ${e(r.shadowed.join(', ') || 'none')}; promoted to live: ${e(r.promoted.join(', ') || 'none')}`,
      `Positions: ${t.positions} (${t.final} ended both ways); would-be decisions: ${t.decisions} on ${t.acted} position(s)`,
    ];
    if (t.diffMeanR !== null) {
      lines.push(
        `Mean R: would-be ${fixed(t.shadowMeanR, 3)} vs actual ${fixed(t.actualMeanR, 3)}; difference ${signed(t.diffMeanR, 3)}${t.diffSeR !== null ? ` (SE ${fixed(t.diffSeR, 3)})` : ''}`,
      );
      lines.push(`Would have done better on ${t.better}, worse on ${t.worse}, the same on ${t.same}`);
    }
    const listed = [...r.positions].sort((a, b) => compareTickets(a.ticket, b.ticket));
    for (const p of listed.slice(0, MAX_LISTED)) {
      const ended = p.shadowExit !== null ? `, would-be exit: ${e(p.shadowExit.how)}` : '';
      lines.push(
        `#${e(p.ticket)} ${e(p.symbol)} ${p.side.toUpperCase()}: ${p.decisions} decision(s), would-be ${fixed(p.shadowR, 2)} R vs actual ${fixed(p.actualR, 2)} R${ended}`,
      );
    }
    if (listed.length > MAX_LISTED) lines.push(`... and ${listed.length - MAX_LISTED} more (GET /api/shadow)`);
    return lines.join('\n');
  }
}

/** One decision, one line: when, which rule, what came of it, why, the stop move if any, and its note cut short. */
function decisionLine(r: DecisionRecord, digits: number): string {
  const sl = Number.isFinite(r.newSl) ? `, SL ${fixed(r.oldSl, digits)} -> ${fixed(r.newSl, digits)}` : '';
  const note = r.note !== '' ? `: ${e(cut(r.note, NOTE_CHARS))}` : '';
  return `${utc(r.time).slice(5, 16)} ${r.rule} ${r.outcome} (${r.reason})${sl}${note}`;
}

/**
 * The command poller a `notify:` section asks for (telegram.commands with a bot token and a numeric or
 * @name chat id), answering with `control`'s service; null when commands are off. Not started.
 */
export function createTelegramCommands(
  config: NotifyConfig,
  log: Logger,
  control: WardenControl,
  now: () => number,
  sleep?: Sleep,
): TelegramCommandPoller | null {
  const t = config.telegram;
  if (t === undefined || !t.commands) return null;
  if (t.botToken === undefined || t.chatId === undefined) {
    log.warn(
      { channel: 'telegram' },
      `telegram commands off: bot token or chat id missing (${NOTIFY_ENV.telegramBotToken}, ${NOTIFY_ENV.telegramChatId})`,
    );
    return null;
  }
  const commands = new TelegramCommands(control);
  return new TelegramCommandPoller({
    botToken: t.botToken,
    chatId: t.chatId,
    apiBaseUrl: t.apiBaseUrl,
    pollTimeoutSec: t.pollTimeoutSec,
    commandsPerMinute: t.commandsPerMinute,
    timeoutMs: config.timeoutMs,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    log,
    answer: (cmd) => commands.answer(cmd),
    now,
    ...(sleep !== undefined ? { sleep } : {}),
  });
}
