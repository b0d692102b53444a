import type { Logger } from '../logger.js';

/** A part of the process that holds something while it runs: a pool, a socket, a timer, a child process. */
export interface Component {
  readonly name: string;
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/**
 * Starts components one after another and stops the started ones in reverse order, through one
 * path whether the process shuts down or its start failed half way: what started is stopped,
 * what did not is not. A component whose own start fails cleans up after itself.
 */
export class Lifecycle {
  private readonly started: Component[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** True once `stop` was called (readiness answers no from then on). */
  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Names of the started components, in start order. */
  get names(): string[] {
    return this.started.map((component) => component.name);
  }

  async start<C extends Component>(component: C): Promise<C> {
    if (this.stopping) throw new Error(`${component.name} was not started: the process is stopping`);
    await component.start?.();
    this.started.push(component);
    return component;
  }

  /** Opens a resource (its start) and has `stop` close it. */
  async open<T>(name: string, open: () => T | Promise<T>, close: (resource: T) => void | Promise<void>): Promise<T> {
    if (this.stopping) throw new Error(`${name} was not opened: the process is stopping`);
    const resource = await open();
    this.started.push({ name, stop: () => close(resource) });
    return resource;
  }

  /**
   * Stops every started component, the last started first. One that fails to stop is logged and
   * the others are stopped all the same; the first failure is thrown at the end. Repeated calls
   * answer the same promise.
   */
  stop(): Promise<void> {
    return (this.stopping ??= this.stopAll());
  }

  private async stopAll(): Promise<void> {
    this.logger.info('shutting down');
    let failed = false;
    let failure: unknown;
    for (let component = this.started.pop(); component; component = this.started.pop()) {
      try {
        await component.stop?.();
        this.logger.debug({ component: component.name }, 'component stopped');
      } catch (error) {
        this.logger.error({ err: error, component: component.name }, 'stopping a component failed');
        if (!failed) failure = error;
        failed = true;
      }
    }
    if (failed) throw failure;
    this.logger.info('stopped');
  }
}
