/**
 * A room's optional URL allowlist: the pages its kiosk may open. Each entry is a pattern in the
 * subset of Chromium's URL filter format (URLAllowlist policy) that we can also check here:
 *
 *   [http:// | https://] [.]host [:port] [/path-prefix]
 *
 * `example.org` allows example.org and its subdomains on any scheme, `.example.org` that host
 * only, `https://example.org/docs` that scheme and path prefix. host is a DNS name or an IPv4
 * address; no wildcards (an allowlist of "*" is no allowlist: leave it out instead). Chromium
 * enforces the list (browser@.service binds the room's policy file); this module validates it at
 * CreateRoom and checks that the start page is on it, so a room never starts on a blocked page.
 * The list limits what the kiosk navigates to (pages and frames); what those pages fetch is up
 * to the egress rules, not to this list.
 */

export const ALLOWLIST_LIMITS = { entries: 50, patternMax: 300 } as const;

export interface UrlPattern {
  scheme: 'http' | 'https' | null;
  /** Lower-case host, without the leading dot. */
  host: string;
  /** true for a leading dot: this host only, no subdomains. */
  exactHost: boolean;
  port: number | null;
  /** Path prefix, starting with '/', or null for any path. */
  path: string | null;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// RFC 3986 path characters, no quotes, backslashes, spaces or controls (the pattern goes into a
// JSON policy file and an env file; both are escaped anyway, this keeps patterns readable).
const PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;

/** Parses one pattern; throws an Error whose message says what is wrong. */
export function parsePattern(raw: string): UrlPattern {
  const text = raw.trim();
  if (text === '') throw new Error('is empty');
  if (text.length > ALLOWLIST_LIMITS.patternMax) throw new Error(`is longer than ${ALLOWLIST_LIMITS.patternMax} characters`);
  let rest = text;
  let scheme: UrlPattern['scheme'] = null;
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(rest);
  if (m) {
    const s = m[1]!.toLowerCase();
    if (s !== 'http' && s !== 'https') throw new Error(`uses ${s}:, only http and https pages can be allowed`);
    scheme = s;
    rest = rest.slice(m[0].length);
  }
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? null : rest.slice(slash);
  if (path !== null && !PATH.test(path)) throw new Error('has characters a URL path cannot hold');
  if (/[?#@]/.test(authority)) throw new Error('must be [scheme://]host[:port][/path] (no user, query or fragment)');
  const hp = /^(\.?)([^:]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!hp) throw new Error('must be [scheme://]host[:port][/path]');
  const host = hp[2]!.toLowerCase().replace(/\.$/, '');
  if (host.includes('*')) throw new Error('cannot hold wildcards (example.org already allows its subdomains)');
  const isIp = IPV4.test(host);
  if (!isIp && (host.length > 253 || !host.split('.').every((l) => LABEL.test(l)))) throw new Error(`has no valid host name (${host})`);
  const port = hp[3] === undefined ? null : Number(hp[3]);
  if (port !== null && (port < 1 || port > 65535)) throw new Error('has a port outside 1-65535');
  return { scheme, host, exactHost: hp[1] === '.' || isIp, port, path: path === '/' ? null : path };
}

/** The pattern as Chromium's URLAllowlist reads it (normalised: lower-case scheme and host). */
export function formatPattern(p: UrlPattern): string {
  return `${p.scheme ? `${p.scheme}://` : ''}${p.exactHost && !IPV4.test(p.host) ? '.' : ''}${p.host}${p.port !== null ? `:${p.port}` : ''}${p.path ?? ''}`;
}

/** Whether `url` is on the list, the way Chromium matches these patterns. */
export function allows(patterns: UrlPattern[], url: string): boolean {
  const u = new URL(url);
  const scheme = u.protocol.slice(0, -1);
  const host = u.hostname.toLowerCase();
  const port = u.port ? Number(u.port) : scheme === 'https' ? 443 : 80;
  return patterns.some(
    (p) =>
      (p.scheme === null || p.scheme === scheme) &&
      (host === p.host || (!p.exactHost && host.endsWith(`.${p.host}`))) &&
      (p.port === null || p.port === port) &&
      (p.path === null || u.pathname.startsWith(p.path)),
  );
}

/** Every http and https page: what a room without an allowlist may open. */
export const ALLOW_ALL_WEB = ['http://*', 'https://*'] as const;

/** The URLAllowlist a room's kiosk gets: its own list, or every http/https page. */
export function policyAllowlist(list: readonly string[] | null | undefined): string[] {
  return list && list.length > 0 ? [...list] : [...ALLOW_ALL_WEB];
}
