import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * Which proxies may say who the client is (X-Forwarded-For). Trusting every hop would let any
 * client name itself anything, and so dodge per-address limits; by default only proxies on
 * loopback, link-local and private networks (an ingress in the cluster) are believed.
 */
export type TrustProxy = boolean | number | string[];

export type TrustFunction = (address: string, hop: number) => boolean;

export function compileTrust(trust: TrustProxy): TrustFunction {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust);
}

/** The client's address as the trusted proxies report it (also for WebSocket upgrades). */
export function clientAddress(req: IncomingMessage, trust: TrustFunction): string {
  return proxyaddr(req, trust) || 'unknown';
}
