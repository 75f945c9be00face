import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { TestJwk } from './signing-key.helpers.js';

/** How the JWKS endpoint answers. */
export type JwksMode = 'ok' | 'fail' | 'hang' | 'invalid-json' | 'huge' | 'wrong-key-type' | 'redirect';

/** Fault controls of the JWKS endpoint; change them at any time. */
export interface JwksControls {
  /**
   * `ok`: the published keys. `fail`: status `failStatus`. `hang`: no answer until `close()`.
   * `invalid-json`: a truncated JSON body. `huge`: a valid 5 MB key set. `wrong-key-type`: EC and
   * `oct` keys under the published kids. `redirect`: 302 to another path that serves the keys.
   */
  mode: JwksMode;
  /** Status code answered in `fail` mode. Default 500. */
  failStatus: number;
  /** Milliseconds to wait before answering (any mode). Default 0. */
  delayMs: number;
}

/** Size of the `huge` answer. */
const HUGE_BODY_BYTES = 5 * 1024 * 1024;

let ecPublicJwk: TestJwk | undefined;

/** An EC P-256 public key, made once. */
function ecJwk(): TestJwk {
  ecPublicJwk ??= generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as TestJwk;
  return ecPublicJwk;
}

function sendJson(res: ServerResponse, status: number, body: string, extraHeaders: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extraHeaders,
  });
  res.end(body);
}

/**
 * Answers one JWKS request according to `controls.mode` (the delay is applied by the caller).
 * `redirectLocation` is where `redirect` mode points.
 */
export function answerJwks(res: ServerResponse, controls: JwksControls, keys: readonly TestJwk[], redirectLocation: string): void {
  switch (controls.mode) {
    case 'ok':
      sendJson(res, 200, JSON.stringify({ keys }));
      return;
    case 'fail':
      sendJson(res, controls.failStatus, JSON.stringify({ message: 'JWKS failure (TestIdentityProvider)' }));
      return;
    case 'hang':
      return; // the socket stays open until the client gives up or the provider closes
    case 'invalid-json':
      sendJson(res, 200, '{"keys": [{"kty": "RSA", "kid": ');
      return;
    case 'huge': {
      const head = JSON.stringify({ keys }).slice(0, -1);
      const padding = 'x'.repeat(Math.max(0, HUGE_BODY_BYTES - head.length - 16));
      sendJson(res, 200, `${head},"padding":"${padding}"}`);
      return;
    }
    case 'wrong-key-type': {
      const wrong = keys.flatMap((key): TestJwk[] => [
        { ...ecJwk(), kid: key.kid, alg: 'ES256', use: 'sig' },
        { kty: 'oct', k: randomBytes(32).toString('base64url'), kid: key.kid, alg: 'HS256', use: 'sig' },
      ]);
      sendJson(res, 200, JSON.stringify({ keys: wrong }));
      return;
    }
    case 'redirect':
      res.writeHead(302, { location: redirectLocation, 'content-length': 0 });
      res.end();
      return;
  }
}
