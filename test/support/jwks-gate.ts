/**
 * A gate in front of the test identity provider's JWKS endpoint: the app's `jwksUri` points here.
 * Each fetch is counted and forwarded to the provider as it is (status, headers, body; a provider
 * that never answers leaves the fetch hanging), unless the gate is holding: then fetches wait
 * until `release()`. So a test decides when a refetch ends and checks what was answered while it
 * was still in flight, by the order of events instead of by timings. A fetch the app gives up on
 * (its timeout, or a body it stops reading) is not forwarded any more and counts as abandoned.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export class JwksGate {
  /** Fetches that reached the gate. */
  fetches = 0;
  /** Fetches the app still waits for: neither answered nor given up. */
  open = 0;
  /** Fetches the app gave up on before the whole answer was sent. */
  abandoned = 0;
  private held: (() => void)[] | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: http.Server,
    private readonly upstream: string,
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens on a loopback port in front of `upstream` (the provider's JWKS URL). */
  static async start(upstream: string): Promise<JwksGate> {
    const server = http.createServer();
    const gate = new JwksGate(server, upstream);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => gate.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return gate;
  }

  /** The URL to give the app as `jwksUri`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  /** Whether fetches are being held now. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** Holds every fetch from now on until `release()`. */
  hold(): void {
    this.held ??= [];
  }

  /** Forwards the held fetches (those the app still waits for) and stops holding. */
  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const forward of waiting) forward();
  }

  close(): Promise<void> {
    this.release();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.fetches++;
    this.open++;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      this.open--;
    };
    res.on('finish', settle);
    res.on('close', () => {
      if (!res.writableFinished) this.abandoned++;
      settle();
    });
    const forward = (): void => {
      if (settled) return;
      const up = http.get(this.upstream, { headers: { accept: req.headers.accept ?? 'application/json' } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
    };
    if (this.held) this.held.push(forward);
    else forward();
  }
}
