import { randomBytes } from 'node:crypto';
import type { Type } from '@nestjs/common';
import type { CognitoAuthForRootOptions } from '../../../src/index.js';
import { CognitoFlowsControllerModule } from '../../../src/flows/cognito-flows.module.js';
import type { TestIdentityProvider } from '../../../src/testing/index.js';
import { createTestApp, type HttpPlatform, ProbeController, type TestApp, type TestAppExtras } from '../../support/test-app.js';

/** The state key of the flows' test apps (sealed sessions, the signed OAuth cookie). */
export const STATE_KEY = randomBytes(32).toString('base64url');

/** A strong password for the test pool's default policy. */
export const PASSWORD = 'Corr3ct-Horse!';

/**
 * A test app with the flows controller under /auth (registered the way `forRootAsync` users do,
 * with `CognitoFlowsControllerModule.register()`), the probe routes, pointed at `idp`.
 */
export function flowsApp(
  idp: TestIdentityProvider,
  options: Partial<CognitoAuthForRootOptions> = {},
  extra: TestAppExtras & { controllers?: Type[] } = {},
  platform: HttpPlatform = 'express',
): Promise<TestApp> {
  return createTestApp(
    { ...idp.moduleOptions(), sharedState: { stateKey: STATE_KEY }, ...options },
    {
      ...extra,
      imports: [...(extra.imports ?? []), CognitoFlowsControllerModule.register()],
      controllers: extra.controllers ?? [ProbeController],
    },
    platform,
  );
}

/** Every string value of a JSON body or of log lines, flattened, to look for leaks. */
export function texts(...values: unknown[]): string[] {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
}
