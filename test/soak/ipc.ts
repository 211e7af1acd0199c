// The messages between the soak driver (the parent, which holds the venue) and `warden serve` in its
// child process. The child's adapter reaches the venue only through these: the ccxt adapter's HTTP
// requests (ccxt's fetchImplementation) and the MetaApi adapter's SDK calls (its gateway) are asked of
// the parent and answered by it, so the venue outlives every `kill -9` of the child. The channel uses
// Node's advanced serialization (structured clone): Dates and plain objects cross as they are; errors
// cross as their name, message and own fields, since a thrown SDK error is told apart by those.

/** How the child starts: argv[2] as JSON. */
export interface ChildStart {
  venue: 'binance' | 'metaapi';
  /** The store file (kept across restarts) and the config file `warden serve --config` would read. */
  store: string;
  config: string;
  /** The venue's clock when the child starts (epoch ms). */
  now: number;
}

/** An error as it crossed the channel. */
export interface WireError {
  name: string;
  message: string;
  /** Its own enumerable fields (numericCode, stringCode, metadata, details, status...). */
  fields: Record<string, unknown>;
}

/** A Response as it crossed the channel. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ChildMessage =
  | { t: 'ready'; url: string; pid: number }
  | { t: 'fatal'; message: string }
  | { t: 'fetch'; id: number; url: string; method: string; body: string | null }
  | { t: 'gateway'; id: number; method: string; args: unknown[] };

export type ParentMessage =
  | { t: 'time'; now: number }
  | { t: 'reply'; id: number; now: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; now: number; ok: false; error: WireError }
  /** MetaApi's streaming connection: candles and the quote, pushed as the SDK's listener receives them. */
  | { t: 'stream'; now: number; symbol: string; candles: unknown[]; price: unknown };

export function toWireError(err: unknown): WireError {
  if (err instanceof Error) {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(err)) if (k !== 'stack') fields[k] = v;
    return { name: err.name, message: err.message, fields };
  }
  return { name: 'Error', message: String(err), fields: {} };
}

export function fromWireError(w: WireError): Error {
  const e = new Error(w.message);
  Object.assign(e, w.fields);
  e.name = w.name;
  return e;
}
