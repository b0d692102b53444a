import type { CompleteReport, FailReport, LogReport, ProgressReport, WorkOrder } from '../protocol.js';

/**
 * The render node's client for the control plane's internal API. Network errors and 5xx
 * answers are retried with back-off for a while (the control plane may be restarting);
 * 401/409 mean the task is no longer ours and end the work at once.
 */

export class TaskRevoked extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'TaskRevoked';
  }
}

export interface InternalClientOptions {
  baseUrl: string;
  taskId: string;
  token: string;
  /** Give up retrying a call after this long. */
  retryForMs?: number;
}

export class InternalClient {
  private readonly retryForMs: number;

  constructor(private readonly options: InternalClientOptions) {
    this.retryForMs = options.retryForMs ?? 120_000;
  }

  /**
   * The task's work order. The one place the node takes JSON from `/internal` as typed: the
   * control plane made it with the kind's `workOrder` hook, typed by the same map
   * (task-kinds.ts); a kind this node does not know is refused by the runner.
   */
  async workOrder(): Promise<WorkOrder> {
    return (await this.call('GET', '')) as WorkOrder;
  }

  async progress(report: ProgressReport): Promise<void> {
    await this.call('POST', '/progress', report);
  }

  async log(report: LogReport): Promise<void> {
    await this.call('POST', '/log', report);
  }

  async complete(report: CompleteReport): Promise<void> {
    await this.call('POST', '/complete', report);
  }

  async fail(report: FailReport): Promise<void> {
    await this.call('POST', '/fail', report);
  }

  private async call(method: string, suffix: string, body?: unknown): Promise<unknown> {
    const url = `${this.options.baseUrl}/internal/tasks/${encodeURIComponent(this.options.taskId)}${suffix}`;
    const deadline = Date.now() + this.retryForMs;
    let delayMs = 200;
    for (;;) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        failure = error;
      }
      if (response) {
        const text = await response.text();
        if (response.ok) return text ? JSON.parse(text) : {};
        if (response.status === 401 || response.status === 409 || response.status === 404) {
          throw new TaskRevoked(response.status, `${method} ${suffix || '/'}: ${response.status} ${text}`);
        }
        if (response.status < 500) throw new Error(`${method} ${suffix || '/'}: ${response.status} ${text}`);
        failure = new Error(`${method} ${suffix || '/'}: ${response.status} ${text}`);
      }
      if (Date.now() + delayMs > deadline) throw failure;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 5_000);
    }
  }
}
