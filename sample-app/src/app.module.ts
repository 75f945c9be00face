import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CognitoAuthModule } from 'nest-cognito-auth';
import { databaseOptions } from './config.js';
import { Note } from './notes/note.entity.js';
import { NotesController } from './notes/notes.controller.js';
import { MeController } from './users/me.controller.js';
import { User } from './users/user.entity.js';
import { PageController } from './web/page.controller.js';

/**
 * Every Cognito setting comes from the environment (COGNITO_POOL_ID, APP_CLIENT_ID,
 * COGNITO_ENDPOINT, COGNITO_COOKIES, USE_CSRF, COGNITO_USER_FIELD_MAPPING, COGNITO_STATE_KEY, ...;
 * a `.env` file in the working directory works too, through ConfigModule). Only the entity class,
 * which no environment variable can name, and the library's ready sign-in controller (`/auth/login`,
 * `/auth/challenge`, `/auth/signup`, `/auth/confirm`, `/auth/forgot`, `/auth/reset`,
 * `/auth/logout`...) are asked for in code. The guard is global: every route needs a valid token
 * pair unless it is `@Public()`.
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    TypeOrmModule.forRootAsync({ useFactory: () => databaseOptions() }),
    TypeOrmModule.forFeature([User, Note]),
    CognitoAuthModule.forRoot({ users: { entity: User }, flows: { controller: true, path: 'auth' } }),
  ],
  controllers: [PageController, MeController, NotesController],
})
export class AppModule {}
