/**
 * TokenRefreshService against the TestIdentityProvider's Cognito JSON-protocol endpoint: the real
 * SDK v3 client, SECRET_HASH checked by the provider, fault modes and call counters.
 */
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { AuthUnavailableError, RefreshFailedError } from '../../../src/errors/cognito-auth.errors.js';
import type { CognitoAuthModuleOptions } from '../../../src/options/cognito-auth.options.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { TokenRefreshService } from '../../../src/tokens/token-refresh.service.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { decodeJwtPayload, findFreePort } from '../../support/cognito-local.js';

const PUBLIC_CLIENT = 'publicclient1';
const SECRET_CLIENT = 'secretclient1';
const SECRET = 'sUp3r-s3cr3t-v4lue-0f-th3-s3cr3t-cl13nt-abcdefghij';

describe('TokenRefreshService against the TestIdentityProvider', () => {
  let idp: TestIdentityProvider;
  const services: TokenRefreshService[] = [];

  /** A service pointed at the provider; `overrides` win over its module options. */
  const makeService = (overrides: CognitoAuthModuleOptions = {}): TokenRefreshService => {
    const service = new TokenRefreshService(resolveCognitoSettings({ ...idp.moduleOptions(), ...overrides }, () => undefined));
    services.push(service);
    return service;
  };

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({
      clients: [{ clientId: PUBLIC_CLIENT }, { clientId: SECRET_CLIENT, clientSecret: SECRET }],
    });
  });

  afterEach(() => {
    idp.refresh.mode = 'ok';
    idp.refresh.delayMs = 0;
    idp.resetStats();
    for (const s of services.splice(0)) s.onModuleDestroy();
  });

  afterAll(async () => {
    await idp.close();
  });

  describe('SECRET_HASH', () => {
    it('refreshes for a secret client when the configured secret is right', async () => {
      const issued = await idp.issueTokens({ username: 'bob', clientId: SECRET_CLIENT });
      const tokens = await makeService().refresh({
        refreshToken: issued.refreshToken,
        clientId: SECRET_CLIENT,
        sub: issued.sub,
        username: 'bob',
      });
      expect(decodeJwtPayload(tokens.accessToken)).toMatchObject({ sub: issued.sub, token_use: 'access', client_id: SECRET_CLIENT });
      expect(decodeJwtPayload(tokens.idToken)).toMatchObject({ sub: issued.sub, token_use: 'id', aud: SECRET_CLIENT });
      expect(tokens.refreshToken).toBeUndefined();
      expect(idp.stats.initiateAuth).toBe(1);
    });

    it('fails with RefreshFailedError when the configured secret is wrong', async () => {
      const issued = await idp.issueTokens({ username: 'bob', clientId: SECRET_CLIENT });
      const service = makeService({ clientSecret: { [SECRET_CLIENT]: 'not-the-secret' } });
      await expect(
        service.refresh({ refreshToken: issued.refreshToken, clientId: SECRET_CLIENT, sub: issued.sub, username: 'bob' }),
      ).rejects.toBeInstanceOf(RefreshFailedError);
      expect(idp.stats.initiateAuth).toBe(1);
    });

    it('fails with RefreshFailedError when the username is not the one the hash needs', async () => {
      const issued = await idp.issueTokens({ username: 'bob', clientId: SECRET_CLIENT });
      await expect(
        makeService().refresh({ refreshToken: issued.refreshToken, clientId: SECRET_CLIENT, sub: issued.sub, username: 'mallory' }),
      ).rejects.toBeInstanceOf(RefreshFailedError);
    });

    it('fails with RefreshFailedError, without calling Cognito, for a secret client and no username', async () => {
      const issued = await idp.issueTokens({ username: 'bob', clientId: SECRET_CLIENT });
      await expect(
        makeService().refresh({ refreshToken: issued.refreshToken, clientId: SECRET_CLIENT, sub: issued.sub }),
      ).rejects.toBeInstanceOf(RefreshFailedError);
      expect(idp.stats.initiateAuth).toBe(0);
    });

    it('sends no SECRET_HASH for a public client', async () => {
      const issued = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      const tokens = await makeService().refresh({ refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub });
      expect(decodeJwtPayload(tokens.idToken).sub).toBe(issued.sub);
    });
  });

  describe('single flight', () => {
    it('makes one InitiateAuth for 50 concurrent refreshes of one token', async () => {
      const issued = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      idp.refresh.delayMs = 100;
      const service = makeService();
      const results = await Promise.all(
        Array.from({ length: 50 }, () => service.refresh({ refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub })),
      );
      expect(idp.stats.initiateAuth).toBe(1);
      expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
      expect(decodeJwtPayload(results[0].accessToken).sub).toBe(issued.sub);

      // A late request of the same storm, after the call settled, gets the same result with no new call.
      const late = await service.refresh({ refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub });
      expect(late.accessToken).toBe(results[0].accessToken);
      expect(idp.stats.initiateAuth).toBe(1);
      // Another instance shares nothing: it calls Cognito again.
      await makeService().refresh({ refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub });
      expect(idp.stats.initiateAuth).toBe(2);
    });

    it('shares a refusal too, and keeps answering it with no new call', async () => {
      const issued = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      const input = { refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub };
      idp.refresh.mode = 'not-authorized';
      idp.refresh.delayMs = 50;
      const service = makeService();
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => service.refresh(input)));
      expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof RefreshFailedError)).toBe(true);
      expect(idp.stats.initiateAuth).toBe(1);

      idp.refresh.mode = 'ok';
      await expect(service.refresh(input)).rejects.toBeInstanceOf(RefreshFailedError);
      expect(idp.stats.initiateAuth).toBe(1);
    });

    it('shares an outage too, and forgets it once settled', async () => {
      const issued = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      const input = { refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub };
      idp.refresh.mode = 'error';
      idp.refresh.delayMs = 50;
      const service = makeService();
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => service.refresh(input)));
      expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof AuthUnavailableError)).toBe(true);
      const calls = idp.stats.initiateAuth;
      expect(calls).toBeGreaterThanOrEqual(1);
      expect(calls).toBeLessThanOrEqual(2); // one call, with the SDK's one retry

      idp.refresh.mode = 'ok';
      await expect(service.refresh(input)).resolves.toBeDefined();
      expect(idp.stats.initiateAuth).toBe(calls + 1);
    });

    it('makes one call per distinct refresh token', async () => {
      const a = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      const b = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      idp.refresh.delayMs = 50;
      const service = makeService();
      const [ra, rb] = await Promise.all([
        service.refresh({ refreshToken: a.refreshToken, clientId: PUBLIC_CLIENT, sub: a.sub }),
        service.refresh({ refreshToken: a.refreshToken, clientId: PUBLIC_CLIENT, sub: a.sub }),
        service.refresh({ refreshToken: b.refreshToken, clientId: PUBLIC_CLIENT, sub: b.sub }),
      ]).then(([x, , z]) => [x, z]);
      expect(idp.stats.initiateAuth).toBe(2);
      expect(decodeJwtPayload(ra.idToken).sub).toBe(a.sub);
      expect(decodeJwtPayload(rb.idToken).sub).toBe(b.sub);
    });
  });

  describe('failures', () => {
    /** A refresh that fails, with the lines that log why Cognito was unavailable (the cause, by name). */
    async function failedRefresh(service: TokenRefreshService, issued: { refreshToken: string; sub: string }) {
      const capture = new CaptureLogger();
      Logger.overrideLogger(capture);
      try {
        const err = await service
          .refresh({ refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub })
          .catch((e: unknown) => e);
        return { err, causes: capture.lines.filter((line) => line.includes('Cognito InitiateAuth unavailable')) };
      } finally {
        Logger.overrideLogger(false);
      }
    }
    const TIMED_OUT = [expect.stringMatching(/^error Cognito InitiateAuth unavailable: TimeoutError\b/)];

    it('maps throttling to AuthUnavailableError with the configured Retry-After', async () => {
      const issued = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      idp.refresh.mode = 'throttle';
      const err = await makeService({ retryAfterSeconds: 9 })
        .refresh({ refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthUnavailableError);
      expect((err as AuthUnavailableError).getStatus()).toBe(503);
      expect((err as AuthUnavailableError).code).toBe('auth_unavailable');
      expect((err as AuthUnavailableError).retryAfterSeconds).toBe(9);
      expect(idp.stats.initiateAuth).toBeGreaterThanOrEqual(1);
      expect(idp.stats.initiateAuth).toBeLessThanOrEqual(2); // maxAttempts 2
    });

    it('maps a hanging endpoint to AuthUnavailableError within cognitoTimeoutMs', async () => {
      const issued = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      idp.refresh.mode = 'hang';
      const service = makeService({ cognitoTimeoutMs: 800 });
      // Only the timeout can end a call to an endpoint that never answers: the logged cause says it
      // fired (no elapsed-time bound, which a loaded machine stretches).
      const { err, causes } = await failedRefresh(service, issued);
      expect(err).toBeInstanceOf(AuthUnavailableError);
      expect(causes).toEqual(TIMED_OUT);
      // The overall deadline ended the call: no SDK retry after it (a per-attempt timeout would retry).
      expect(idp.stats.initiateAuth).toBe(1);
    });

    it('keeps the whole budget, SDK retries included, when every attempt is slow', async () => {
      const issued = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      idp.refresh.mode = 'error';
      idp.refresh.delayMs = 450; // a 500 after 450 ms, a retry, another 450 ms: past the budget
      const service = makeService({ cognitoTimeoutMs: 800 });
      // Which error ended the call is logged by name: the SDK's last answer (the 500 of the retry)
      // can come no sooner than 900 ms after the start, so only an overall deadline of 800 ms ends
      // the call with a TimeoutError. A deadline per attempt would let the retry answer (its 500).
      const { err, causes } = await failedRefresh(service, issued);
      expect(err).toBeInstanceOf(AuthUnavailableError);
      expect(causes).toEqual(TIMED_OUT);
    });

    it('maps a 500 to AuthUnavailableError', async () => {
      const issued = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      idp.refresh.mode = 'error';
      await expect(
        makeService().refresh({ refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub }),
      ).rejects.toBeInstanceOf(AuthUnavailableError);
    });

    it('maps malformed JSON to AuthUnavailableError', async () => {
      const issued = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      idp.refresh.mode = 'malformed';
      await expect(
        makeService().refresh({ refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub }),
      ).rejects.toBeInstanceOf(AuthUnavailableError);
    });

    it('maps a refused connection (closed port) to AuthUnavailableError', async () => {
      const port = await findFreePort();
      // A timeout longer than the test's own (30 s): the refusal is answered without waiting for it,
      // or the test fails; no wall-clock bound.
      const service = makeService({ endpoint: `http://127.0.0.1:${port}`, cognitoTimeoutMs: 120_000 });
      await expect(service.refresh({ refreshToken: 'a'.repeat(64), clientId: PUBLIC_CLIENT, sub: 'user-1' })).rejects.toBeInstanceOf(
        AuthUnavailableError,
      );
    });

    it('maps NotAuthorizedException, an unknown token and an unknown client to RefreshFailedError', async () => {
      const issued = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      const service = makeService();
      await expect(
        service.refresh({ refreshToken: 'no-such-refresh-token', clientId: PUBLIC_CLIENT, sub: issued.sub }),
      ).rejects.toBeInstanceOf(RefreshFailedError);
      // A token of another client (the provider answers NotAuthorizedException).
      await expect(
        service.refresh({ refreshToken: issued.refreshToken, clientId: SECRET_CLIENT, sub: issued.sub, username: issued.username }),
      ).rejects.toBeInstanceOf(RefreshFailedError);
      idp.refresh.mode = 'not-authorized';
      await expect(service.refresh({ refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub })).rejects.toBeInstanceOf(
        RefreshFailedError,
      );
    });

    it('answers RefreshFailedError when the pool client is unknown to Cognito (ResourceNotFoundException)', async () => {
      // Configured here, unknown to the provider.
      const service = makeService({ clientId: [PUBLIC_CLIENT, 'ghostclient'], clientSecret: {} });
      await expect(service.refresh({ refreshToken: 'x'.repeat(64), clientId: 'ghostclient', sub: 'user-1' })).rejects.toBeInstanceOf(
        RefreshFailedError,
      );
    });
  });

  describe('rotation and revocation', () => {
    it('uses GetTokensFromRefreshToken with refreshTokenRotation and returns the new refresh token', async () => {
      const issued = await idp.issueTokens({ username: 'carol', clientId: SECRET_CLIENT });
      const service = makeService({ refreshTokenRotation: true });
      const tokens = await service.refresh({ refreshToken: issued.refreshToken, clientId: SECRET_CLIENT, sub: issued.sub });
      expect(idp.stats.getTokensFromRefreshToken).toBe(1);
      expect(idp.stats.initiateAuth).toBe(0);
      expect(tokens.refreshToken).toEqual(expect.any(String));
      expect(tokens.refreshToken).not.toBe(issued.refreshToken);
      expect(decodeJwtPayload(tokens.idToken).sub).toBe(issued.sub);

      // The new one works; the old one was rotated away at the provider. Requests still carrying
      // the old one just after the rotation get the rotated result, with no new call.
      await expect(
        service.refresh({ refreshToken: tokens.refreshToken!, clientId: SECRET_CLIENT, sub: issued.sub }),
      ).resolves.toBeDefined();
      const calls = idp.stats.getTokensFromRefreshToken;
      await expect(service.refresh({ refreshToken: issued.refreshToken, clientId: SECRET_CLIENT, sub: issued.sub })).resolves.toEqual(
        tokens,
      );
      expect(idp.stats.getTokensFromRefreshToken).toBe(calls);
      await expect(
        makeService({ refreshTokenRotation: true }).refresh({
          refreshToken: issued.refreshToken,
          clientId: SECRET_CLIENT,
          sub: issued.sub,
        }),
      ).rejects.toBeInstanceOf(RefreshFailedError);
    });

    it('sends the client secret with GetTokensFromRefreshToken (a wrong one is refused)', async () => {
      const issued = await idp.issueTokens({ clientId: SECRET_CLIENT });
      const service = makeService({ refreshTokenRotation: true, clientSecret: { [SECRET_CLIENT]: 'wrong' } });
      await expect(service.refresh({ refreshToken: issued.refreshToken, clientId: SECRET_CLIENT, sub: issued.sub })).rejects.toBeInstanceOf(
        RefreshFailedError,
      );
    });

    it('revokes a refresh token (with the client secret); a later refresh fails', async () => {
      const issued = await idp.issueTokens({ username: 'dave', clientId: SECRET_CLIENT });
      const service = makeService();
      await service.revoke(issued.refreshToken, { clientId: SECRET_CLIENT });
      expect(idp.stats.revokeToken).toBe(1);
      await expect(
        service.refresh({ refreshToken: issued.refreshToken, clientId: SECRET_CLIENT, sub: issued.sub, username: 'dave' }),
      ).rejects.toBeInstanceOf(RefreshFailedError);
    });

    it('forgets a recent refresh of a token once it is revoked', async () => {
      const issued = await idp.issueTokens({ clientId: PUBLIC_CLIENT });
      const service = makeService();
      await service.refresh({ refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub });
      await service.revoke(issued.refreshToken, { clientId: PUBLIC_CLIENT });
      await expect(service.refresh({ refreshToken: issued.refreshToken, clientId: PUBLIC_CLIENT, sub: issued.sub })).rejects.toBeInstanceOf(
        RefreshFailedError,
      );
    });

    it('maps revoke failures like refresh failures', async () => {
      const issued = await idp.issueTokens({ clientId: SECRET_CLIENT });
      await expect(
        makeService({ clientSecret: { [SECRET_CLIENT]: 'wrong' } }).revoke(issued.refreshToken, { clientId: SECRET_CLIENT }),
      ).rejects.toBeInstanceOf(RefreshFailedError);
      const port = await findFreePort();
      await expect(
        makeService({ endpoint: `http://127.0.0.1:${port}` }).revoke(issued.refreshToken, { clientId: SECRET_CLIENT }),
      ).rejects.toBeInstanceOf(AuthUnavailableError);
    });
  });

  describe('logging', () => {
    const written: string[] = [];
    const capture = new CaptureLogger();
    let spies: { mockRestore(): void }[] = [];

    beforeEach(() => {
      Logger.overrideLogger(capture);
      const keep = (chunk: unknown) => {
        written.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
        return true;
      };
      spies = [
        jest.spyOn(process.stdout, 'write').mockImplementation(keep as never),
        jest.spyOn(process.stderr, 'write').mockImplementation(keep as never),
        ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
          jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void written.push(args.map(String).join(' '))),
        ),
      ];
    });

    afterEach(() => {
      for (const s of spies) s.mockRestore();
      Logger.overrideLogger(false);
    });

    it('never logs the refresh token or any 16-character slice of it, whatever fails', async () => {
      const issued = await idp.issueTokens({ username: 'erin', clientId: SECRET_CLIENT });
      const refreshToken = issued.refreshToken;
      const service = makeService();
      // Only the hanging endpoint needs a short timeout; every other call succeeds or fails on its own.
      const hanging = makeService({ cognitoTimeoutMs: 500 });
      const wrongSecret = makeService({ clientSecret: { [SECRET_CLIENT]: 'wrong' } });
      const down = makeService({ endpoint: `http://127.0.0.1:${await findFreePort()}` });
      const input = { refreshToken, clientId: SECRET_CLIENT, sub: issued.sub, username: 'erin' };

      for (const mode of ['throttle', 'error', 'hang', 'malformed'] as const) {
        idp.refresh.mode = mode;
        await expect((mode === 'hang' ? hanging : service).refresh(input)).rejects.toBeDefined();
      }
      idp.refresh.mode = 'not-authorized';
      const refusing = makeService();
      await expect(refusing.refresh(input)).rejects.toBeInstanceOf(RefreshFailedError);
      await expect(refusing.refresh(input)).rejects.toBeInstanceOf(RefreshFailedError); // remembered
      idp.refresh.mode = 'ok';
      await expect(wrongSecret.refresh(input)).rejects.toBeInstanceOf(RefreshFailedError);
      await expect(down.refresh(input)).rejects.toBeInstanceOf(AuthUnavailableError);
      await expect(service.refresh({ ...input, username: undefined })).rejects.toBeInstanceOf(RefreshFailedError);
      await expect(service.refresh({ ...input, sub: undefined as unknown as string })).rejects.toBeInstanceOf(AuthUnavailableError);
      await expect(service.refresh({ ...input, refreshToken: `${refreshToken}garbage` })).rejects.toBeInstanceOf(RefreshFailedError);
      const limited = makeService();
      for (let i = 0; i < 10; i++) await limited.refresh({ ...input, refreshToken: `${refreshToken}x${i}` }).catch(() => undefined);
      await expect(limited.refresh(input)).rejects.toBeInstanceOf(AuthUnavailableError); // over the per-user limit
      const tokens = await service.refresh(input);
      await service.revoke(refreshToken, { clientId: SECRET_CLIENT });
      await expect(service.refresh(input)).rejects.toBeInstanceOf(RefreshFailedError);

      const lines = [...capture.lines, ...written];
      expect(capture.lines.length).toBeGreaterThanOrEqual(10); // the failures were logged...
      const secrets = [refreshToken, tokens.accessToken, tokens.idToken, SECRET];
      const leaks = lines.filter((line) =>
        secrets.some((s) => {
          for (let i = 0; i + 16 <= s.length; i++) if (line.includes(s.slice(i, i + 16))) return true;
          return false;
        }),
      );
      expect(leaks).toEqual([]); // ...and none of them names a token or the secret
    });
  });
});
