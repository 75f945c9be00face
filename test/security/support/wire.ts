/**
 * A small HTTP/1.1 client for the security suites: one keep-alive agent, raw control over header
 * names and values (latin1 strings are sent byte for byte), and the answer as status, headers,
 * body text and elapsed time. Faster than a supertest request per case (no new connection each
 * time), which lets a property run 10,000 cases against a real listening app in seconds.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';

export interface WireRequest {
  method: string;
  path: string;
  /** Header name (sent in the case given) to value; an array sends the header once per value. */
  headers: Record<string, string | string[]>;
  body?: string;
}

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Milliseconds from sending to the end of the answer: for notes in the table, never asserted. */
  ms: number;
}

export class WireClient {
  private readonly agent: http.Agent;

  constructor(
    readonly port: number,
    readonly host = '127.0.0.1',
    maxSockets = 64,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  send(req: WireRequest, timeoutMs = 30_000): Promise<WireResponse> {
    const started = performance.now();
    return new Promise<WireResponse>((resolve, reject) => {
      const headers: Record<string, string | string[]> = { ...req.headers };
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
      else if (req.method !== 'GET' && req.method !== 'HEAD') headers['content-length'] = '0';
      let r: http.ClientRequest;
      try {
        r = http.request({ host: this.host, port: this.port, method: req.method, path: req.path, headers, agent: this.agent });
      } catch (err) {
        reject(err);
        return;
      }
      r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      r.on('error', reject);
      r.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
      });
      r.end(req.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Starts listening on an ephemeral loopback port (the app is already initialised) and returns it. */
export async function listen(app: INestApplication): Promise<number> {
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}

/**
 * Sends raw bytes on a fresh connection and returns the status of the first answer line (0 when
 * the server closed without answering), for requests Node's client refuses to build or that the
 * server rejects before parsing (431).
 */
export function rawRequest(port: number, head: string, timeoutMs = 10_000): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text, ms: performance.now() - started });
    };
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => socket.end());
    // A reset after the answer (the server closes while we still write) is not a failure.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('close', done);
    socket.write(Buffer.from(head, 'latin1'));
  });
}

/** Runs `task` over `items` with at most `limit` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await task(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** For the soak (test/soak), which runs for a set time. The security suites never sleep: they count and order events on an injected clock. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
