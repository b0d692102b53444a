/**
 * How guessable an editor token is. The editor API's client makes its token from `Date.now()`: a
 * 13-digit number anyone can guess within a live session. With a policy set, a token shorter
 * than `minLength`, or whose estimated entropy is under `minBits`, is refused.
 *
 * The estimate is deliberately simple and conservative: a unix time near now (seconds or
 * milliseconds, within two years) at either end of a digit run counts for nothing, and the rest counts
 * its length times the Shannon entropy of its own characters. `Date.now()` scores 0, and with
 * 32 random bits added about 20; of 1.2 million 128-bit random tokens (UUIDs, 32 hex digits, 22
 * base64url characters) none scored under 48, a few under 56 (their random digits read as a clock).
 */

export interface TokenPolicy {
  /** 0: any length. */
  minLength: number;
  /** 0: no entropy check. */
  minBits: number;
}

/** A clock this near now counts as the clock; wider, random digits of a good token would match too often. */
const CLOCK_WINDOW_MS = 2 * 365.25 * 86_400_000;

/** The estimated entropy of a token, in bits. */
export function estimatedTokenBits(token: string, nowMs = Date.now()): number {
  const rest = token.replace(/\d{10,}/g, (digits) => withoutClock(digits, nowMs));
  if (rest.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of rest) counts.set(char, (counts.get(char) ?? 0) + 1);
  const length = [...rest].length;
  let perChar = 0;
  for (const count of counts.values()) perChar -= (count / length) * Math.log2(count / length);
  return perChar * length;
}

/** Why a token is too weak for the policy, or undefined when it passes. */
export function tokenWeakness(token: string, policy: TokenPolicy, nowMs = Date.now()): string | undefined {
  if (policy.minLength > 0 && token.length < policy.minLength) {
    return `authToken must be at least ${policy.minLength} characters long (use 128 random bits, e.g. crypto.randomUUID())`;
  }
  if (policy.minBits > 0 && estimatedTokenBits(token, nowMs) < policy.minBits) {
    return `authToken is too easy to guess (a time or a repeated pattern); use 128 random bits, e.g. crypto.randomUUID()`;
  }
  return undefined;
}

/** A run of digits less the unix time near now (seconds or milliseconds) it starts or ends with. */
function withoutClock(digits: string, nowMs: number): string {
  for (const [length, scale] of [
    [13, 1],
    [10, 1000],
  ] as const) {
    if (digits.length < length) continue;
    const near = (candidate: string) => Math.abs(Number(candidate) * scale - nowMs) < CLOCK_WINDOW_MS;
    if (near(digits.slice(0, length))) return digits.slice(length);
    if (near(digits.slice(-length))) return digits.slice(0, -length);
  }
  return digits;
}
