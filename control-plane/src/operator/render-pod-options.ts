import { z } from 'zod';

/**
 * What a platform adds to the render-node pods of one pool (software or GPU tasks), read as JSON
 * from RENDER_NODE_CPU_POD and RENDER_NODE_GPU_POD: scheduling (runtime class, priority,
 * tolerations, affinity), pod metadata, environment (an egress proxy) and extra volumes (a CA
 * bundle). The Job's own labels, environment and scratch volume always win over these.
 */

/** The non-root user of the render-node images (render-node/Dockerfile). */
export const RENDER_NODE_UID = 10001;

const stringMap = z.record(z.string(), z.string());
const toleration = z
  .object({
    key: z.string().optional(),
    operator: z.enum(['Exists', 'Equal']).optional(),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.number().int().optional(),
  })
  .strict();
const envVar = z.object({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), value: z.string() }).strict();
const volumeMount = z
  .object({ name: z.string().min(1), mountPath: z.string().startsWith('/'), readOnly: z.boolean().optional(), subPath: z.string().optional() })
  .strict();

export const renderPodOptionsSchema = z
  .object({
    annotations: stringMap.default({}),
    labels: stringMap.default({}),
    runtimeClassName: z.string().min(1).optional(),
    priorityClassName: z.string().min(1).optional(),
    tolerations: z.array(toleration).default([]),
    affinity: z.record(z.string(), z.unknown()).optional(),
    env: z.array(envVar).default([]),
    // Volume sources are many and the API server validates them: any object with a name.
    volumes: z.array(z.looseObject({ name: z.string().min(1) })).default([]),
    volumeMounts: z.array(volumeMount).default([]),
  })
  .strict();

export type RenderPodOptions = z.infer<typeof renderPodOptionsSchema>;

export const NO_POD_OPTIONS: RenderPodOptions = renderPodOptionsSchema.parse({});

/** The options in `json`, or an error message naming what is wrong. */
export function parseRenderPodOptions(json: string): { options: RenderPodOptions } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { error: 'not JSON' };
  }
  const parsed = renderPodOptionsSchema.safeParse(value);
  if (!parsed.success) return { error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  return { options: parsed.data };
}
