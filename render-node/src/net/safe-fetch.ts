import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { isPublicAddress } from './address-policy.js';

/**
 * GET a URL that arrived through the API: only http(s), every address it resolves to and every
 * redirect checked against the address policy. The check runs at connection time (the socket's
 * own DNS lookup), so a name that resolves differently a second later cannot slip through.
 */

export interface OutboundPolicy {
  /** Let private, loopback and link-local addresses through (ALLOW_PRIVATE_URLS). */
  allowPrivate: boolean;
  /** Addresses allowed even when private (a known internal media host). */
  trustedAddresses?: string[];
  maxRedirects?: number;
}

function allowed(address: string, policy: OutboundPolicy): boolean {
  return policy.allowPrivate || isPublicAddress(address) || (policy.trustedAddresses ?? []).includes(address);
}

export class OutboundRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

export interface SafeGetOptions {
  policy: OutboundPolicy;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Give up when the server has not answered (headers) within this time. */
  timeoutMs?: number;
}

export interface SafeResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
  /** The URL that answered, after redirects. */
  url: string;
}

/** Refuses a URL before any connection: the scheme, and a literal address in it. */
export function checkOutboundUrl(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefused(`not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundRefused(`only http and https URLs are fetched, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.username || url.password) throw new OutboundRefused('URLs with credentials are not fetched');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && !allowed(host, policy)) {
    throw new OutboundRefused(`${host} is a private, loopback or link-local address`);
  }
  return url;
}

function guardedLookup(policy: OutboundPolicy): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as dns.LookupAddress[];
      const refused = list.filter((a) => !allowed(a.address, policy));
      if (refused.length > 0) {
        return callback(new OutboundRefused(`${hostname} resolves to ${refused[0]!.address}, a private, loopback or link-local address`), '', 0);
      }
      if ((options as dns.LookupOptions).all) return callback(null, list as unknown as string, 0);
      const first = list[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

export async function safeGet(rawUrl: string, options: SafeGetOptions): Promise<SafeResponse> {
  const maxRedirects = options.policy.maxRedirects ?? 5;
  let url = checkOutboundUrl(rawUrl, options.policy);
  for (let hop = 0; ; hop++) {
    const response = await request(url, options);
    const location = response.headers.location;
    if (response.statusCode && [301, 302, 303, 307, 308].includes(response.statusCode) && location) {
      response.resume();
      if (hop >= maxRedirects) throw new OutboundRefused(`more than ${maxRedirects} redirects`);
      url = checkOutboundUrl(new URL(location, url).toString(), options.policy);
      continue;
    }
    return { status: response.statusCode ?? 0, headers: response.headers, body: response, url: url.toString() };
  }
}

function request(url: URL, options: SafeGetOptions): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, {
      headers: { 'user-agent': 'cutroom', ...options.headers },
      lookup: guardedLookup(options.policy),
      signal: options.signal,
      // No shared agent: each hop resolves and checks afresh.
      agent: false,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer from ${url.host} within ${options.timeoutMs} ms`)), options.timeoutMs ?? 30_000);
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
