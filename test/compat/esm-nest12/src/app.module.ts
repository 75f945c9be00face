import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CognitoAuthModule } from 'nest-cognito-auth';
import { AppController } from './app.controller.js';
import { CompatUser } from './compat-user.entity.js';

@Module({
  imports: [
    // Values given by a `load` factory live only in ConfigService (not in process.env): reaching
    // the library proves it reads its settings through ConfigService.
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ COGNITO_TOKEN_USE: 'access' })] }),
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env.COMPAT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      entities: [CompatUser],
      synchronize: true,
    }),
    // Cognito settings from the environment (COGNITO_POOL_ID, APP_CLIENT_ID, ...).
    CognitoAuthModule.forRoot({ users: { entity: CompatUser } }),
  ],
  controllers: [AppController],
})
export class AppModule {}
