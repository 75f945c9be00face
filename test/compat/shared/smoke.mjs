/**
 * Boots a compat app as production does (`node dist/main.js`, no Jest, no ts-jest: Node's own
 * require() or import of the installed tarball) and checks it over real HTTP.
 *
 * Each compat app runs this with its own installed `nest-cognito-auth/testing`
 * (test/smoke.mjs). The app prints `listening on <url>` once it listens.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Longest wait for the app to print its URL: a hang guard only (start-up takes about a second). */
const START_TIMEOUT_MS = 60_000;

/** Resolves with the URL the app prints, rejects if it exits first. */
function waitForUrl(child, stderr) {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`the app did not start:\n${stderr.join('')}`)), START_TIMEOUT_MS);
    lines.on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited (${code}) before listening:\n${stderr.join('')}`));
    });
  });
}

/**
 * @param {object} options
 * @param {string} options.appDir the compat app (its dist/main.js is started)
 * @param {{ TestIdentityProvider: any }} options.testing the app's `nest-cognito-auth/testing`
 * @param {string} options.userPoolId a pool id of the app's own
 */
export async function smoke({ appDir, testing, userPoolId }) {
  const idp = await testing.TestIdentityProvider.start({ userPoolId });
  const stderr = [];
  const child = spawn(process.execPath, [join(appDir, 'dist', 'main.js')], {
    cwd: appDir,
    env: { ...process.env, ...idp.env(), PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.on('data', (chunk) => stderr.push(String(chunk)));
  try {
    const base = await waitForUrl(child, stderr);
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200, 'public route');

    const anonymous = await fetch(`${base}/me`);
    assert.equal(anonymous.status, 401, 'no token');
    assert.equal((await anonymous.json()).code, 'token_missing');

    const tokens = await idp.issueTokens({ email: 'smoke@example.test' });
    const me = await fetch(`${base}/me`, { headers: { ACCESSTOKEN: tokens.accessToken, IDTOKEN: tokens.idToken } });
    assert.equal(me.status, 200, 'valid pair');
    const user = await me.json();
    assert.equal(user.sub, tokens.sub);
    console.log(`smoke: ${appDir}: public 200, no token 401 token_missing, valid pair 200 (user ${user.id})`);
    return tokens.sub;
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await idp.close();
  }
}
