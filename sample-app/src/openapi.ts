import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { withCognitoSecurity } from 'nest-cognito-auth';

/**
 * Serves the OpenAPI document at `/docs-json` and Swagger UI at `/docs`. The library adds its
 * security schemes here (`withCognitoSecurity`), and marks the guarded routes itself: no
 * `@ApiBearerAuth()` on the controllers. Call it before `app.listen()`.
 */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const config = withCognitoSecurity(
    new DocumentBuilder()
      .setTitle('nest-cognito-auth sample app')
      .setDescription('Every route needs a Cognito ID + access token pair (headers, or the cookies after signing in) unless it is public.')
      .setVersion('1.0'),
    app,
  ).build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return document;
}
