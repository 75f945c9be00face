/**
 * Soak load worker (plain Node, no transform): mints distinct, valid Cognito-shaped ID + access
 * pairs with the identity provider's private key (RS256, node:crypto, ~0.25 ms a signature) and
 * sends each pair once through the app's guard over a keep-alive connection. Signing is the
 * expensive side, so it runs here, off the thread that serves the app.
 *
 * workerData: { port, pem, kid, issuer, clientId, concurrency, workerId }
 * message in:  { type: 'run', from, to, deadline }  -> out: { type: 'done', sent, ok, errors, samples, signMs }
 *              { type: 'close' }
 */
import { createHash, createPrivateKey, randomUUID, sign } from 'node:crypto';
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { port, pem, kid, issuer, clientId, concurrency, workerId } = workerData;
const key = createPrivateKey(pem);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
const headerSegment = Buffer.from(JSON.stringify({ kid, alg: 'RS256' })).toString('base64url');
let signNs = 0n;

function jws(payload) {
  const input = `${headerSegment}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const t0 = process.hrtime.bigint();
  const signature = sign('sha256', Buffer.from(input, 'ascii'), key).toString('base64url');
  signNs += process.hrtime.bigint() - t0;
  return `${input}.${signature}`;
}

function mint(n) {
  const now = Math.floor(Date.now() / 1000);
  const sub = `soak-${n}`;
  const originJti = randomUUID();
  const eventId = randomUUID();
  const accessToken = jws({
    sub,
    iss: issuer,
    client_id: clientId,
    origin_jti: originJti,
    event_id: eventId,
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: randomUUID(),
    username: sub,
  });
  const atHash = createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
  const idToken = jws({
    sub,
    email_verified: true,
    iss: issuer,
    'cognito:username': sub,
    origin_jti: originJti,
    aud: clientId,
    event_id: eventId,
    token_use: 'id',
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: randomUUID(),
    email: `${sub}@example.test`,
    at_hash: atHash,
  });
  return { sub, accessToken, idToken };
}

function send(pair) {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/t/me', method: 'GET', agent, headers: { ACCESSTOKEN: pair.accessToken, IDTOKEN: pair.idToken } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let sub;
          try {
            sub = JSON.parse(body).sub;
          } catch {
            sub = undefined;
          }
          resolve({ ok: res.statusCode === 200 && sub === pair.sub, status: res.statusCode, body: body.slice(0, 200) });
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ ok: false, status: 0, body: err.message }));
    req.end();
  });
}

parentPort.on('message', async (msg) => {
  if (msg.type === 'close') {
    agent.destroy();
    parentPort.close();
    return;
  }
  if (msg.type !== 'run') return;
  let next = msg.from;
  let sent = 0;
  let ok = 0;
  let errors = 0;
  const samples = [];
  signNs = 0n;
  const lane = async () => {
    while (next < msg.to && Date.now() < msg.deadline) {
      const pair = mint(next++);
      const res = await send(pair);
      sent++;
      if (res.ok) ok++;
      else {
        errors++;
        if (samples.length < 5) samples.push(`${res.status} ${res.body}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  parentPort.postMessage({ type: 'done', workerId, sent, ok, errors, samples, signMs: Number(signNs / 1_000_000n) });
});
