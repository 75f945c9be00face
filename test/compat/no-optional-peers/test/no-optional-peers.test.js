// The optional peers are optional: with neither typeorm nor @nestjs/config installed, the package
// loads with require() and import(), and an app boots and authenticates (user sync off, the
// principal from the claims). `npm run compat`.
require('reflect-metadata');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');

describe('without the optional peers', () => {
  it('typeorm and @nestjs/config are really absent here', () => {
    for (const name of ['typeorm', '@nestjs/config']) {
      assert.throws(() => require.resolve(name), { code: 'MODULE_NOT_FOUND' }, name);
    }
  });

  it('require() and import() load the package; CognitoUser is a plain class', async () => {
    const cjs = require('nest-cognito-auth');
    const esm = await import('nest-cognito-auth');
    for (const copy of [cjs, esm]) {
      const user = new copy.CognitoUser();
      user.sub = 'abc';
      assert.equal(user.sub, 'abc');
    }
  });

  it('an optional peer that is installed but cannot load is an error, not "absent"', () => {
    // NODE_PATH is where require() looks last: there, a typeorm whose own dependency is missing.
    const env = { ...process.env, NODE_PATH: path.join(__dirname, 'fixtures', 'broken-peer') };
    for (const code of ["require('nest-cognito-auth')", "import('nest-cognito-auth').catch((e) => { throw e; })"]) {
      const run = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8' });
      assert.notEqual(run.status, 0, code);
      assert.match(run.stderr, /Cannot find module 'a-dependency-typeorm-lost'/, code);
    }
  });

  describe('an app', () => {
    let idp;
    let app;
    let base;

    before(async () => {
      const { Controller, Get, Module } = require('@nestjs/common');
      const { NestFactory } = require('@nestjs/core');
      const { CognitoAuthModule, CurrentUser, Public } = require('nest-cognito-auth');
      const { TestIdentityProvider } = require('nest-cognito-auth/testing');
      idp = await TestIdentityProvider.start({ userPoolId: 'local_NoOptionalPeers' });

      class AppController {
        health() {
          return { status: 'ok' };
        }
        me(user) {
          return user;
        }
      }
      const descriptor = (name) => Object.getOwnPropertyDescriptor(AppController.prototype, name);
      Public()(AppController.prototype, 'health', descriptor('health'));
      Get('health')(AppController.prototype, 'health', descriptor('health'));
      Get('me')(AppController.prototype, 'me', descriptor('me'));
      CurrentUser()(AppController.prototype, 'me', 0);
      Controller()(AppController);

      class AppModule {}
      // No options: settings from process.env, read directly since @nestjs/config is absent.
      Object.assign(process.env, idp.env());
      Module({ imports: [CognitoAuthModule.forRoot()], controllers: [AppController] })(AppModule);

      app = await NestFactory.create(AppModule, { logger: false });
      await app.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
    });

    after(async () => {
      await app?.close();
      await idp?.close();
    });

    it('a @Public() route: 200 without a token', async () => {
      assert.equal((await fetch(`${base}/health`)).status, 200);
    });

    it('no token: 401 token_missing', async () => {
      const res = await fetch(`${base}/me`);
      assert.equal(res.status, 401);
      assert.equal((await res.json()).code, 'token_missing');
    });

    it('a valid pair: 200 with the principal built from the claims (no user table)', async () => {
      const tokens = await idp.issueTokens();
      const res = await fetch(`${base}/me`, { headers: { ACCESSTOKEN: tokens.accessToken, IDTOKEN: tokens.idToken } });
      assert.equal(res.status, 200);
      const principal = await res.json();
      assert.equal(principal.sub, tokens.sub);
      assert.equal(principal.id, undefined);
    });
  });
});
