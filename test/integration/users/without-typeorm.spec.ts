/**
 * typeorm is an optional peer: the entity and the service load without it, and sync is off
 * (or start-up says why, when it was asked for explicitly).
 */
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { testSettings } from '../../support/user-sync.js';

// The library loads typeorm with require() (an optional peer): make that require fail the way
// Node fails for a package that is not installed.
jest.mock('typeorm', () => {
  const error = new Error("Cannot find module 'typeorm' from 'src/internal/optional-require.cts'") as Error & { code: string };
  error.code = 'MODULE_NOT_FOUND';
  throw error;
});

const { CognitoUser } = await import('../../../src/users/cognito-user.entity.js');
const { UserSyncService } = await import('../../../src/users/user-sync.service.js');
const { CognitoConfigError } = await import('../../../src/errors/cognito-auth.errors.js');

describe('without typeorm installed', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('CognitoUser is a plain class', () => {
    const user = new CognitoUser();
    user.sub = 'abc';
    expect(user).toMatchObject({ sub: 'abc' });
  });

  it('user sync is off when it was not asked for explicitly', () => {
    const service = new UserSyncService(testSettings({ explicit: false }));
    service.onModuleInit();
    expect(service.enabled).toBe(false);
  });

  it('start-up names the missing dependency when user sync was asked for', () => {
    const service = new UserSyncService(testSettings({ explicit: true }));
    expect(() => service.onModuleInit()).toThrow(CognitoConfigError);
    expect(() => service.onModuleInit()).toThrow(/peer dependency "typeorm"/);
    try {
      service.onModuleInit();
    } catch (error) {
      expect(error).toMatchObject({ setting: 'users' });
    }
  });
});
