// MCP over streamable HTTP at /mcp on `warden serve`: the same port, the same loopback default and Host
// checks, and the bearer token on every request (an agent reads the account and proposes changes: it
// is the trader's program, never an anonymous caller). Stateless: each request gets a fresh server and
// transport (the tools keep no state of their own; Warden's state is the session's), answered as JSON.
// The tools call the API in process (Fastify's inject) with the token and the MCP header.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { MCP_HEADER } from '../service/access.ts';
import { createWardenMcpServer, type WardenApiCall } from './wardenMcp.ts';

export const MCP_PATH = '/mcp';

export function registerMcpRoute(
  app: FastifyInstance,
  o: {
    token: string;
    version: string;
    requireToken: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
    inProcess: { header: string; key: string };
  },
): void {
  // The tools' calls name the host the agent reached (it passed the Host check), as a caller of the API would.
  const caller =
    (host: string): WardenApiCall =>
    async (method, path, body) => {
      const r = await app.inject({
        method,
        url: path,
        headers: {
          host,
          [o.inProcess.header]: o.inProcess.key,
          authorization: `Bearer ${o.token}`,
          [MCP_HEADER]: '1',
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
      let parsed: unknown = null;
      try {
        parsed = r.json();
      } catch {
        parsed = r.body;
      }
      return { status: r.statusCode, body: parsed };
    };
  // Stateless: no session to end (DELETE) and no stream of the server's own messages to hold open
  // (GET): an open stream would also keep a stopping server waiting. The SDK's client takes the 405.
  app.route({
    method: ['GET', 'DELETE'],
    url: MCP_PATH,
    onRequest: o.requireToken,
    schema: { hide: true },
    handler: async (req, reply) =>
      reply
        .code(405)
        .header('allow', 'POST')
        .send({
          error: 'method_not_allowed',
          message: `${req.method} is not served at ${MCP_PATH}: this MCP server is stateless, every message is a POST`,
        }),
  });
  app.route({
    method: 'POST',
    url: MCP_PATH,
    onRequest: o.requireToken,
    schema: { hide: true },
    handler: async (req, reply) => {
      const server = createWardenMcpServer(caller(req.headers.host ?? '127.0.0.1'), { version: o.version });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req.raw, reply.raw, req.body);
    },
  });
}
