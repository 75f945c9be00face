import type { CognitoAuthError, CognitoAuthErrorCode } from '../errors/cognito-auth.errors.js';

/** The `error` of the `RpcException` a refused message gets; the client's `send()` observable errors with it. */
export interface CognitoRpcErrorBody {
  /** The HTTP status the refusal stands for: 401, 403 or 503. */
  readonly status: number;
  readonly code: CognitoAuthErrorCode;
  readonly message: string;
}

type RpcExceptionClass = new (error: object) => Error;

/**
 * `RpcException` of the app's own copy of `@nestjs/microservices`, or undefined until
 * {@link loadRpcException} found it (or when it is not installed: then no app has an RPC context).
 */
let rpcExceptionClass: RpcExceptionClass | undefined;

/** Where `RpcException` lives: its own file first (cheap to load), then the package entry. */
const RPC_EXCEPTION_MODULES = ['@nestjs/microservices/exceptions/rpc-exception.js', '@nestjs/microservices'] as const;

/**
 * Loads `RpcException` from `@nestjs/microservices`, an optional peer, once. Nest's RPC exception
 * filter passes an error on to the client only when it is an `instanceof` that very class (anything
 * else becomes "Internal server error"), so no look-alike will do. It is an ES module from
 * NestJS 12 on, which `require()` cannot load under Jest on Node 20, hence `import()`, run at
 * module init before any message arrives. Its own file is tried first: the whole package costs
 * about 100 ms to load in an app that does not use it. Resolves to false when it is absent.
 */
export async function loadRpcException(): Promise<boolean> {
  for (const specifier of RPC_EXCEPTION_MODULES) {
    if (rpcExceptionClass) break;
    rpcExceptionClass = await import(specifier).then(
      (m: { RpcException?: RpcExceptionClass }) => (typeof m.RpcException === 'function' ? m.RpcException : undefined),
      () => undefined,
    );
  }
  return rpcExceptionClass !== undefined;
}

/**
 * The refusal a microservice handler's caller receives: an `RpcException` whose error is
 * `{ status, code, message }`. Nest's RPC exception filter sends that object as is, so a
 * `ClientProxy.send()` observable errors with it. Library messages never carry a token.
 */
export function toRpcException(error: CognitoAuthError): Error {
  const body: CognitoRpcErrorBody = { status: error.getStatus(), code: error.code, message: error.message };
  return rpcExceptionClass ? new rpcExceptionClass(body) : new CognitoRpcError(body);
}

/**
 * Stands in for `RpcException` when `@nestjs/microservices` could not be loaded at init. It
 * carries the same error, but Nest's filter answers it as an unknown error.
 */
class CognitoRpcError extends Error {
  constructor(readonly error: CognitoRpcErrorBody) {
    super(error.message);
    this.name = 'CognitoRpcError';
  }

  /** The error sent to the caller, as `RpcException.getError()` gives it. */
  getError(): CognitoRpcErrorBody {
    return this.error;
  }
}
