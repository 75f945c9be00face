/**
 * A CommonJS and an ES module copy of nest-cognito-auth in one process (an ESM app whose
 * CommonJS dependency requires the library, or the reverse) must agree: injection tokens are
 * `Symbol.for(...)`, metadata keys are plain strings, errors are recognised by `code`.
 *
 * Each compat app runs this with its own installed copies (test/dual-package.test.mjs), under
 * plain Node (`node --test`): Jest on Node 20 cannot require() an ES module, and NestJS 12 is one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

/**
 * @param {object} modules the app's own installed modules
 * @param {Record<string, unknown>} modules.cjs `require('nest-cognito-auth')`
 * @param {Record<string, unknown>} modules.esm `await import('nest-cognito-auth')`
 * @param {{ TestIdentityProvider: any }} modules.testing `nest-cognito-auth/testing`
 * @param {any} modules.common `@nestjs/common`
 * @param {any} modules.core `@nestjs/core`
 */
export function dualPackageSuite({ cjs, esm, testing, common, core }) {
  describe('a CommonJS and an ESM copy of nest-cognito-auth in one app', () => {
    it('are two copies (else nothing below would be tested)', () => {
      assert.notEqual(cjs.CognitoAuthModule, esm.CognitoAuthModule);
      assert.equal(typeof cjs.CognitoAuthModule, 'function');
    });

    it('export the same injection tokens and keys', () => {
      assert.equal(typeof esm.COGNITO_AUTH_SETTINGS, 'symbol');
      assert.equal(cjs.COGNITO_AUTH_SETTINGS, esm.COGNITO_AUTH_SETTINGS);
      const keys = Object.keys(esm).filter((name) => ['symbol', 'string'].includes(typeof esm[name]));
      assert.ok(keys.includes('COGNITO_AUTH_MODULE_OPTIONS'));
      assert.equal(typeof esm.COGNITO_AUTH_MODULE_OPTIONS, 'symbol');
      for (const name of keys) assert.equal(cjs[name], esm[name], `${name} differs between the two copies`);
    });

    it("recognise each other's errors by code", () => {
      const fromCjs = new cjs.TokenInvalidError();
      const fromEsm = new esm.TokenInvalidError();
      assert.equal(fromCjs instanceof esm.CognitoAuthError, false);
      assert.equal(esm.isCognitoAuthError(fromCjs), true);
      assert.equal(cjs.isCognitoAuthError(fromEsm), true);
      assert.equal(fromCjs.code, 'token_invalid');
    });

    describe('decorators from the CommonJS copy under the ESM copy’s module and guard', () => {
      let idp;
      let app;
      let base;

      before(async () => {
        idp = await testing.TestIdentityProvider.start({ userPoolId: 'local_CompatDual' });
        const { Controller, Get, Module } = common;
        class MixedController {
          health() {
            return { status: 'ok' };
          }
          me(user) {
            return { sub: user?.sub };
          }
          fail() {
            throw new cjs.TokenInvalidError('refused by the CommonJS copy');
          }
        }
        const route = (name, path, ...extra) => {
          const descriptor = Object.getOwnPropertyDescriptor(MixedController.prototype, name);
          for (const decorate of [Get(path), ...extra]) decorate(MixedController.prototype, name, descriptor);
        };
        route('health', 'health', cjs.Public());
        route('me', 'me');
        cjs.CurrentUser()(MixedController.prototype, 'me', 0);
        route('fail', 'fail');
        Controller()(MixedController);

        class MixedModule {}
        Module({
          imports: [esm.CognitoAuthModule.forRoot({ ...idp.moduleOptions(), users: false })],
          controllers: [MixedController],
        })(MixedModule);

        app = await core.NestFactory.create(MixedModule, { logger: false });
        await app.listen(0, '127.0.0.1');
        base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
      });

      after(async () => {
        await app?.close();
        await idp?.close();
      });

      const pairHeaders = async () => {
        const tokens = await idp.issueTokens();
        return { headers: { ACCESSTOKEN: tokens.accessToken, IDTOKEN: tokens.idToken }, sub: tokens.sub };
      };

      it('@Public() (CommonJS) is honoured by the guard (ESM)', async () => {
        const res = await fetch(`${base}/health`);
        assert.equal(res.status, 200);
      });

      it('@CurrentUser() (CommonJS) sees the user the guard (ESM) established', async () => {
        const { headers, sub } = await pairHeaders();
        const res = await fetch(`${base}/me`, { headers });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { sub });
      });

      it('no token: 401 token_missing', async () => {
        const res = await fetch(`${base}/me`);
        assert.equal(res.status, 401);
        assert.equal((await res.json()).code, 'token_missing');
      });

      it('an error of the CommonJS copy is answered with its status and code', async () => {
        const { headers } = await pairHeaders();
        const res = await fetch(`${base}/fail`, { headers });
        assert.equal(res.status, 401);
        assert.equal((await res.json()).code, 'token_invalid');
      });
    });
  });
}
