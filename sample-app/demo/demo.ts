/**
 * `npm run demo`: the whole flow on one machine, no AWS account.
 *
 * 1. starts cognito-local on 127.0.0.1:$COGNITO_LOCAL_PORT (default 9229) in .demo/cognito/
 * 2. provisions (idempotently; ids kept in .demo/state.json) a pool with the custom attributes,
 *    an app client, the group `admin` and two users
 * 3. starts the sample app on http://localhost:$PORT (default 3000) against SQLite (.demo/app.db),
 *    with a COGNITO_STATE_KEY made once and kept in .demo/state.key
 * 4. prints the URL, the demo credentials and a curl walkthrough (sign-in through the library's
 *    flows controller, django-cognito-redux's headers, CSRF, a refresh, sign-up and confirmation, sign-out)
 *
 * Ctrl-C stops both. A second run reuses what the first provisioned; `rm -rf .demo` starts over.
 * DEMO_TOKEN_VALIDITY_SECONDS (default 300) sets the access / ID token lifetime.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CognitoLocalProcess, PortInUseError, startCognitoLocal } from './cognito-local.js';
import { DEMO_USERS, provision } from './provision.js';
import { newStateKey, PROJECT_ROOT, type SampleAppProcess, sampleAppCognitoEnv, startSampleApp } from './sample-app-process.js';

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
  Sample app:  ${url}   (open it in a browser: sign in, sign up, confirm, reset a password, add a note, sign out)
  Demo users:  ${admin.username} / ${admin.password}   (group admin)
               ${alice.username} / ${alice.password}
  Tokens:      access and ID tokens live ${lifetime}; the refresh token 30 days
  Codes:       cognito-local "sends" sign-up and password-reset codes to its log:
               grep -oE 'Code: +[0-9]+' .demo/cognito-local.log | tail -1

  Try it with curl (bash or zsh):

  # 1. Sign in through the library's flows controller (POST /auth/login, Cognito USER_PASSWORD_AUTH).
  #    The tokens come back as HttpOnly cookies only (kept in jar.txt here), with a csrf_token
  #    cookie; the body names the user: {"status":"signed_in","user":{"sub":...,"groups":["admin"]}}
  curl -s -c jar.txt -H 'Content-Type: application/json' \\
       -d '{"username":"${admin.username}","password":"${admin.password}"}' ${url}/auth/login; echo
  AT=$(awk '$6=="AccessToken" {print $7}' jar.txt)
  IT=$(awk '$6=="IdToken" {print $7}' jar.txt)
  RT=$(awk '$6=="RefreshToken" {print $7}' jar.txt)

  # 2. /me with django-cognito-redux's headers: the user row, synced from the ID token's claims
  curl -s ${url}/me -H "ACCESSTOKEN: $AT" -H "IDTOKEN: $IT"; echo

  # 3. /admin: 200 for ${admin.username}; sign in as ${alice.username} in step 1 and it is 403 forbidden_group
  curl -s ${url}/admin -H "ACCESSTOKEN: $AT" -H "IDTOKEN: $IT"; echo

  # 4. A note. Tokens in headers need no CSRF token; with the cookies, a POST must echo the
  #    csrf_token cookie in X-CSRF-Token (the browser page does):
  curl -s ${url}/notes -H "ACCESSTOKEN: $AT" -H "IDTOKEN: $IT" \\
       -H 'Content-Type: application/json' -d '{"text":"hello from curl"}'; echo
  curl -s -b jar.txt ${url}/notes -H "X-CSRF-Token: $(awk '$6=="csrf_token" {print $7}' jar.txt)" \\
       -H 'Content-Type: application/json' -d '{"text":"hello from the cookie jar"}'; echo

  # 5. A refresh: once the access token has expired (after ${lifetime}), step 2 answers
  #    401 token_expired; with the refresh token it answers 200 and hands back new tokens:
  curl -s -D - -o /dev/null ${url}/me -H "ACCESSTOKEN: $AT" -H "IDTOKEN: $IT" -H "REFRESHTOKEN: $RT" \\
    | grep -ioE '^(HTTP/[0-9.]+ [0-9]+|accesstoken|idtoken)'

  # 6. Sign up (201 confirmation_required), then confirm with the code from cognito-local's log (204)
  curl -s -H 'Content-Type: application/json' ${url}/auth/signup \\
       -d '{"username":"carol","password":"Carol-Passw0rd!","attributes":{"email":"carol@example.test","custom:first_name":"Carol"}}'; echo
  CODE=$(grep -oE 'Code: +[0-9]+' .demo/cognito-local.log | tail -1 | grep -oE '[0-9]+$')
  curl -s -o /dev/null -w '%{http_code}\\n' -H 'Content-Type: application/json' ${url}/auth/confirm \\
       -d "{\\"username\\":\\"carol\\",\\"code\\":\\"$CODE\\"}"

  # 7. Sign out: the session is revoked here (steps 2 and 5 answer 401 token_revoked) and its
  #    refresh token at Cognito
  curl -s -o /dev/null -w '%{http_code}\\n' -X POST ${url}/auth/logout \\
       -H "ACCESSTOKEN: $AT" -H "IDTOKEN: $IT" -H "REFRESHTOKEN: $RT"

  A wrong password is 401 invalid_credentials. Ctrl-C stops the app and cognito-local. State is
  kept in .demo/ (rm -rf .demo to start over).
`;
}

/**
 * The demo's COGNITO_STATE_KEY (it seals the sign-in flows' challenge sessions): made once and
 * kept in .demo/state.key (readable by this user only), so a restarted demo keeps honouring them.
 */
async function demoStateKey(): Promise<string> {
  const file = path.join(DEMO_DIR, 'state.key');
  const kept = await readFile(file, 'utf8').then(
    (s) => s.trim(),
    () => '',
  );
  if (kept.length >= 32) return kept;
  const key = newStateKey();
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
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
    say(
      `cognito-local on ${cognito.endpoint} (pid ${cognito.pid}, state in .demo/cognito, log .demo/cognito-local.log) after ${elapsed()}`,
    );
    void cognito.exited.then((how) => shutdown(1, `cognito-local exited unexpectedly (${how})`));

    const pool = await provision(cognito.endpoint, { stateFile: path.join(DEMO_DIR, 'state.json'), tokenValiditySeconds: validity });
    say(
      `${pool.created.length ? `provisioned ${pool.created.join(', ')}` : 'reused the provisioned pool, client, group and users'} ` +
        `(pool ${pool.userPoolId}, client ${pool.clientId}) after ${elapsed()}`,
    );

    app = await startSampleApp({
      port: appPort,
      env: {
        ...sampleAppCognitoEnv(pool, cognito.endpoint, await demoStateKey()),
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
