// An ES module consumer of the package's declarations. Every line must type-check, and the lines
// marked as expected errors must fail: that proves the types are real (an unresolved declaration
// would be `any` and accept anything).
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import {
  COGNITO_AUTH_SETTINGS,
  CognitoAuthModule,
  CognitoGuard,
  CognitoUser,
  CurrentUser,
  Groups,
  Public,
  isCognitoAuthError,
  type CognitoAuthModuleOptions,
  type CognitoAuthSettings,
  type CognitoPrincipal,
} from 'nest-cognito-auth';
import { TestIdentityProvider, type IssuedTokens } from 'nest-cognito-auth/testing';

const options: CognitoAuthModuleOptions = { userPoolId: 'eu-west-1_AbC123', clientId: ['web', 'mobile'] };

@Controller()
class NotesController {
  @Public()
  @Get('open')
  open(): string {
    return 'ok';
  }

  @Groups('admin')
  @Get('me')
  me(@CurrentUser() user: CognitoPrincipal): string {
    return user.sub;
  }
}

@Module({
  imports: [
    CognitoAuthModule.forRoot(options),
    CognitoAuthModule.forRootAsync({ useFactory: () => options, globalGuard: false }),
  ],
  controllers: [NotesController],
  providers: [CognitoGuard],
})
export class AppModule {}

export const settingsToken: symbol = COGNITO_AUTH_SETTINGS;
export const entity: typeof CognitoUser = CognitoUser;
export type Settings = CognitoAuthSettings;

export async function tokens(): Promise<IssuedTokens> {
  const idp = await TestIdentityProvider.start({ clients: [{ clientId: 'web' }] });
  return idp.issueTokens({ groups: ['admin'], email: null });
}

export function codeOf(error: unknown): string | undefined {
  return isCognitoAuthError(error) ? error.code : undefined;
}

// @ts-expect-error clientId is a string or a list of strings
export const wrongClient: CognitoAuthModuleOptions = { userPoolId: 'eu-west-1_AbC123', clientId: 42 };

export async function wrongTokens(idp: TestIdentityProvider): Promise<void> {
  // @ts-expect-error groups is a list of strings
  await idp.issueTokens({ groups: 'admin' });
}
