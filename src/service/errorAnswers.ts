// The API's one error shape for every failure: 400 with a message for a malformed request, 405 naming
// the methods a known path takes, 404 for an unknown route, 429 past a rate limit, 503 while the store
// cannot be written, 500 without internals (the server log has them).
import type { FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { StoreUnavailableError } from '../execution/storeOutage.ts';

/** Past a rate limit: the error handler answers 429 with this message. */
export class RateLimitedError extends Error {
  readonly statusCode = 429;
}

/** The methods a path may be routed for (405 names those it takes). */
const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Error names of the 4xx statuses fastify raises itself (the rest are bad_request). */
const CLIENT_ERRORS: Readonly<Record<number, string>> = {
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Sets the error and not-found handlers: every refusal is `{ error, message }` with its status. */
export function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const first = err.validation[0];
      // A whole object's issue (an unknown key of a strict object) has the path '/': no field to name.
      const where =
        first?.instancePath && first.instancePath !== '/'
          ? `${err.validationContext ?? 'request'}${first.instancePath.replaceAll('/', '.')}`
          : (err.validationContext ?? 'request');
      return reply.code(400).send({ error: 'bad_request', message: `${where}: ${first?.message ?? 'invalid'}` });
    }
    // The store cannot be written now (a full disk, a lock): nothing was changed, and it may work later.
    if (err instanceof StoreUnavailableError)
      return reply.code(503).send({ error: 'store_unavailable', message: err.message });
    if (err instanceof RateLimitedError) return reply.code(429).send({ error: 'rate_limited', message: err.message });
    const status =
      typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number'
        ? err.statusCode
        : 500;
    if (status >= 400 && status < 500) {
      const message = err instanceof Error ? err.message : 'bad request';
      return reply.code(status).send({ error: CLIENT_ERRORS[status] ?? 'bad_request', message });
    }
    req.log.error({ err, url: req.url }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error (see the server log)' });
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    // A known path asked with another method is 405 naming the methods it takes, not an unknown route.
    const allow = ROUTE_METHODS.filter((m) => m !== req.method && app.findRoute({ method: m, url: path }) !== null);
    if (allow.length > 0)
      return reply
        .code(405)
        .header('allow', allow.join(', '))
        .send({ error: 'method_not_allowed', message: `${req.method} is not allowed on ${path}: ${allow.join(', ')}` });
    return reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${path}` });
  });
}
