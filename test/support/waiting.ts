/**
 * Waiting in tests. To wait FOR something, poll it with `vi.waitFor` or `expect.poll`, with an
 * explicit timeout and a short interval, so that the test goes on as soon as it holds. The two
 * helpers here are for the other cases. (A delay that is part of what a test plays, such as a
 * slow server's pacing, is `setTimeout` from node:timers/promises, named as such.)
 */

/**
 * Lets `ms` pass, to prove that something does NOT happen within that window (a callback not
 * sent twice, a request still held, a process left alive). Never use it to wait for something.
 */
export const holdFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The promise's value, or a failure if it has not settled within `ms`. This proves that a call
 * does not hang (on a lock, a dead peer, a full queue); the bound is generous on purpose and is
 * no latency figure: latency is measured in bench/.
 */
export async function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}
