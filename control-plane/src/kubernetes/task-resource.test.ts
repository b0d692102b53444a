import { describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import type { TaskKind } from '../work/dispatcher.js';
import { jobNameFor, resourceNameForTask, resourceTypeForTask, taskIdFromResourceName } from './task-resource.js';

describe('task resource names', () => {
  it('name a task reversibly with a valid Kubernetes name that leaves room for the Job suffix', () => {
    for (let i = 0; i < 200; i++) {
      const id = newId();
      const name = resourceNameForTask(id);
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(jobNameFor(name, 99).length).toBeLessThanOrEqual(63);
      expect(taskIdFromResourceName(name)).toBe(id);
    }
    expect(resourceNameForTask('AbC_-')).not.toBe(resourceNameForTask('abc_-'));
    expect(() => resourceNameForTask('x'.repeat(26))).toThrow(/too long/);
    expect(taskIdFromResourceName('rendertask-1')).toBeUndefined();
  });

  it('put every task kind in exactly one resource kind', () => {
    const kinds: TaskKind[] = ['render', 'ingest', 'import_url', 'mediainfo', 'project_import', 'probe'];
    expect(Object.fromEntries(kinds.map((k) => [k, resourceTypeForTask(k).kind]))).toEqual({
      render: 'RenderTask',
      ingest: 'ImportTask',
      import_url: 'ImportTask',
      mediainfo: 'ImportTask',
      project_import: 'ImportTask',
      probe: 'ImportTask',
    });
  });
});
