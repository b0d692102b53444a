/**
 * Whether an error means a service Cutroom depends on (Postgres, the object store) cannot be
 * reached right now, rather than a fault of the request or of Cutroom: such a request gets 503
 * with Retry-After, and the same request succeeds once the service is back.
 */

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** Postgres: connection exceptions (class 08), shutting down or starting up, too many connections. */
const POSTGRES_UNAVAILABLE = /^(08...|57P01|57P02|57P03|53300)$/;
const DRIVER_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|the database system is (starting up|shutting down)/i;

export function isDependencyUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    const { code, message, name, $metadata } = current as { code?: unknown; message?: unknown; name?: unknown; $metadata?: { httpStatusCode?: number } };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || POSTGRES_UNAVAILABLE.test(code))) return true;
    if (typeof message === 'string' && DRIVER_MESSAGES.test(message)) return true;
    // The AWS SDK's own timeouts, and an object store answering 503 (SlowDown, ServiceUnavailable).
    if (name === 'TimeoutError' || $metadata?.httpStatusCode === 503) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
