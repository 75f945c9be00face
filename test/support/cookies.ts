import type { Response } from 'supertest';

/** The `Set-Cookie` values of a supertest response. */
export function setCookies(res: Response): string[] {
  const raw = res.headers['set-cookie'] as unknown;
  return Array.isArray(raw) ? (raw as string[]) : raw ? [String(raw)] : [];
}

/** The `Set-Cookie` value for one cookie name, if the response set it. */
export function cookieNamed(res: Response, name: string): string | undefined {
  return setCookies(res).find((c) => c.startsWith(`${name}=`));
}

/** The decoded value of a `Set-Cookie` value. */
export function cookieValue(cookie: string | undefined): string | undefined {
  return cookie ? decodeURIComponent(cookie.split(';')[0].split('=').slice(1).join('=')) : undefined;
}
