import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { findWsContextAdapter, type WsContextAdapter } from './ws.context.js';
import { closeClient } from './ws-handshake.js';

/** The options `WsAdapter` takes (its type is not exported). */
export type CognitoWsAdapterOptions = ConstructorParameters<typeof WsAdapter>[1];

/**
 * The `ws` adapter, refusing unauthenticated connections as they open: the upgrade request's
 * headers or cookies are authenticated with the module's token mode before the gateway sees the
 * client. A refused connection is closed with 4401, 4403 or 4503 and our code as the reason, and
 * its gateway's `handleConnection` never runs. An accepted socket keeps its outcome and its
 * tokens (not its request), so `CognitoGuard` checks each message against it and its expiry, and
 * gateways on their own port work too.
 *
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new CognitoWsAdapter(app));
 * ```
 */
export class CognitoWsAdapter extends WsAdapter {
  /** One authentication per connection, however many gateways share the server. */
  private readonly admissions = new WeakMap<WebSocket, Promise<boolean>>();
  private contextAdapter: WsContextAdapter | undefined;

  /**
   * @param app the Nest application: its `CognitoAuthModule` authenticates, its HTTP server is shared.
   * @param options `WsAdapter`'s options (`messageParser`).
   */
  constructor(
    private readonly app: INestApplicationContext,
    options?: CognitoWsAdapterOptions,
  ) {
    super(app, options);
  }

  /**
   * Hands a connection to the gateway only once it is authenticated. The socket is paused
   * meanwhile, so a message sent right after the upgrade waits for the gateway's handlers instead
   * of being dropped.
   */
  override bindClientConnect(server: WebSocketServer, callback: (client: WebSocket, req: IncomingMessage) => void): void {
    server.on('connection', (client: WebSocket, req: IncomingMessage) => {
      client.pause();
      void this.admission(client, req).then((admitted) => {
        if (admitted) callback(client, req);
        client.resume();
      });
    });
  }

  private admission(client: WebSocket, req: IncomingMessage): Promise<boolean> {
    let admitted = this.admissions.get(client);
    if (!admitted) {
      const adapter = this.wsContextAdapter();
      const tokens = adapter.rememberUpgrade(client, req);
      admitted = adapter.admit(client, tokens).then((error) => {
        if (error) closeClient(client, error);
        return error === undefined;
      });
      this.admissions.set(client, admitted);
    }
    return admitted;
  }

  private wsContextAdapter(): WsContextAdapter {
    this.contextAdapter ??= findWsContextAdapter(this.app);
    return this.contextAdapter;
  }
}
