/**
 * cognito-local for specs: start it as a child process on a free loopback port, provision a
 * pool, a client and users through the real SDK v3, log in with USER_PASSWORD_AUTH.
 *
 *   const cl = await startCognitoLocal();
 *   const pool = await provisionCognitoLocal(cl.endpoint, { users: [{ username: 'alice', password: 'Passw0rd!' }] });
 *   const { accessToken, idToken, refreshToken } = await pool.login('alice', 'Passw0rd!');
 *   ...
 *   await cl.stop();
 *
 * The endpoint and the issuer use 127.0.0.1 (`HOST` is set), so `<endpoint>/<poolId>` is the
 * issuer, as the settings resolver derives it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  type AttributeType,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { findFreePort, isListening, sleep } from '../../sample-app/demo/cognito-local.js';
import { computeSecretHash } from '../../src/tokens/token-refresh.service.js';

const HOST = '127.0.0.1';

export interface StartCognitoLocalOptions {
  /**
   * Plain user names (`alice`) instead of e-mail user names: writes
   * `{"UserPoolDefaults":{"UsernameAttributes":[]}}` to `.cognito/config.json`. Default true.
   * With false, user names must be e-mail addresses and cognito-local makes the username the sub.
   */
  plainUsernames?: boolean;
  /** Extra `.cognito/config.json` content, merged over the above (e.g. `TokenConfig`). */
  config?: Record<string, unknown>;
  /** How long to wait for it to answer. Default 15000 ms. */
  startTimeoutMs?: number;
}

export interface CognitoLocal {
  /** `http://127.0.0.1:<port>`: the SDK endpoint and the issuer domain. */
  readonly endpoint: string;
  readonly port: number;
  /** Its working directory (state in `.cognito/`). */
  readonly dir: string;
  /** Kills the process and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

// One free-port finder (and connect probe) for the demo and the tests.
export { findFreePort };

function cognitoLocalBin(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('cognito-local')), 'bin', 'start.js');
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, 3000))) {
      child.kill('SIGKILL');
      await waitForExit(child, 3000);
    }
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** Starts cognito-local in a fresh directory on a free port and waits until it accepts connections. */
export async function startCognitoLocal(opts: StartCognitoLocalOptions = {}): Promise<CognitoLocal> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      lastError = err; // most likely the port was taken in between: try another one
    }
  }
  throw lastError;
}

async function startOnce(opts: StartCognitoLocalOptions): Promise<CognitoLocal> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cognito-local-'));
  const config: Record<string, unknown> = {
    ...(opts.plainUsernames === false ? {} : { UserPoolDefaults: { UsernameAttributes: [] } }),
    ...(opts.config ?? {}),
  };
  if (Object.keys(config).length > 0) {
    await mkdir(path.join(dir, '.cognito'), { recursive: true });
    await writeFile(path.join(dir, '.cognito', 'config.json'), JSON.stringify(config));
  }
  const port = await findFreePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST, NODE_OPTIONS: '' };
  delete env.DEBUG;
  delete env.COGNITO_LOCAL_DEVMODE;
  const child = spawn(process.execPath, [cognitoLocalBin()], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await killChild(child);
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 15_000);
  try {
    for (;;) {
      if (spawnError) throw spawnError;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`cognito-local exited (${child.exitCode ?? child.signalCode}) on port ${port}:\n${output}`);
      }
      if (await isListening(port, HOST)) break;
      if (Date.now() > deadline) throw new Error(`cognito-local did not start on port ${port}:\n${output}`);
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint: `http://${HOST}:${port}`, port, dir, stop };
}

export interface CognitoLocalUser {
  username: string;
  password: string;
  email?: string;
  /** Further attributes by full name, e.g. `{ 'custom:first_name': 'Ada', given_name: 'Ada' }`. */
  attributes?: Record<string, string>;
  groups?: string[];
}

export interface ProvisionOptions {
  users?: CognitoLocalUser[];
  /** Groups to create (those named by users are created too). */
  groups?: string[];
  /** Custom attribute names without the `custom:` prefix, e.g. `['first_name', 'last_name']`. */
  customAttributes?: string[];
  /** Create the app client with a secret. */
  withSecret?: boolean;
  /** Access and ID token validity in minutes (cognito-local's default: 24 h). */
  accessTokenValidityMinutes?: number;
  /** Access and ID token validity in seconds; wins over `accessTokenValidityMinutes`. */
  tokenValiditySeconds?: number;
  poolName?: string;
}

