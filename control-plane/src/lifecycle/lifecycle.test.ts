import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Lifecycle, type Component } from './lifecycle.js';

function setUp() {
  const lines: Array<{ msg: string; component?: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const events: string[] = [];
  const component = (name: string, fail: { start?: boolean; stop?: boolean } = {}): Component => ({
    name,
    start: async () => {
      events.push(`start ${name}`);
      if (fail.start) throw new Error(`${name} would not start`);
    },
    stop: async () => {
      events.push(`stop ${name}`);
      if (fail.stop) throw new Error(`${name} would not stop`);
    },
  });
  return { lifecycle: new Lifecycle(pino({ level: 'info' }, sink)), component, events, lines };
}

describe('Lifecycle', () => {
  it('starts components in order and stops them in reverse order', async () => {
    const { lifecycle, component, events } = setUp();
    await lifecycle.start(component('database'));
    const pool = await lifecycle.open(
      'pool',
      () => ({ size: 2 }),
      () => void events.push('close pool'),
    );
    expect(pool.size).toBe(2);
    await lifecycle.start(component('server'));
    expect(lifecycle.names).toEqual(['database', 'pool', 'server']);
    await lifecycle.stop();
    expect(events).toEqual(['start database', 'start server', 'stop server', 'close pool', 'stop database']);
  });

  it('stops what started, in reverse, when a start fails half way; not the one that failed nor those after it', async () => {
    const { lifecycle, component, events } = setUp();
    const startAll = async () => {
      await lifecycle.start(component('database'));
      await lifecycle.start(component('bus'));
      await lifecycle.start(component('server', { start: true }));
      await lifecycle.start(component('work'));
    };
    // The composition root's one clean-up path.
    const started = startAll().catch(async (error: unknown) => {
      await lifecycle.stop();
      throw error;
    });
    await expect(started).rejects.toThrow('server would not start');
    expect(events).toEqual(['start database', 'start bus', 'start server', 'stop bus', 'stop database']);
  });

  it('stops the rest when one fails to stop, logs it, and reports the first failure', async () => {
    const { lifecycle, component, events, lines } = setUp();
    await lifecycle.start(component('database'));
    await lifecycle.start(component('cpu', { stop: true }));
    await lifecycle.start(component('operator', { stop: true }));
    await expect(lifecycle.stop()).rejects.toThrow('operator would not stop');
    expect(events.filter((e) => e.startsWith('stop'))).toEqual(['stop operator', 'stop cpu', 'stop database']);
    expect(lines.filter((l) => l.msg === 'stopping a component failed').map((l) => l.component)).toEqual(['operator', 'cpu']);
  });

  it('stops once however often asked, and starts nothing once stopping', async () => {
    const { lifecycle, component, events } = setUp();
    await lifecycle.start(component('server'));
    expect(lifecycle.isStopping).toBe(false);
    const first = lifecycle.stop();
    expect(lifecycle.stop()).toBe(first);
    expect(lifecycle.isStopping).toBe(true);
    await first;
    expect(events).toEqual(['start server', 'stop server']);
    await expect(lifecycle.start(component('late'))).rejects.toThrow(/not started: the process is stopping/);
    expect(events).not.toContain('start late');
  });
});
