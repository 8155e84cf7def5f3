import type { IncomingMessage } from 'node:http';

/** Express's compiled `trust proxy` setting (`app.get('trust proxy fn')`): is the hop at `address`, `i` hops away, trusted? */
export type TrustProxyFn = (address: string, i: number) => boolean;

/**
 * The client's address as Express computes `req.ip`, for requests Express never sees (WebSocket upgrades): the
 * socket's peer, then the X-Forwarded-For entries from the nearest, walked while the hop that added them is trusted.
 */
export function clientAddress(req: IncomingMessage, trust: TrustProxyFn): string {
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '')
    .reverse();
  const hops = [req.socket.remoteAddress ?? 'unknown', ...forwarded];
  for (let i = 0; i < hops.length - 1; i++) {
    if (!trust(hops[i], i)) return hops[i];
  }
  return hops[hops.length - 1];
}
