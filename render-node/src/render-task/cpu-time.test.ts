import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuTime } from './cpu-time.js';

describe('cpuTime', () => {
  it("counts a finished child's CPU as the tools' and this process's own as the node's", () => {
    const before = cpuTime();
    // A child busy on a core for 300 ms, then waited for.
    spawnSync(process.execPath, ['-e', 'const s = Date.now(); while (Date.now() - s < 300);']);
    const afterChild = cpuTime();
    expect(afterChild.toolsMs! - before.toolsMs!).toBeGreaterThanOrEqual(200);
    for (const start = Date.now(); Date.now() - start < 100;);
    expect(cpuTime().nodeMs - afterChild.nodeMs).toBeGreaterThanOrEqual(80);
  });
});
