import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CognitoAuthModule } from 'nest-cognito-auth';
import { AppController } from './app.controller.js';
import { CompatUser } from './compat-user.entity.js';

@Module({
  imports: [
    // config.env sets COGNITO_TOKEN_USE=access, which nothing else sets: the e2e shows that
    // settings in the app's env file reach the library.
    ConfigModule.forRoot({ isGlobal: true, envFilePath: 'config.env' }),
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
