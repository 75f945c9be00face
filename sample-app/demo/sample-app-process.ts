/** Runs the compiled sample app (`dist-sample/src/main.js`) as a child process and waits for `GET /health`. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitOf, isListening, LOOPBACK, PortInUseError, sleep, terminate } from './cognito-local.js';

/** The repository root, from both `sample-app/demo/` (sources) and `dist-sample/demo/` (compiled). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SAMPLE_APP_MAIN = path.join(PROJECT_ROOT, 'dist-sample', 'src', 'main.js');

/** A new `COGNITO_STATE_KEY`: 32 random bytes, base64url (43 characters; the library wants at least 32). */
export function newStateKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The sample app's settings as environment variables: the pool and client, the endpoint (the
 * emulator's, or a test identity provider's), cookies and CSRF on, django-cognito-redux's field mapping, and
 * the key that seals the sign-in flows' challenge sessions (`COGNITO_STATE_KEY`).
 */
export function sampleAppCognitoEnv(
  pool: { userPoolId: string; clientId: string },
  endpoint: string,
  stateKey: string = newStateKey(),
): Record<string, string> {
  return {
    COGNITO_POOL_ID: pool.userPoolId,
    APP_CLIENT_ID: pool.clientId,
    COGNITO_ENDPOINT: endpoint,
    COGNITO_COOKIES: 'true',
    USE_CSRF: 'true',
    COGNITO_USER_FIELD_MAPPING: JSON.stringify({
      email: 'email',
      first_name: 'custom:first_name',
      last_name: 'custom:last_name',
      sub: 'sub',
    }),
    COGNITO_STATE_KEY: stateKey,
  };
}

export interface StartSampleAppOptions {
  port: number;
  /** Added to (and winning over) the parent's environment. */
  env: Record<string, string>;
  /** Each line the app writes (stdout and stderr). Default: none shown. */
  onLine?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface SampleAppProcess {
  /** `http://localhost:<port>` */
  readonly url: string;
  readonly pid: number | undefined;
  readonly exited: Promise<string>;
  /** Every line written so far. */
  readonly lines: readonly string[];
  /** SIGTERM (Nest closes the server and the database), then SIGKILL after 5 s. Idempotent. */
  stop(): Promise<void>;
}

export async function startSampleApp(opts: StartSampleAppOptions): Promise<SampleAppProcess> {
  if (!existsSync(SAMPLE_APP_MAIN)) throw new Error(`${SAMPLE_APP_MAIN} is missing: run \`npm run build:sample\` first`);
  if (await isListening(opts.port)) throw new PortInUseError(opts.port);
  const child = spawn(process.execPath, [SAMPLE_APP_MAIN], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, NODE_OPTIONS: '', HOST: LOOPBACK, PORT: String(opts.port), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = exitOf(child);
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        opts.onLine?.(line);
      }
    });
  }
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= terminate(child, exited, 5000));

  let gone: string | undefined;
  void exited.then((how) => (gone = how));
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (gone !== undefined) throw new Error(`the sample app exited (${gone}):\n${lines.slice(-20).join('\n')}`);
    const ok = await fetch(`http://${LOOPBACK}:${opts.port}/health`, { signal: AbortSignal.timeout(1000) })
      .then((res) => res.status === 200)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `the sample app did not answer GET /health within ${opts.startTimeoutMs ?? 30_000} ms:\n${lines.slice(-20).join('\n')}`,
      );
    }
    await sleep(100);
  }
  return { url: `http://localhost:${opts.port}`, pid: child.pid, exited, lines, stop };
}
