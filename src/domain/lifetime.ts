// A live session manages positions as lifetimes: a position from the moment Warden first sees it open
// at the venue to the moment it is gone. A venue may hand the same ticket to a later position (the
// paper account after a restart, Binance's one position per symbol and side, an MT5 demo reset), so
// the ticket alone cannot key what Warden keeps about a position: plans, DTMS state, decisions and the
// intent journal key on the lifetime instead. The key is the ticket and the how-manieth lifetime of
// that ticket the store has seen (`2100002#1`, `XAU/USDT:USDT:long#3`), so it never repeats in a
// store and still reads as the ticket it belongs to. Stores written before lifetimes were kept have
// rows keyed by the bare ticket: `ticketOfKey` reads those as their own ticket.

/** The key of the `n`-th lifetime (1, 2, ...) of `ticket`. */
export function lifetimeKey(ticket: string, n: number): string {
  return `${ticket}#${n}`;
}

/** The ticket a lifetime key belongs to (a bare ticket, from an older store, is its own). */
export function ticketOfKey(key: string): string {
  const at = key.lastIndexOf('#');
  return at > 0 && /^\d+$/.test(key.slice(at + 1)) ? key.slice(0, at) : key;
}

/** True for a close of the managed position's DTMS hedge (its target is not the position's own ticket). */
export function closesHedge(intent: { kind: string; positionId: string; targetId: string }): boolean {
  return intent.kind === 'close' && intent.targetId !== '' && intent.targetId !== ticketOfKey(intent.positionId);
}
