/**
 * What a render node is started with: exactly the variables the dispatcher sets (a Kubernetes
 * Job passes the same names). Command-line flags `--task-id` and `--internal-url` may stand in
 * for the first two; the token only comes from the environment (arguments show in `ps`).
 */
export interface WorkerEnv {
  taskId: string;
  internalUrl: string;
  token: string;
  attempt: number;
  scratchDir: string;
}

export class WorkerEnvError extends Error {}

export function readWorkerEnv(env: Record<string, string | undefined>, argv: string[], tmpDir: string): WorkerEnv {
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const need = (name: string, value: string | undefined) => {
    if (!value) throw new WorkerEnvError(`${name} is required`);
    return value;
  };
  const internalUrl = need('CUTROOM_INTERNAL_URL (or --internal-url)', flag('internal-url') ?? env.CUTROOM_INTERNAL_URL);
  try {
    new URL(internalUrl);
  } catch {
    throw new WorkerEnvError(`CUTROOM_INTERNAL_URL=${JSON.stringify(internalUrl)} is not a URL`);
  }
  const attempt = Number(env.CUTROOM_TASK_ATTEMPT ?? '1');
  if (!Number.isInteger(attempt) || attempt < 1) throw new WorkerEnvError('CUTROOM_TASK_ATTEMPT must be a positive integer');
  return {
    taskId: need('CUTROOM_TASK_ID (or --task-id)', flag('task-id') ?? env.CUTROOM_TASK_ID),
    internalUrl: internalUrl.replace(/\/+$/, ''),
    token: need('CUTROOM_TASK_TOKEN', env.CUTROOM_TASK_TOKEN),
    attempt,
    scratchDir: env.SCRATCH_DIR || tmpDir,
  };
}
