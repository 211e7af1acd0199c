// A local HTTP server standing in for Telegram's Bot API, for the command tests: getMe names the bot;
// getUpdates answers from a queue of updates the test adds (offset confirms those before it, a negative
// offset keeps only the last ones, as Telegram does) and, when none is waiting, holds the request until
// one is queued or its `timeout` passes; sendMessage is recorded. Tests wait on what it sees (a poll
// held, a message sent, a poll the client dropped), never on time.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const BOT_USERNAME = 'warden_test_bot';

export interface SentMessage {
  chat_id: number | string;
  text: string;
  parse_mode?: string;
}

export interface PollCall {
  offset: number;
  timeout: number;
  allowed_updates: unknown;
}

interface Held {
  res: ServerResponse;
  offset: number;
  timer: NodeJS.Timeout | null;
}

type Json = Record<string, unknown>;

/** One scripted answer for the next call of a method, instead of the usual one. */
export interface Scripted {
  status: number;
  body: Json | string;
}

/** A promise per future item of a list: `next()` resolves with the item after the last one taken. */
class Feed<T> {
  readonly all: T[] = [];
  private taken = 0;
  private waiting: ((t: T) => void)[] = [];

  push(t: T): void {
    this.all.push(t);
    const w = this.waiting.shift();
    if (w !== undefined) {
      this.taken++;
      w(t);
    }
  }

  next(): Promise<T> {
    if (this.taken < this.all.length) return Promise.resolve(this.all[this.taken++]!);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

export class FakeTelegram {
  /** Every sendMessage body, in order. */
  readonly sent = new Feed<SentMessage>();
  /** Every getUpdates body, in order. */
  readonly polls: PollCall[] = [];
  /** Each time a getUpdates is held waiting for an update. */
  readonly held = new Feed<PollCall>();
  /** Each held getUpdates the client closed before it was answered (an aborted long poll). */
  readonly dropped = new Feed<PollCall>();
  /** Every request's path, in order (the token is in it: the tests look for it in logs). */
  readonly paths: string[] = [];
  private readonly queue: Json[] = [];
  private nextId = 500;
  private nextMessageId = 1;
  private readonly waiting: Held[] = [];
  private readonly scripts = new Map<string, Scripted[]>();

  private constructor(
    private readonly server: Server,
    /** http://127.0.0.1:PORT */
    readonly base: string,
    private readonly token: string,
  ) {}

  static async start(token: string): Promise<FakeTelegram> {
    let fake: FakeTelegram | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => fake?.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    fake = new FakeTelegram(server, `http://127.0.0.1:${port}`, token);
    return fake;
  }

  /** The next calls of `method` get these answers, in order. */
  script(method: string, ...answers: Scripted[]): void {
    this.scripts.set(method, [...(this.scripts.get(method) ?? []), ...answers]);
  }

  /** Queues a text message from a chat (default: a private chat with the user @trader); returns its update_id. */
  message(
    text: string,
    chat: { id: number; username?: string; type?: string } = { id: 4242 },
    fromUser = 'trader',
  ): number {
    const id = this.nextId++;
    this.queue.push({
      update_id: id,
      message: {
        message_id: this.nextMessageId++,
        date: 1_773_223_200,
        chat: { type: 'private', ...chat },
        from: { id: 7, is_bot: false, first_name: 'T', username: fromUser },
        text,
      },
    });
    this.flush();
    return id;
  }

  /** Polls waiting now. */
  get holding(): number {
    return this.waiting.length;
  }

  async close(): Promise<void> {
    for (const h of this.waiting.splice(0)) {
      if (h.timer !== null) clearTimeout(h.timer);
      h.res.destroy();
    }
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, raw: string, res: ServerResponse): void {
    const path = req.url ?? '';
    this.paths.push(path);
    let body: Json = {};
    try {
      body = JSON.parse(raw) as Json;
    } catch {
      // No JSON body: every field takes its default.
    }
    const prefix = `/bot${this.token}/`;
    if (!path.startsWith(prefix))
      return this.answer(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = path.slice(prefix.length);
    const scripted = this.scripts.get(method)?.shift();
    if (method === 'getUpdates') {
      const call: PollCall = {
        offset: Number(body.offset ?? 0),
        timeout: Number(body.timeout ?? 0),
        allowed_updates: body.allowed_updates,
      };
      this.polls.push(call);
      if (scripted !== undefined) return this.answer(res, scripted.status, scripted.body);
      return this.poll(call, res);
    }
    if (scripted !== undefined) return this.answer(res, scripted.status, scripted.body);
    if (method === 'getMe')
      return this.answer(res, 200, {
        ok: true,
        result: { id: 1, is_bot: true, first_name: 'Warden', username: BOT_USERNAME },
      });
    if (method === 'sendMessage') {
      this.sent.push(body as unknown as SentMessage);
      return this.answer(res, 200, {
        ok: true,
        result: { message_id: this.nextMessageId++, chat: { id: body.chat_id }, text: body.text },
      });
    }
    return this.answer(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
  }

  private poll(call: PollCall, res: ServerResponse): void {
    if (call.offset < 0) {
      // Only the last -offset updates come back; every one before them is forgotten.
      this.queue.splice(0, Math.max(0, this.queue.length + call.offset));
      return this.answer(res, 200, { ok: true, result: [...this.queue] });
    }
    // Updates before the offset are confirmed: gone for good.
    while (this.queue.length > 0 && Number(this.queue[0]!.update_id) < call.offset) this.queue.shift();
    if (this.queue.length > 0 || call.timeout <= 0) return this.answer(res, 200, { ok: true, result: [...this.queue] });
    const h: Held = { res, offset: call.offset, timer: null };
    h.timer = setTimeout(() => this.release(h), call.timeout * 1000);
    res.on('close', () => {
      if (res.writableEnded) return;
      const i = this.waiting.indexOf(h);
      if (i < 0) return;
      this.waiting.splice(i, 1);
      if (h.timer !== null) clearTimeout(h.timer);
      this.dropped.push(call);
    });
    this.waiting.push(h);
    this.held.push(call);
  }

  /** Answers every held poll that has updates now. */
  private flush(): void {
    for (const h of [...this.waiting]) this.release(h);
  }

  private release(h: Held): void {
    const i = this.waiting.indexOf(h);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    if (h.timer !== null) clearTimeout(h.timer);
    const result = this.queue.filter((u) => Number(u.update_id) >= h.offset);
    this.answer(h.res, 200, { ok: true, result });
  }

  private answer(res: ServerResponse, status: number, body: Json | string): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  }
}
