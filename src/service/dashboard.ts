// The web dashboard: plain pages (HTML, a small vanilla module each, shared CSS; no build step) served by
// the API's own server, so every URL they fetch is relative to it (the original's pages asked another
// port and got 404s). Files are read once at registration and served from memory, under a strict
// Content-Security-Policy: scripts, styles, images and connections from this server only.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where the pages' files live (HTML, JS modules, CSS, the icon). */
export const PAGES_DIR = fileURLToPath(new URL('./pages/', import.meta.url));

/** The page URLs and the file each one serves (the trade page reads its ticket from the URL). */
export const PAGE_ROUTES: Readonly<Record<string, string>> = {
  '/': 'overview.html',
  '/dtms/trade/:ticket': 'trade.html',
  '/dtms/status': 'status.html',
  '/dtms/actions': 'actions.html',
  '/dtms/engine': 'engine.html',
  '/shadow': 'shadow.html',
  '/trades': 'trades.html',
};

/** The chart library's URL (TradingView Lightweight Charts, standalone build: a global `LightweightCharts`). */
export const CHART_LIBRARY_URL = '/assets/lightweight-charts.js';

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
};

/** A file served from memory, with its content type and ETag. */
export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const asset = (body: Buffer, type: string): Asset => ({
  body,
  type,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
});

/** Every servable file of the pages directory, by name. */
export function readPages(): Map<string, Asset> {
  const files = new Map<string, Asset>();
  for (const name of readdirSync(PAGES_DIR).sort()) {
    const type = CONTENT_TYPES[extname(name)];
    if (type !== undefined) files.set(name, asset(readFileSync(join(PAGES_DIR, name)), type));
  }
  return files;
}

/** The standalone build of lightweight-charts from node_modules; null when the package is not installed. */
export function readChartLibrary(): Buffer | null {
  try {
    // The package's exports map hides dist/, so the file is found beside its package.json.
    const pkg = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
    return readFileSync(join(dirname(pkg), 'dist', 'lightweight-charts.standalone.production.js'));
  } catch {
    return null;
  }
}

/**
 * The policy of every dashboard answer: this server only. The one exception is the chart library's
 * attribution logo, which the library positions with a `<style>` element it creates: that exact text is
 * allowed by its hash (taken from the library file itself), not by 'unsafe-inline'.
 */
export function contentSecurityPolicy(chartLibrary: Buffer | null): string {
  const logoCss =
    chartLibrary === null ? undefined : /"(a#tv-attr-logo\{[^"\\]*)"/.exec(chartLibrary.toString('utf8'))?.[1];
  const styleSrc =
    logoCss === undefined ? "'self'" : `'self' 'sha256-${createHash('sha256').update(logoCss).digest('base64')}'`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src ${styleSrc}`,
    "img-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The handler of one page file under `csp`: the security headers every page answer carries, and its
 * ETag (304 when the browser has it). Also the process's accounts index serves its page with it.
 */
export function pageHandler(csp: string) {
  return (file: Asset) => (req: FastifyRequest, reply: FastifyReply) => {
    reply
      .header('content-security-policy', csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      // Revalidated on each load: a restarted Warden may serve newer pages under the same URLs.
      .header('cache-control', 'no-cache')
      .header('etag', file.etag);
    if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };
}

export async function registerDashboard(app: FastifyInstance): Promise<void> {
  const pages = readPages();
  const chartLibrary = readChartLibrary();
  if (chartLibrary === null)
    app.log.warn('lightweight-charts is not installed (npm ci): the trade page shows no price chart');
  const csp = contentSecurityPolicy(chartLibrary);

  const serve = pageHandler(csp);

  for (const [url, name] of Object.entries(PAGE_ROUTES)) {
    const page = pages.get(name);
    if (page === undefined) throw new Error(`dashboard page ${name} is missing from ${PAGES_DIR}`);
    app.get(url, { schema: { hide: true } }, serve(page));
  }
  for (const [name, file] of pages)
    if (!name.endsWith('.html')) app.get(`/assets/${name}`, { schema: { hide: true } }, serve(file));

  if (chartLibrary !== null) {
    app.get(CHART_LIBRARY_URL, { schema: { hide: true } }, serve(asset(chartLibrary, CONTENT_TYPES['.js']!)));
  } else {
    app.get(CHART_LIBRARY_URL, { schema: { hide: true } }, (_req, reply) =>
      reply.code(503).send({ error: 'unavailable', message: 'lightweight-charts is not installed: run npm ci' }),
    );
  }
}
