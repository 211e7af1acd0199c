// /api/events: the live updates as server-sent events, one stream per open page. A stream that
// cannot keep up is closed rather than buffered without end; every stream ends with the server.
import type { FastifyInstance } from 'fastify';
import type { EventHub } from './eventHub.ts';

/** A stream whose socket buffer holds more than this is too slow: it is closed. */
const SSE_MAX_BUFFERED = 1 << 20;

export function registerEventStream(app: FastifyInstance, hub: EventHub): void {
  const streams = new Set<{ destroy(): void }>();
  app.get('/api/events', { schema: { hide: true } }, (req, reply) => {
    // HEAD: the stream's headers, and done (a stream held open for a HEAD never completes).
    if (req.method === 'HEAD')
      return reply
        .code(200)
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send();
    reply.hijack();
    const res = reply.raw;
    streams.add(res);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    const unsubscribe = hub.subscribe((e) => {
      if (res.writableLength > SSE_MAX_BUFFERED) {
        res.destroy();
        return;
      }
      res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const end = () => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(res);
    };
    req.raw.on('close', end);
    res.on('close', end);
  });
  app.addHook('preClose', () => {
    // Streams end with the server: a graceful stop does not wait for open pages.
    for (const r of streams) r.destroy();
  });
}
