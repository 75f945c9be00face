/**
 * Routes and helpers of the identity e2e suites (token modes, machine callers, several pools, the
 * app's hooks): each route answers who called, from which pool, with which tokens, and which user
 * row (if any) user sync gave it.
 */
import { Controller, Get } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import {
  AllowMachines,
  CognitoClaims,
  CognitoUser,
  CurrentUser,
  MachinesOnly,
  Public,
  Scopes,
  TokenUse,
  type VerifiedTokens,
} from '../../../src/index.js';
import { Pools } from '../../../src/guard/pools.decorator.js';
import type { TestApp } from '../../support/test-app.js';

/** What every probe route answers. */
export interface Who {
  sub: string | null;
  kind: string | null;
  pool: string | null;
  email: string | null;
  /** The principal's groups; null for a synced row. */
  groups: readonly string[] | null;
  /** The synced row's primary key; null when the caller is a principal (machines, or sync off). */
  row: number | null;
  /** Which tokens were verified. */
  access: boolean;
  id: boolean;
}

function who(user: unknown, claims: VerifiedTokens): Who {
  const u = (user ?? {}) as { sub?: string; kind?: string; pool?: string; email?: string | null; groups?: readonly string[]; id?: number };
  return {
    sub: u.sub ?? null,
    kind: u.kind ?? null,
    pool: u.pool ?? null,
    email: u.email ?? null,
    groups: u.groups ?? null,
    row: typeof u.id === 'number' ? u.id : null,
    access: claims.access !== undefined,
    id: claims.id !== undefined,
  };
}

/** One route per token mode. */
@Controller('modes')
export class ModesController {
  @Get('pair')
  pair(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }

  @TokenUse('access')
  @Get('access')
  access(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }

  @TokenUse('id')
  @Get('id')
  id(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }

  @TokenUse('any')
  @Get('any')
  any(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }
}

/** Who may call: users (the default), both, machines only, machines with a scope. */
@Controller('callers')
@TokenUse('any')
export class CallersController {
  @Get('users')
  users(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }

  @AllowMachines()
  @Get('both')
  both(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }

  @MachinesOnly()
  @Get('machines')
  machines(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }

  @MachinesOnly()
  @Scopes('reports/read')
  @Get('reports')
  reports(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }
}

/** Routes of every pool, of one pool, and a class rule a handler replaces. */
@Controller('pools')
@TokenUse('any')
@AllowMachines()
export class PoolsController {
  @Get('any')
  any(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }

  @Pools('staff')
  @Get('staff')
  staff(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }
}

@Controller('customers')
@TokenUse('any')
@Pools('customers')
export class CustomersController {
  @Get()
  list(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }

  @Pools('staff', 'customers')
  @Get('shared')
  shared(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }
}

/** A public controller: its handlers are open, except one with its own `@Pools`, which needs a token of that pool. */
@Controller('lobby')
@Public()
@TokenUse('any')
export class LobbyController {
  @Get()
  open(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }

  @Pools('staff')
  @Get('staff')
  staff(@CurrentUser() user: unknown, @CognitoClaims() claims: VerifiedTokens): Who {
    return who(user, claims);
  }
}

/** An in-memory SQLite database with the library's `CognitoUser` table (user sync on). */
export function sqliteUsers(): ReturnType<typeof TypeOrmModule.forRoot> {
  return TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [CognitoUser], synchronize: true });
}

/** Rows of the app's `cognito_users` table with this `sub`. */
export function rowsOf(t: TestApp, sub: string): Promise<number> {
  return t.app.get(DataSource).getRepository(CognitoUser).countBy({ sub });
}

/** A refusal: its status and code, the error body's shape, and no token (nor any part of one) in the body. */
export function expectRefusal(res: Response, status: number, code: string, tokens: readonly (string | undefined)[] = []): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(Object.keys(res.body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
  const parts = tokens.flatMap((token) => (token ? token.split('.') : [])).filter((part) => part.length > 16);
  for (const part of parts) expect(res.text).not.toContain(part);
}
