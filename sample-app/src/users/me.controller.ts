import { Controller, Get } from '@nestjs/common';
import { CognitoClaims, CurrentUser, Groups, Public, type VerifiedTokens } from 'nest-cognito-auth';
import { User } from './user.entity.js';

@Controller()
export class MeController {
  /** Liveness, open to all. */
  @Public()
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** The caller's row in the app's own `users` table, synced from the tokens. */
  @Get('me')
  me(@CurrentUser() user: User): User {
    return user;
  }

  /** Members of the Cognito group `admin` only: 403 `forbidden_group` for everyone else. */
  @Groups('admin')
  @Get('admin')
  admin(
    @CurrentUser() user: User,
    @CognitoClaims() claims: VerifiedTokens,
  ): { message: string; userId: number; groups: readonly string[] } {
    const name = user.first_name ?? user.email ?? 'admin';
    return { message: `Hello ${name}, you are an admin`, userId: user.id, groups: claims.id?.['cognito:groups'] ?? [] };
  }
}
