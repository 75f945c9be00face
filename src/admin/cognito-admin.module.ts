import { type DynamicModule, Module } from '@nestjs/common';
import { CognitoFlowsModule } from '../flows/cognito-flows.module.js';
import { CognitoAdminService } from './cognito-admin.service.js';

/**
 * `CognitoAdminService`, sending through the module's SDK client (`CognitoFlowsModule`). It relies
 * on what the global `CognitoAuthModule` exports (settings, revocation, user sync).
 */
@Module({
  imports: [CognitoFlowsModule],
  providers: [CognitoAdminService],
  exports: [CognitoAdminService],
})
export class CognitoAdminModule {}

/**
 * Adds `CognitoAdminModule` to `CognitoAuthModule`'s definition (imported and re-exported, so
 * `CognitoAdminService` is injectable app-wide, like the flows), once.
 */
export function withCognitoAdmin(definition: DynamicModule): DynamicModule {
  if (definition.imports?.includes(CognitoAdminModule)) return definition; // added already
  return {
    ...definition,
    imports: [...(definition.imports ?? []), CognitoAdminModule],
    exports: [...(definition.exports ?? []), CognitoAdminModule],
  };
}
