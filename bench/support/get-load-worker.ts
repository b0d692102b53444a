import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { GetLoadMessage, GetLoadPlan } from './get-load.js';

// The client thread of getLoad (get-load.ts). Its measuring must not pause: each connection
// reads into one buffer of its own, reused for every read (net's `onread`), and counts the
// answer's bytes there. node:http allocates a new buffer per read instead, hundreds of kilobytes
// per answer that V8 counts, and made even this small heap run full collections every few
// dozen answers.

const plan = workerData as GetLoadPlan;
const base = new URL(plan.baseUrl);
const HEAD_LIMIT = 16 * 1024;

interface Pending {
  path: string;
  resolve: () => void;
  reject: (error: Error) => void;
  /** The answer's head as read so far; undefined once it is complete. */
  head: string | undefined;
  status: number;
  /** Body bytes still to come. */
  left: number;
  /** An error answer's body, kept to say what went wrong. */
  errorBody: Buffer[];
}

/**
 * One keep-alive HTTP/1.1 connection sending GETs one after another. Answers must carry a
 * Content-Length (the control plane's do); anything else fails the request.
 */
class Connection {
  private socket: net.Socket | undefined;
  private pending: Pending | undefined;
  private readonly buffer = Buffer.allocUnsafe(256 * 1024);

  get(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending = { path, resolve, reject, head: '', status: 0, left: 0, errorBody: [] };
      const headers = Object.entries(plan.headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      this.connected().write(`GET ${path} HTTP/1.1\r\nHost: ${base.host}\r\n${headers}\r\n`, 'latin1');
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private connected(): net.Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = net.connect({
      host: base.hostname,
      port: Number(base.port),
      noDelay: true,
      onread: { buffer: this.buffer, callback: (bytes: number, buffer: Uint8Array) => this.read(buffer as Buffer, bytes) },
    });
    const fail = (error: Error) => this.fail(error);
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the connection closed before the answer was in')));
    this.socket = socket;
    return socket;
  }

  private read(buffer: Buffer, bytes: number): boolean {
    const answer = this.pending;
    if (!answer) {
      this.fail(new Error(`${bytes} bytes that no request asked for`));
      return false;
    }
    let body = 0;
    if (answer.head !== undefined) {
      const seen = answer.head.length;
      const text = answer.head + buffer.toString('latin1', 0, Math.min(bytes, HEAD_LIMIT));
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        if (text.length >= HEAD_LIMIT) this.fail(new Error(`GET ${answer.path}: an answer's head over ${HEAD_LIMIT} bytes`));
        else answer.head = text;
        return true;
      }
      const lines = text.slice(0, end).split('\r\n');
      answer.status = Number(lines[0]!.split(' ')[1]);
      const length = lines.find((line) => /^content-length:/i.test(line));
      if (!length) {
        this.fail(new Error(`GET ${answer.path}: an answer (HTTP ${answer.status}) without Content-Length`));
        return false;
      }
      answer.left = Number(length.slice(length.indexOf(':') + 1));
      answer.head = undefined;
      body = end + 4 - seen;
    }
    const received = bytes - body;
    if (answer.status < 200 || answer.status >= 300) answer.errorBody.push(Buffer.from(buffer.subarray(body, bytes)));
    answer.left -= received;
    if (answer.left < 0) this.fail(new Error(`GET ${answer.path}: more bytes than its Content-Length`));
    else if (answer.left === 0) {
      this.pending = undefined;
      if (answer.status >= 200 && answer.status < 300) answer.resolve();
      else answer.reject(new Error(`GET ${answer.path}: HTTP ${answer.status}: ${Buffer.concat(answer.errorBody).toString('utf8')}`));
    }
    return true;
  }

  private fail(error: Error): void {
    const answer = this.pending;
    this.pending = undefined;
    this.socket?.destroy();
    answer?.reject(error);
  }
}

async function run(paths: string[], latencies?: number[]): Promise<void> {
  let next = 0;
  const loop = async () => {
    const connection = new Connection();
    try {
      while (next < paths.length) {
        const path = paths[next++]!;
        const started = performance.now();
        await connection.get(path);
        latencies?.push(performance.now() - started);
      }
    } finally {
      connection.close();
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, loop));
}

const tell = (message: GetLoadMessage) => parentPort!.postMessage(message);
await run(plan.warmup);
tell({ kind: 'warmedUp' });
await new Promise((resolve) => parentPort!.once('message', resolve));
const latenciesMs: number[] = [];
const started = performance.now();
await run(plan.measured, latenciesMs);
tell({ kind: 'done', latenciesMs, elapsedMs: performance.now() - started });
