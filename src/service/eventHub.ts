// Live updates for the pages (server-sent events): the service publishes each market step and each
// stored decision; every open /api/events stream receives them. Publishing never waits on a client:
// a client that cannot keep up (its socket buffer full) is dropped, not the engine.
export interface HubEvent {
  /** 'step': a bar was played and decided on; 'decision': a decision record was stored. */
  type: 'step' | 'decision';
  /** The event's JSON: its times ISO 8601 UTC, as every answer of the API (`time`: the step's or the decision's). */
  data: unknown;
}

export type HubListener = (e: HubEvent) => void;

export class EventHub {
  private readonly listeners = new Set<HubListener>();

  subscribe(listener: HubListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(type: HubEvent['type'], data: unknown): void {
    for (const l of this.listeners) l({ type, data });
  }

  get clients(): number {
    return this.listeners.size;
  }
}