export interface LoginTokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
}

export interface ProvisionedPool {
  userPoolId: string;
  clientId: string;
  clientSecret?: string;
  /** `<endpoint>/<userPoolId>` */
  issuer: string;
  jwksUri: string;
  /** InitiateAuth USER_PASSWORD_AUTH (with SECRET_HASH when the client has a secret). */
  login(username: string, password: string): Promise<LoginTokens>;
}

/** An SDK client for test code (cognito-local accepts any credentials). Destroy it after use. */
export function adminClient(endpoint: string): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/** Creates a pool, a client, groups and confirmed users with permanent passwords. */
export async function provisionCognitoLocal(endpoint: string, opts: ProvisionOptions = {}): Promise<ProvisionedPool> {
  const client = adminClient(endpoint);
  try {
    const pool = await client.send(
      new CreateUserPoolCommand({
        PoolName: opts.poolName ?? `test-${Date.now()}`,
        Schema: (opts.customAttributes ?? []).map((name) => ({ Name: name, AttributeDataType: 'String', Mutable: true })),
      }),
    );
    const userPoolId = pool.UserPool!.Id!;
    const validity =
      opts.tokenValiditySeconds !== undefined
        ? { value: opts.tokenValiditySeconds, unit: 'seconds' as const }
        : opts.accessTokenValidityMinutes !== undefined
          ? { value: opts.accessTokenValidityMinutes, unit: 'minutes' as const }
          : undefined;
    const appClient = await client.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: 'test-client',
        GenerateSecret: opts.withSecret ?? false,
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        EnableTokenRevocation: true,
        ...(validity
          ? {
              AccessTokenValidity: validity.value,
              IdTokenValidity: validity.value,
              TokenValidityUnits: { AccessToken: validity.unit, IdToken: validity.unit, RefreshToken: 'days' },
            }
          : {}),
      }),
    );
    const clientId = appClient.UserPoolClient!.ClientId!;
    const clientSecret = appClient.UserPoolClient!.ClientSecret ?? undefined;

    const groups = new Set([...(opts.groups ?? []), ...(opts.users ?? []).flatMap((u) => u.groups ?? [])]);
    for (const group of groups) {
      await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: group }));
    }
    for (const user of opts.users ?? []) {
      const attributes: AttributeType[] = [];
      if (user.email) attributes.push({ Name: 'email', Value: user.email }, { Name: 'email_verified', Value: 'true' });
      for (const [name, value] of Object.entries(user.attributes ?? {})) attributes.push({ Name: name, Value: value });
      await client.send(
        new AdminCreateUserCommand({
          UserPoolId: userPoolId,
          Username: user.username,
          UserAttributes: attributes,
          MessageAction: 'SUPPRESS',
        }),
      );
      await client.send(
        new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user.username, Password: user.password, Permanent: true }),
      );
      for (const group of user.groups ?? []) {
        await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: user.username, GroupName: group }));
      }
    }

    const issuer = `${endpoint}/${userPoolId}`;
    return {
      userPoolId,
      clientId,
      ...(clientSecret ? { clientSecret } : {}),
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      login: async (username, password) => {
        const c = adminClient(endpoint);
        try {
          const out = await c.send(
            new InitiateAuthCommand({
              AuthFlow: 'USER_PASSWORD_AUTH',
              ClientId: clientId,
              AuthParameters: {
                USERNAME: username,
                PASSWORD: password,
                ...(clientSecret ? { SECRET_HASH: computeSecretHash(username, clientId, clientSecret) } : {}),
              },
            }),
          );
          const r = out.AuthenticationResult;
          if (!r?.AccessToken || !r.IdToken || !r.RefreshToken) {
            throw new Error(`login of ${username} gave no tokens (challenge: ${out.ChallengeName ?? 'none'})`);
          }
          return { accessToken: r.AccessToken, idToken: r.IdToken, refreshToken: r.RefreshToken };
        } finally {
          c.destroy();
        }
      },
    };
  } finally {
    client.destroy();
  }
}

/** Decodes a JWT's payload without verifying it (test assertions only). */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
