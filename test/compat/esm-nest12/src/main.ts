import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module.js';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(process.env.PORT ?? 3000, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  // test/smoke.mjs waits for this line.
  console.log(`listening on http://127.0.0.1:${port}`);
}
await bootstrap();
