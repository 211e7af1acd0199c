// A local HTTP server standing in for Discord's webhook endpoint or Telegram's Bot API: it records
// every request (method, path, headers, JSON body) and answers from a script; 'hang' never answers
// (until the server closes), 'hold' waits for release().
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface Answer {
  status: number;
  body?: string | Record<string, unknown>;
  headers?: Record<string, string>;
}

export type Reply = Answer | 'hang' | 'hold';

export class FakeService {
  readonly received: Received[] = [];
  private readonly script: Reply[] = [];
  private readonly held: ServerResponse[] = [];
  private readonly hung: ServerResponse[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  private constructor(
    private readonly server: Server,
    /** http://127.0.0.1:PORT */
    readonly base: string,
    private fallback: Reply,
  ) {}

  static async start(fallback: Reply = { status: 200, body: { ok: true, result: {} } }): Promise<FakeService> {
    let svc: FakeService | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        svc?.handle(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks).toString('utf8'), res),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    svc = new FakeService(server, `http://127.0.0.1:${port}`, fallback);
    return svc;
  }

  /** Answers for the next requests, in order; then the fallback. */
  reply(...replies: Reply[]): this {
    this.script.push(...replies);
    return this;
  }

  setFallback(reply: Reply): void {
    this.fallback = reply;
  }

  /** Answers every held request with `answer`. */
  release(answer: Answer = { status: 200, body: { ok: true, result: {} } }): void {
    for (const res of this.held.splice(0)) this.answer(res, answer);
  }

  /** Resolves once `n` requests have arrived (rejects after `timeoutMs`: a wait, not a speed check). */
  waitFor(n: number, timeoutMs = 20_000): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${n} requests, got ${this.received.length}`)),
        timeoutMs,
      );
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async close(): Promise<void> {
    for (const res of [...this.held.splice(0), ...this.hung.splice(0)]) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(method: string, path: string, headers: IncomingHttpHeaders, raw: string, res: ServerResponse): void {
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Kept as text.
    }
    this.received.push({ method, path, headers, body });
    const ready = this.waiters.filter((w) => this.received.length >= w.n);
    this.waiters = this.waiters.filter((w) => this.received.length < w.n);
    for (const w of ready) w.resolve();
    const reply = this.script.shift() ?? this.fallback;
    if (reply === 'hang') this.hung.push(res);
    else if (reply === 'hold') this.held.push(res);
    else this.answer(res, reply);
  }

  private answer(res: ServerResponse, a: Answer): void {
    const text = a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    res.writeHead(a.status, { ...(text !== '' ? { 'content-type': 'application/json' } : {}), ...a.headers });
    res.end(text);
  }
}
