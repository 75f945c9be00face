import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps every line, for asserting what the library logs (and never logs). */
export class CaptureLogger implements LoggerService {
  readonly lines: string[] = [];

  constructor(private readonly echo = process.env.TEST_LOGS === '1') {}

  private keep(level: string, message: unknown, params: unknown[]): void {
    const line = [level, message, ...params]
      .map((p) => (p instanceof Error ? `${p.name}: ${p.message}\n${p.stack ?? ''}` : typeof p === 'string' ? p : JSON.stringify(p)))
      .join(' ');
    this.lines.push(line);
    if (this.echo) process.stderr.write(`${line}\n`);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.keep('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.keep('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.keep('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.keep('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.keep('verbose', message, params);
  }
}

/**
 * Every fragment of a token worth looking for: its segments and every 16-character window at a
 * stride of 8, so any leaked run of 24 or more characters is caught.
 */
export function tokenFragments(token: string): string[] {
  const fragments = new Set<string>();
  for (const segment of token.split('.')) if (segment.length >= 16) fragments.add(segment);
  for (let i = 0; i + 16 <= token.length; i += 8) fragments.add(token.slice(i, i + 16));
  return [...fragments];
}

/** The texts (log lines, response bodies) that contain a fragment of any of the tokens. */
export function findLeaks(texts: readonly string[], tokens: readonly string[]): string[] {
  const fragments = tokens.filter((t) => t.length >= 24).flatMap(tokenFragments);
  return texts.filter((text) => fragments.some((f) => text.includes(f)));
}
