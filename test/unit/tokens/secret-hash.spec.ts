import { computeSecretHash } from '../../../src/tokens/token-refresh.service.js';

// Expected values derived independently with openssl:
//   printf '%s' "$USERNAME$CLIENT_ID" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
describe('computeSecretHash', () => {
  it('is base64(HMAC-SHA256(key = secret, message = username + clientId))', () => {
    expect(computeSecretHash('alice', '3l1b0k6fr1v0s9c3ad1mz0gq', 'k1ng-0f-s3cr3ts-abcdefghijklmnopqrstuvwxyz0123456789')).toBe(
      'w8SmrbpD4MVkP0w2i6ebxeGLCK3Oe2wAj08n9kSYM14=',
    );
  });

  it('hashes the username as UTF-8', () => {
    expect(computeSecretHash('jürgen@example.com', '7d6fr1v0s9c3ad1mz0gqabc', 'secret')).toBe(
      'pKfiIbmZf0zjgpVY7beVWKN0zwWpqSNVVpSi/uOMl/8=',
    );
  });

  it('depends on the order username + clientId', () => {
    const a = computeSecretHash('alice', 'client', 'secret');
    const b = computeSecretHash('client', 'alice', 'secret');
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64')).toHaveLength(32);
  });
});
