import { afterAll, describe, expect, it } from 'vitest';
import { CpuPool, OFFLOAD_BYTES } from './cpu-pool.js';
import { cpuTasks } from './cpu-tasks.js';

describe('CpuPool', () => {
  const errors: Error[] = [];
  const pool = new CpuPool(2, (error) => errors.push(error));
  afterAll(() => pool.close());

  const body = (clips: number) =>
    Buffer.from(JSON.stringify({ name: 'p', data: { clips: Array.from({ length: clips }, (_, i) => ({ id: `clip-${i}`, title: `Plan ${i} — ✂` })) } }));

  it('answers on its threads what the work answers inline', async () => {
    const big = body(20_000);
    expect(big.length).toBeGreaterThan(OFFLOAD_BYTES);
    const expected = cpuTasks.analyzeBody(big);
    // One body whose buffer is its own (handed to a thread and back), one sharing a larger buffer (copied).
    const own = Buffer.from(big);
    const shared = Buffer.concat([big, Buffer.from('trailing')]).subarray(0, big.length);
    const answers = await Promise.all([pool.run('analyzeBody', own), pool.run('analyzeBody', shared)]);
    expect(pool.runningThreads).toBe(2);
    for (const answer of answers) {
      expect(answer.result).toEqual(expected);
      expect(answer.bytes.equals(big)).toBe(true);
    }
    expect(own.length).toBe(0); // handed over: the answer's bytes are the ones to use
    expect(shared.length).toBe(big.length);
    expect(errors).toEqual([]);
  });

  it('says what is wrong with a large body that is not JSON', async () => {
    const broken = Buffer.concat([body(20_000), Buffer.from('}')]);
    const last = broken.length - 1;
    expect((await pool.run('analyzeBody', broken)).result).toEqual({ ok: false, message: `unexpected data after the JSON value at byte ${last}` });
  });

  it('runs everything inline with no threads', async () => {
    const inline = new CpuPool(0);
    const big = body(20_000);
    expect((await inline.run('analyzeBody', big)).result).toEqual(cpuTasks.analyzeBody(big));
    expect(inline.runningThreads).toBe(0);
    await inline.close();
  });
});
