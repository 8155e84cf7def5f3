import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

/** Address ranges a webhook may not reach unless ARBITER_WEBHOOK_ALLOW_PRIVATE is set: the operator's own network. */
const FORBIDDEN: ReadonlyArray<{ cidr: string; what: string }> = [
  { cidr: '0.0.0.0/8', what: 'unspecified' },
  { cidr: '10.0.0.0/8', what: 'private' },
  { cidr: '100.64.0.0/10', what: 'shared (carrier-grade NAT)' },
  { cidr: '127.0.0.0/8', what: 'loopback' },
  { cidr: '169.254.0.0/16', what: 'link-local' },
  { cidr: '172.16.0.0/12', what: 'private' },
  { cidr: '192.0.0.0/24', what: 'reserved' },
  { cidr: '192.0.2.0/24', what: 'documentation' },
  { cidr: '192.168.0.0/16', what: 'private' },
  { cidr: '198.18.0.0/15', what: 'benchmarking' },
  { cidr: '198.51.100.0/24', what: 'documentation' },
  { cidr: '203.0.113.0/24', what: 'documentation' },
  { cidr: '224.0.0.0/4', what: 'multicast' },
  { cidr: '240.0.0.0/4', what: 'reserved' },
  { cidr: '::/128', what: 'unspecified' },
  { cidr: '::1/128', what: 'loopback' },
  // RFC 8215: the operator's own NAT64, whose translation of the embedded IPv4 address we cannot know.
  { cidr: '64:ff9b:1::/48', what: 'NAT64 (local use)' },
  { cidr: '100::/64', what: 'discard' },
  { cidr: '2001:db8::/32', what: 'documentation' },
  { cidr: 'fc00::/7', what: 'private (unique local)' },
  { cidr: 'fe80::/10', what: 'link-local' },
  { cidr: 'fec0::/10', what: 'site-local' },
  { cidr: 'ff00::/8', what: 'multicast' },
];

/** The 16 bytes of an IPv6 address (IPv4 addresses as IPv4-mapped), or undefined if `ip` is not an address. */
export function addressBytes(ip: string): Uint8Array | undefined {
  const v4 = (text: string): number[] | undefined => {
    const parts = text.split('.');
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
    return parts.map(Number);
  };
  if (isIP(ip) === 4) return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4(ip)!]);
  if (isIP(ip) !== 6) return undefined;
  let text = ip.replace(/%.*$/, '');
  let tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail = v4(dotted[1])!;
    text = text.slice(0, -dotted[1].length) + '0:0';
  }
  const [head, rest] = text.split('::');
  const words = (s: string | undefined) => (s ? s.split(':').filter((w) => w !== '').map((w) => parseInt(w, 16)) : []);
  const left = words(head);
  const right = rest === undefined ? [] : words(rest);
  const all = rest === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  if (dotted) bytes.set(tail, 12);
  return bytes;
}

function inCidr(bytes: Uint8Array, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const isV4 = isIP(base) === 4;
  const baseBytes = addressBytes(base)!;
  const bits = Number(bitsText) + (isV4 ? 96 : 0);
  for (let i = 0; i < 16; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    if (take === 0) return true;
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[i] & mask) !== (baseBytes[i] & mask)) return false;
  }
  return true;
}

/**
 * Why `ip` may not be called ("loopback", "private", …), or undefined for a public address. IPv6 forms that carry an
 * IPv4 address (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4 address.
 */
export function forbiddenAddressReason(ip: string): string | undefined {
  const bytes = addressBytes(ip);
  if (!bytes) return 'unparseable';
  const embedded = (offset: number) => `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  const isMapped = zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (!isMapped) {
    if (zeros(0, 12) && !zeros(12, 16) && !(zeros(12, 15) && bytes[15] === 1)) return forbiddenAddressReason(embedded(12));
    if (inCidr(bytes, '64:ff9b::/96')) return forbiddenAddressReason(embedded(12));
    if (inCidr(bytes, '2002::/16')) return forbiddenAddressReason(embedded(2));
  }
  return FORBIDDEN.find((range) => (isIP(range.cidr.split('/')[0]) === 4) === isMapped && inCidr(bytes, range.cidr))?.what;
}

export class ForbiddenAddressError extends Error {
  readonly code = 'EFORBIDDENADDRESS';
}

/**
 * A `lookup` for http(s).request that refuses hostnames resolving to a forbidden address. The check applies to the
 * address actually connected to, so a name that resolves to a public address at creation and a private one later
 * (DNS rebinding) is still refused.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as dns.LookupAddress[];
    const bad = list.map((a) => ({ a, why: forbiddenAddressReason(a.address) })).find((x) => x.why);
    if (bad) return callback(new ForbiddenAddressError(`${hostname} resolves to a ${bad.why} address (${bad.a.address})`), '', 0);
    if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
    if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    callback(null, list[0].address, list[0].family);
  });
};

/**
 * Refuses a webhook URL whose host is, or resolves to, a forbidden address. Returns a reason, or undefined when the
 * URL may be used.
 */
export async function refuseUrlReason(url: URL, resolve: (host: string) => Promise<string[]> = resolveAll): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) {
    const why = forbiddenAddressReason(host);
    return why ? `${host} is a ${why} address` : undefined;
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return `${host} does not resolve`;
  }
  if (addresses.length === 0) return `${host} does not resolve`;
  for (const address of addresses) {
    const why = forbiddenAddressReason(address);
    if (why) return `${host} resolves to a ${why} address (${address})`;
  }
  return undefined;
}

async function resolveAll(host: string): Promise<string[]> {
  const found = await dns.promises.lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}
