/**
 * What the browser specs share: Debian's Chromium (headless, through playwright-core), the build
 * of the library and the sample app (tsc, as a user's app is compiled), a watch over every
 * response and page error, and the leak check.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../sample-app/demo/sample-app-process.js';
import { waitFor } from '../support/clock.js';

/** Debian's Chromium, or `CHROMIUM_PATH`. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Whether it is installed. */
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** What to say when it is not. */
export const MISSING = `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium); REQUIRE_BROWSER=1 makes this a failure`;
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
/** Where screenshots go. */
export const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-output', 'browser');

const run = promisify(execFile);

/**
 * `describe(name, body)` when Chromium is there; without it a skipped suite (and a warning), or,
 * with REQUIRE_BROWSER=1, a failing test.
 */
export function describeBrowser(name: string, body: () => void): void {
  if (HAVE_CHROMIUM) {
    describe(name, body);
  } else if (process.env.REQUIRE_BROWSER === '1') {
    describe(name, () => {
      it('needs Chromium (REQUIRE_BROWSER=1)', () => {
        throw new Error(MISSING);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${MISSING})`, () => {
      it('runs in Chromium', () => undefined);
    });
    console.warn(`test/browser skipped: ${MISSING}`);
  }
}

/** Builds the library's ES module build and the sample app (dist/esm, dist-sample/), as `npm run build:sample` does. */
export async function buildSampleApp(): Promise<void> {
  const tsc = path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: PROJECT_ROOT });
  await run(process.execPath, [tsc, '-p', path.join('sample-app', 'tsconfig.json')], { cwd: PROJECT_ROOT });
}

/** Headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Everything one browser context saw: response bodies and headers of `base`, page errors. */
export class PageWatch {
  readonly bodies: string[] = [];
  readonly headerValues: string[] = [];
  readonly pageErrors: string[] = [];

  constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly base: string,
  ) {
    page.on('pageerror', (err) => this.pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) this.pageErrors.push(msg.text());
    });
    page.on('response', async (res) => {
      if (!res.url().startsWith(base)) return;
      const headers = res.headers();
      for (const [name, value] of Object.entries(headers)) if (name !== 'set-cookie') this.headerValues.push(value);
      this.bodies.push(await res.text().catch(() => ''));
    });
  }

  /** A new context and page on `base`. */
  static async open(browser: Browser, base: string): Promise<PageWatch> {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    return new PageWatch(context, await context.newPage(), base);
  }

  /** One of the context's cookies for `base`. */
  async cookie(name: string): Promise<Awaited<ReturnType<BrowserContext['cookies']>>[number] | undefined> {
    return (await this.context.cookies(this.base)).find((c) => c.name === name);
  }

  /** The token cookies' values now. */
  async tokenCookies(): Promise<string[]> {
    return (await this.context.cookies(this.base))
      .filter((c) => ['AccessToken', 'IdToken', 'RefreshToken'].includes(c.name))
      .map((c) => c.value);
  }

  /** `fetch` from inside the page (same origin, the browser's cookies), answering status and JSON body. */
  fetch(
    method: string,
    url: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<{ status: number; body: { code?: string } | null }> {
    return this.page.evaluate(
      async ({ method, url, headers, body }) => {
        const init = {
          method,
          headers: { 'Content-Type': 'application/json', ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
        };
        const res = await fetch(url, init);
        return { status: res.status, body: (await res.json().catch(() => null)) as { code?: string } | null };
      },
      { method, url, headers, body },
    );
  }

  /**
   * Clicks `selector` and resolves with the response of `method` `path` it caused, once the page's handler has finished
   * with it too (the page is `aria-busy` while a handler works): the response reaches the test before the page has read
   * it, so reading the page at once raced the page's own update.
   */
  async click(selector: string, method: string, path: string): Promise<Awaited<ReturnType<Page['waitForResponse']>>> {
    const [res] = await Promise.all([
      this.page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === method),
      this.page.click(selector),
    ]);
    await this.page.locator('body[aria-busy]').waitFor({ state: 'detached' });
    return res;
  }

  /** Saves a full-page screenshot as `test-output/browser/<name>.png`. */
  async screenshot(name: string): Promise<void> {
    await mkdir(SCREENSHOTS, { recursive: true });
    await this.page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }
}

/** `waitFor` with 20 ms between checks, for what another process reports (its log lines); 500 checks at most. */
export function until(check: () => boolean, what: string): Promise<void> {
  return waitFor(check, what, 500, 20);
}

/** Pieces of a token long enough to be unmistakable: the start and end of each segment past the header. */
export function fragments(token: string): string[] {
  const segments = token.split('.');
  const parts = segments.length === 3 ? segments.slice(1) : [token];
  return parts.filter((p) => p.length >= 24).flatMap((p) => [p.slice(0, 24), p.slice(-24)]);
}

/** The fragments of `tokens` and the `secrets` (passwords) found in any of `haystacks`. */
export function leaks(haystacks: readonly string[], tokens: Iterable<string>, secrets: readonly string[] = []): string[] {
  const needles = [...[...tokens].flatMap(fragments), ...secrets.filter((s) => s.length >= 8)];
  return needles.filter((needle) => haystacks.some((h) => h.includes(needle)));
}
