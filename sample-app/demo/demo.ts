/**
 * `npm run demo`: the whole flow on one machine, no AWS account.
 *
 * 1. starts cognito-local on 127.0.0.1:$COGNITO_LOCAL_PORT (default 9229) in .demo/cognito/
 * 2. provisions (idempotently; ids kept in .demo/state.json) a pool with the custom attributes,
 *    an app client, the group `admin` and two users
 * 3. starts the sample app on http://localhost:$PORT (default 3000) against SQLite (.demo/app.db)
 * 4. prints the URL, the demo credentials and a curl walkthrough
 *
 * Ctrl-C stops both. A second run reuses what the first provisioned; `rm -rf .demo` starts over.
 * DEMO_TOKEN_VALIDITY_SECONDS (default 300) sets the access / ID token lifetime.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type CognitoLocalProcess, PortInUseError, startCognitoLocal } from './cognito-local.js';
import { DEMO_USERS, provision } from './provision.js';
import { PROJECT_ROOT, type SampleAppProcess, sampleAppCognitoEnv, startSampleApp } from './sample-app-process.js';

const DEMO_DIR = path.join(PROJECT_ROOT, '.demo');
// The SDK's notice that its 2027 releases need Node 22 (the library supports Node 20.19+): not
// what the demo is about. Inherited by the app's process too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name]?.trim() || String(fallback);
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) throw new Error(`${name}: not a TCP port: "${raw}"`);
  return port;
}

function secondsFrom(name: string, fallback: number): number {
  const raw = process.env[name]?.trim() || String(fallback);
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name}: expected a number of seconds, got "${raw}"`);
  return Number(raw);
}

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const say = (line: string) => console.log(`[demo] ${line}`);

function walkthrough(url: string, validity: number): string {
  const [admin, alice] = DEMO_USERS;
  const lifetime = validity % 60 === 0 ? `${validity / 60} minute${validity === 60 ? '' : 's'}` : `${validity} seconds`;
  return `
  Sample app:  ${url}   (open it in a browser: sign in, see your user, add a note, sign out)
  Demo users:  ${admin.username} / ${admin.password}   (group admin)
               ${alice.username} / ${alice.password}
  Tokens:      access and ID tokens live ${lifetime}; the refresh token 30 days

  Try it with curl (bash or zsh):

  # 1. Log in (Cognito USER_PASSWORD_AUTH). Tokens come back as HttpOnly cookies and in the
  #    ACCESSTOKEN / IDTOKEN / REFRESHTOKEN response headers; the body is your synced user row.
  H=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \\
        -d '{"username":"${admin.username}","password":"${admin.password}"}' ${url}/auth/login)
  AT=$(printf '%s\\n' "$H" | awk 'tolower($1)=="accesstoken:" {print $2}' | tr -d '\\r')
  IT=$(printf '%s\\n' "$H" | awk 'tolower($1)=="idtoken:" {print $2}' | tr -d '\\r')
  RT=$(printf '%s\\n' "$H" | awk 'tolower($1)=="refreshtoken:" {print $2}' | tr -d '\\r')

  # 2. /me with the seed's headers: the user row, synced from the ID token's claims
  curl -s ${url}/me -H "ACCESSTOKEN: $AT" -H "IDTOKEN: $IT"; echo

  # 3. /admin: 200 for ${admin.username}; log in as ${alice.username} in step 1 and it is 403 forbidden_group
  curl -s ${url}/admin -H "ACCESSTOKEN: $AT" -H "IDTOKEN: $IT"; echo

  # 4. A note (tokens in headers need no CSRF token; the browser page sends X-CSRF-Token)
  curl -s ${url}/notes -H "ACCESSTOKEN: $AT" -H "IDTOKEN: $IT" \\
       -H 'Content-Type: application/json' -d '{"text":"hello from curl"}'; echo

  # 5. A refresh: once the access token has expired (after ${lifetime}), step 2 answers
  #    401 token_expired; with the refresh token it answers 200 and hands back new tokens:
  curl -s -D - -o /dev/null ${url}/me -H "ACCESSTOKEN: $AT" -H "IDTOKEN: $IT" -H "REFRESHTOKEN: $RT" \\
    | grep -ioE '^(HTTP/[0-9.]+ [0-9]+|accesstoken|idtoken)'

  # 6. Log out: revokes the refresh token at Cognito (step 5 then answers 401 refresh_failed)
  curl -s -o /dev/null -w '%{http_code}\\n' -X POST ${url}/auth/logout -H "REFRESHTOKEN: $RT"

  Ctrl-C stops the app and cognito-local. State is kept in .demo/ (rm -rf .demo to start over).
`;
}

async function main(): Promise<void> {
  const cognitoPort = portFrom('COGNITO_LOCAL_PORT', 9229);
  const appPort = portFrom('PORT', 3000);
  const validity = secondsFrom('DEMO_TOKEN_VALIDITY_SECONDS', 300);
  await mkdir(DEMO_DIR, { recursive: true });

  let cognito: CognitoLocalProcess | undefined;
  let app: SampleAppProcess | undefined;
  let stopping = false;
  const shutdown = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping`);
    await app?.stop();
    await cognito?.stop();
    say('stopped');
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0, signal));

  try {
    cognito = await startCognitoLocal({
      port: cognitoPort,
      dir: path.join(DEMO_DIR, 'cognito'),
      logFile: path.join(DEMO_DIR, 'cognito-local.log'),
    });
    say(`cognito-local on ${cognito.endpoint} (pid ${cognito.pid}, state in .demo/cognito, log .demo/cognito-local.log) after ${elapsed()}`);
    void cognito.exited.then((how) => shutdown(1, `cognito-local exited unexpectedly (${how})`));

    const pool = await provision(cognito.endpoint, { stateFile: path.join(DEMO_DIR, 'state.json'), tokenValiditySeconds: validity });
    say(
      `${pool.created.length ? `provisioned ${pool.created.join(', ')}` : 'reused the provisioned pool, client, group and users'} ` +
        `(pool ${pool.userPoolId}, client ${pool.clientId}) after ${elapsed()}`,
    );

    app = await startSampleApp({
      port: appPort,
      env: {
        ...sampleAppCognitoEnv(pool, cognito.endpoint),
        DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:${path.join(DEMO_DIR, 'app.db')}`,
      },
      onLine: (line) => console.log(`[app] ${line}`),
    });
    void app.exited.then((how) => shutdown(1, `the sample app exited unexpectedly (${how})`));
    say(`the sample app is up after ${elapsed()}`);
    console.log(walkthrough(app.url, validity));
  } catch (error) {
    if (error instanceof PortInUseError) {
      const variable = error.port === cognitoPort ? 'COGNITO_LOCAL_PORT' : 'PORT';
      say(`${error.message} (another demo still running?). Stop it, or choose another port with ${variable}=...`);
    } else {
      say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await shutdown(1, 'start-up failed');
  }
}

void main();
