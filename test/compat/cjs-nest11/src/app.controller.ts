import { Controller, Get } from '@nestjs/common';
import { CurrentUser, Public } from 'nest-cognito-auth';
import { CompatUser } from './compat-user.entity';

@Controller()
export class AppController {
  /** Open to anyone: the module's global guard lets `@Public()` routes through. */
  @Public()
  @Get('health')
  health(): { status: string } {
    return { status: 'ok' };
  }

  /** The synced user row of the caller. */
  @Get('me')
  me(@CurrentUser() user: CompatUser): CompatUser {
    return user;
  }
}
