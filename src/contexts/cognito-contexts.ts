import type { ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import type { CognitoContextAdapter } from './context.adapter.js';
import { GraphqlContextAdapter } from './graphql.context.js';
import { HttpContextAdapter } from './http.context.js';
import { RpcContextAdapter } from './rpc.context.js';
import { WsContextAdapter } from './ws.context.js';

/**
 * The context adapters by Nest context type (`ExecutionContext.getType()`). A type with no
 * adapter is unknown to the library: the guard refuses it unless the route is `@Public()` or the
 * type is named in `passThroughContexts`.
 */
@Injectable()
export class CognitoContexts {
  private readonly byType: ReadonlyMap<string, CognitoContextAdapter>;

  constructor(http: HttpContextAdapter, graphql: GraphqlContextAdapter, ws: WsContextAdapter, rpc: RpcContextAdapter) {
    this.byType = new Map<string, CognitoContextAdapter>([
      ['http', http],
      ['graphql', graphql],
      ['ws', ws],
      ['rpc', rpc],
    ]);
  }

  /** The adapter of this context, or undefined for a context type the library does not know. */
  adapterFor(context: ExecutionContext): CognitoContextAdapter | undefined {
    return this.byType.get(context.getType<string>());
  }
}
