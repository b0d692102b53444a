import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** An opaque, unguessable, URL-safe id: 128 random bits. */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}

/** A secret handed to a person or program once (API keys, task tokens): 256 random bits. */
export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** Secrets are stored as their sha256, so a database leak does not leak them. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
