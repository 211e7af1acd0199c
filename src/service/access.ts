// Who may address the server. A web page the trader opens elsewhere can make the browser send requests
// here: through DNS rebinding (its own name resolving to 127.0.0.1, so its script reads our answers as
// same-origin) or cross-origin (a form POST, an <img>). Either way the request names a host that is not
// this server, in Host or in Origin, so both are checked against an allow-list before anything runs.
// Binding beyond loopback is a decision the trader states: a token of their own, and TLS or a proxy.

/** Addresses that only this machine can reach. */
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export const isLoopback = (host: string): boolean => LOOPBACK.has(host.toLowerCase());

/** A host as an allow-list compares it: lowercase, no trailing dot, IPv6 in brackets, IPv4-mapped IPv6 as IPv4. */
function normalName(name: string): string {
  let n = name.toLowerCase().replace(/\.$/, '');
  if (n.startsWith('[::ffff:') && n.endsWith(']') && n.includes('.')) n = n.slice(8, -1);
  else if (n.startsWith('::ffff:') && n.includes('.')) n = n.slice(7);
  else if (n.includes(':') && !n.startsWith('[')) n = `[${n}]`;
  return n;
}

/** `name[:port]` split; null when it is not that shape (two colons outside brackets, a port that is not a number). */
export function splitHost(value: string): { name: string; port: number | null } | null {
  const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return null;
  return { name: normalName(m[1]!), port: m[2] === undefined ? null : Number(m[2]) };
}

export interface HostPolicy {
  /** The address the server was told to bind (service.host). */
  boundHost: string;
  /** service.allowedHosts: a name alone is allowed on any port, name:port on that port only. */
  allowedHosts: readonly string[];
  /** The scheme the server speaks (a Host without a port means its default port). */
  tls: boolean;
}

export class HostAllowList {
  private readonly own: Set<string>;
  private readonly named: { name: string; port: number | null }[];
  private readonly defaultPort: number;

  constructor(p: HostPolicy) {
    this.own = new Set(['localhost', '127.0.0.1', '[::1]']);
    const bound = normalName(p.boundHost);
    // A wildcard bind is no name a client uses: the address a connection arrived on stands for it (below).
    if (bound !== '0.0.0.0' && bound !== '[::]') this.own.add(bound);
    this.named = p.allowedHosts
      .map((h) => splitHost(h))
      .filter((h): h is { name: string; port: number | null } => h !== null);
    this.defaultPort = p.tls ? 443 : 80;
  }

  /**
   * Whether `host` (a Host header's value, or an Origin's host and port) names this server, reached on
   * `localAddress`:`localPort`. This server's own names must carry its port (another local service on
   * another port is another origin); the address a connection arrived on is allowed as an IP literal
   * (no rebinding page can name an IP address and be same-origin with us); configured names as given.
   */
  allows(
    host: { name: string; port: number | null },
    localAddress: string | undefined,
    localPort: number | undefined,
  ): boolean {
    const port = host.port ?? this.defaultPort;
    for (const n of this.named) if (n.name === host.name && (n.port === null || n.port === port)) return true;
    if (port !== localPort) return false;
    if (this.own.has(host.name)) return true;
    return localAddress !== undefined && normalName(localAddress) === host.name;
  }

  /** Why a request is refused ('' when allowed): its Host, or its Origin, names another host. */
  refusal(
    headers: { host?: string | undefined; origin?: string | undefined },
    localAddress: string | undefined,
    localPort: number | undefined,
  ): string {
    const host = headers.host === undefined ? null : splitHost(headers.host);
    if (host === null || !this.allows(host, localAddress, localPort)) {
      return `the Host header (${headers.host ?? 'none'}) does not name this server; add the name to service.allowedHosts to reach it by that name`;
    }
    if (headers.origin !== undefined) {
      const origin = parseOrigin(headers.origin);
      if (origin === null || !this.allows(origin, localAddress, localPort))
        return `the Origin header (${headers.origin}) is not this server: a page of another site may not call this API`;
    }
    return '';
  }
}

/** An Origin's host and port (http and https only); null for `null`, another scheme or a malformed one. */
function parseOrigin(origin: string): { name: string; port: number | null } | null {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { name: normalName(u.hostname), port };
}

/**
 * Why the service must not start on `host` ('' when it may): beyond loopback every read is open to the
 * network, so it needs a token the trader chose (a generated one sits in a file beside the store, where
 * nobody on the network has it and the trader may not know it is needed), and the token and positions
 * must not cross the network in plain text: TLS here, or a proxy in front that does it.
 */
export function exposureRefusal(o: {
  host: string;
  explicitToken: boolean;
  tls: boolean;
  behindProxy: boolean;
}): string {
  if (isLoopback(o.host)) return '';
  const missing: string[] = [];
  if (!o.explicitToken)
    missing.push('an API token of your own (service.token or WARDEN_API_TOKEN; every read needs it beyond loopback)');
  if (!o.tls && !o.behindProxy)
    missing.push('TLS (service.tls: {cert, key}) or a TLS-terminating proxy in front (service.behindProxy: true)');
  if (missing.length === 0) return '';
  return `refusing to listen on ${o.host} (service.host, --host), beyond loopback, without ${missing.join(', and ')}; or bind 127.0.0.1`;
}

/** The header the dashboard's pages send with their API calls (it separates budgets and names the surface; it is no authentication). */
export const PAGE_HEADER = 'x-warden-page';

/** The header Warden's MCP server sends with the API calls its tools make (it names the surface; it is no authentication). */
export const MCP_HEADER = 'x-warden-mcp';

/** The surface a trader's request came from, for its `manual` decision record: the dashboard, an agent through MCP, or a direct API call. */
export function requestSource(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): 'page' | 'mcp' | 'api' {
  if (headers[PAGE_HEADER] !== undefined) return 'page';
  return headers[MCP_HEADER] !== undefined ? 'mcp' : 'api';
}
