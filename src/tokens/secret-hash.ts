import { createHmac } from 'node:crypto';

/**
 * `SECRET_HASH` of a Cognito app client with a secret:
 * `base64(HMAC-SHA256(key = clientSecret, message = username + clientId))`.
 */
export function computeSecretHash(username: string, clientId: string, clientSecret: string): string {
  return createHmac('sha256', clientSecret)
    .update(username + clientId, 'utf8')
    .digest('base64');
}
