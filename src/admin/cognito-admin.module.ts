import { Module } from '@nestjs/common';
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
