import http from 'node:http';

/**
 * A lean HTTP client for benchmarks that send megabytes: node:http writes a Buffer body as it
 * is, where fetch copies it on every request. The clients share the machine with the server
 * they measure, so their own work should be as small as a client's can be.
 */
export class HttpSender {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

  constructor(private readonly baseUrl: string) {}

  /** Sends a JSON body; resolves with the answer's text, or rejects on a status other than 2xx. */
  send(method: string, path: string, token: string, body: Buffer | string): Promise<string> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    return new Promise((resolve, reject) => {
      const request = http.request(
        new URL(path, this.baseUrl),
        {
          method,
          agent: this.agent,
          headers: { authorization: token, 'content-type': 'application/json', 'content-length': bytes.length },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(text);
            else reject(new Error(`HTTP ${status}: ${text}`));
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(bytes);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
