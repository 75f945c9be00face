import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';
import { Public } from 'nest-cognito-auth';
import { PUBLIC_DIR } from '../config.js';

const read = (name: string) => readFileSync(path.join(PUBLIC_DIR, name), 'utf8');
const CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The login page: plain HTML, a stylesheet and a little vanilla JS, no build step. */
@Public()
@Controller()
export class PageController {
  private readonly files = { html: read('index.html'), js: read('app.js'), css: read('style.css') };

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CSP)
  @Header('Cache-Control', 'no-store')
  index(): string {
    return this.files.html;
  }

  @Get('app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  script(): string {
    return this.files.js;
  }

  @Get('style.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  style(): string {
    return this.files.css;
  }
}
