import type { HttpRequest } from './types.js';

/**
 * The client's IP: the socket address, unless that peer is a trusted proxy, in which case the
 * right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left
 * are client-controlled and never believed).
 */
export function clientIp(request: HttpRequest, trustedProxies: readonly string[]): string | null {
  let ip = request.ip;
  if (!ip || trustedProxies.length === 0 || !trustedProxies.includes(ip)) return ip;
  const forwarded = request.headers['x-forwarded-for'];
  if (!forwarded) return ip;
  const hops = forwarded.split(',').map((h) => h.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    ip = hops[i]!;
    if (!trustedProxies.includes(ip)) return ip.slice(0, 64);
  }
  return ip;
}
