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
    const answers = await Promise.all([pool.run('analyzeBody', big), pool.run('analyzeBody', big)]);
    expect(pool.runningThreads).toBe(2);
    for (const answer of answers) expect(answer).toEqual(cpuTasks.analyzeBody(big));
    expect(errors).toEqual([]);
  });

  it('says what is wrong with a large body that is not JSON', async () => {
    const broken = Buffer.concat([body(20_000), Buffer.from('}')]);
    expect(await pool.run('analyzeBody', broken)).toEqual({ ok: false, message: `unexpected data after the JSON value at byte ${broken.length - 1}` });
  });

  it('runs everything inline with no threads', async () => {
    const inline = new CpuPool(0);
    const big = body(20_000);
    expect(await inline.run('analyzeBody', big)).toEqual(cpuTasks.analyzeBody(big));
    expect(inline.runningThreads).toBe(0);
    await inline.close();
  });
});
