import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from 'pino';
import { tooManyRequests } from './errors.js';

/**
 * Failed authentication per client address: unknown tokens, wrong API keys, a wrong
 * ADMIN_TOKEN, refused `user_event`s. After `limit` failures within `windowS` of its first one,
 * the address gets 429 on anything that needs a credential until that window has passed, so
 * tokens cannot be guessed at speed. Every failure is logged (never the token), and the moment an address is blocked.
 * Counts are per replica: with N replicas an address gets at most N times the limit.
 */

export interface AuthFailureOptions {
  /** Failures allowed per address in the window; 0: no limit. */
  limit: number;
  windowS: number;
}

export interface AuthFailure {
  /** What was asked for: `user`, `apiKey`, `admin`, `websocket`. */
  credential: string;
  reason: string;
  method?: string;
  path?: string;
}

export class AuthFailureLimiter {
  private readonly limiter: RateLimiterMemory | undefined;

  constructor(
    private readonly options: AuthFailureOptions,
    private readonly log: Logger,
  ) {
    this.limiter = options.limit > 0 ? new RateLimiterMemory({ keyPrefix: 'auth-failures', points: options.limit, duration: options.windowS }) : undefined;
  }

  /** Seconds an address must still wait, or 0 when it may try. */
  async blockedForS(address: string): Promise<number> {
    const state = await this.limiter?.get(address);
    if (!state || state.consumedPoints < this.options.limit) return 0;
    return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
  }

  /** Throws the 429 an address that failed too often gets. */
  async check(address: string): Promise<void> {
    const waitS = await this.blockedForS(address);
    if (waitS > 0) {
      throw tooManyRequests(`too many failed authentications from this address; retry in ${waitS} s`).withHeaders({ 'Retry-After': String(waitS) });
    }
  }

  /** Counts and logs one failure of an address. */
  async record(address: string, failure: AuthFailure): Promise<void> {
    if (!this.limiter) {
      this.log.warn({ clientAddress: address, ...failure }, 'authentication failed');
      return;
    }
    let state: RateLimiterRes;
    try {
      state = await this.limiter.consume(address);
    } catch (rejected) {
      if (!(rejected instanceof RateLimiterRes)) throw rejected;
      state = rejected;
    }
    this.log.warn({ clientAddress: address, ...failure, failures: state.consumedPoints }, 'authentication failed');
    if (state.consumedPoints === this.options.limit) {
      this.log.warn(
        { clientAddress: address, failures: state.consumedPoints, blockedForS: Math.ceil(state.msBeforeNext / 1000) },
        'address blocked after repeated authentication failures',
      );
    }
  }
}
