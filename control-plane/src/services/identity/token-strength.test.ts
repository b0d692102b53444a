import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { estimatedTokenBits, tokenWeakness } from './token-strength.js';

const now = Date.UTC(2026, 5, 1);
const policy = { minLength: 20, minBits: 48 };

describe('token strength', () => {
  it("scores the editor API's Date.now() token, and a time with a little noise, as guessable", () => {
    expect(estimatedTokenBits(String(now), now)).toBe(0);
    expect(estimatedTokenBits(String(now - 3 * 86_400_000), now)).toBe(0);
    expect(estimatedTokenBits(String(Math.floor(now / 1000)), now)).toBe(0);
    expect(tokenWeakness(String(now), policy, now)).toMatch(/at least 20 characters/);
    // What our own tests' clients send: a time and 32 random bits.
    expect(tokenWeakness(`${now}${randomBytes(4).toString('hex')}`, policy, now)).toMatch(/too easy to guess/);
    expect(tokenWeakness(`${randomBytes(4).toString('hex')}${now}`, policy, now)).toMatch(/too easy to guess/);
    expect(tokenWeakness('a'.repeat(64), policy, now)).toMatch(/too easy to guess/);
    expect(tokenWeakness('abababababababababababab', policy, now)).toMatch(/too easy to guess/);
  });

  it('accepts 128 random bits however they are written', () => {
    for (let i = 0; i < 200; i++) {
      for (const token of [randomUUID(), randomBytes(16).toString('hex'), randomBytes(16).toString('base64url')]) {
        expect(tokenWeakness(token, policy, now), token).toBeUndefined();
      }
    }
  });

  it('checks nothing when the policy is off', () => {
    expect(tokenWeakness('1', { minLength: 0, minBits: 0 }, now)).toBeUndefined();
    // Digits that are not a time near now count like any other characters.
    expect(estimatedTokenBits('31415926535897932384626433', now)).toBeGreaterThan(64);
  });
});
