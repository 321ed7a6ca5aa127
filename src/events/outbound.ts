import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { invalidField } from '../http/errors.js';

/**
 * Outbound URL policy for webhooks and webhook executors: an admin key must not turn the server
 * into a scanner of its own network. A target whose host is (or resolves to) a loopback,
 * link-local, private, unique-local, unspecified, multicast or reserved address is refused when
 * it is configured (a 400 naming the field) and again when the connection is made: the host is
 * resolved once, the addresses are checked, and the socket connects to a checked address — so a
 * name that resolved to a public address at creation and to 127.0.0.1 later (DNS rebinding)
 * still cannot reach it. `OUTBOUND_ALLOW_PRIVATE=true` lifts the rule (receivers on a private
 * network, tests).
 */

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some)
  ['ff00::', 8], // multicast
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6');

/** True for an address no outbound request may reach (IPv4-mapped IPv6 is judged by its IPv4 address). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: never connect to it
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A connection the policy refused; its message names the host, never what it resolved to. */
export class OutboundRefused extends Error {
  readonly code = 'EOUTBOUNDREFUSED';
  constructor(readonly host: string) {
    super(`refused: ${host} is or resolves to a loopback, link-local, private or reserved address (OUTBOUND_ALLOW_PRIVATE=true allows it)`);
    this.name = 'OutboundRefused';
  }
}

export const isOutboundRefused = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 'EOUTBOUNDREFUSED';

/** Resolves a host name to every address (what dns.lookup with `all` gives). Tests inject their own. */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

const systemResolve: ResolveHost = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

export interface OutboundPolicy {
  /** At configuration time: 400 naming `field` when the URL's host is or resolves to a refused address. */
  check(url: string, field: string): Promise<void>;
  /** fetch for webhook deliveries and executors: the connection is made only to a checked address. */
  fetch: typeof fetch;
}

export function createOutboundPolicy(options: { allowPrivate: boolean; resolve?: ResolveHost }): OutboundPolicy {
  const resolveHost = options.resolve ?? systemResolve;
  const allowed = (address: string) => options.allowPrivate || !isPrivateAddress(address);

  // Node's socket connect calls this instead of dns.lookup and connects to what it returns: the
  // addresses checked are the addresses used.
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolveHost(hostname).then(
      (addresses) => {
        const usable = addresses.filter((a) => allowed(a.address));
        if (usable.length === 0) return callback(new OutboundRefused(hostname), '', 0);
        if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
        const first = usable.find((a) => !lookupOptions.family || a.family === lookupOptions.family) ?? usable[0]!;
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };

  const guardedFetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    // An address literal never goes through lookup: it is checked here.
    if (isIP(hostOf(url)) && !allowed(hostOf(url))) throw new OutboundRefused(hostOf(url));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    return new Promise<Response>((resolve, reject) => {
      const req = send(url, { method: init.method ?? 'GET', headers, lookup, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
        const status = res.statusCode ?? 502;
        // Redirects are never followed (a public URL could point at an internal one).
        if (init.redirect === 'error' && status >= 300 && status < 400) {
          res.resume();
          return reject(new TypeError(`redirect (HTTP ${status}) refused`));
        }
        const empty = [204, 205, 304].includes(status) || init.method === 'HEAD';
        if (empty) res.resume();
        const body = empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, headers: toHeaders(res.headers) }));
      });
      req.on('error', reject);
      req.end(typeof init.body === 'string' || init.body instanceof Uint8Array ? init.body : undefined);
    });
  }) as typeof fetch;

  return {
    async check(raw, field) {
      if (options.allowPrivate) return;
      const url = new URL(raw);
      const host = hostOf(url);
      // RFC 6761: every *.localhost name is loopback, whatever a resolver says.
      if (host === 'localhost' || host.endsWith('.localhost')) throw invalidField(field, `${host} is a loopback name`);
      if (isIP(host)) {
        if (!allowed(host)) throw invalidField(field, `${host} is a loopback, link-local, private or reserved address`);
        return;
      }
      // A name that does not resolve now is accepted: it is checked again at every connection.
      const addresses = await resolveHost(host).catch(() => []);
      if (addresses.some((a) => !allowed(a.address))) throw invalidField(field, `${host} resolves to a loopback, link-local, private or reserved address`);
    },
    fetch: guardedFetch,
  };
}

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}
