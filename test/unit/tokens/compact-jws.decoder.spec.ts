import { createSign, generateKeyPairSync, verify } from 'node:crypto';
import { rs256Holds } from '../../../src/tokens/compact-jws.decoder.js';

/**
 * `rs256Holds` writes each token's bytes into buffers it reuses: whatever came before (a longer
 * token, a larger key, a forged signature), every answer must be the one a check on fresh buffers gives.
 */
describe('rs256Holds', () => {
  const small = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const large = generateKeyPairSync('rsa', { modulusLength: 8192 }); // a 1,366-character signature: the buffer grows

  const sign = (signingInput: string, key = small.privateKey): string =>
    createSign('sha256').update(signingInput, 'latin1').sign(key).toString('base64url');
  const fresh = (signingInput: string, signature: string, key = small.publicKey): boolean =>
    verify('sha256', Buffer.from(signingInput, 'latin1'), key, Buffer.from(signature, 'base64url'));

  it('answers as a check on fresh buffers, in any order of lengths, keys and forgeries', () => {
    const long = `eyJhbGciOiJSUzI1NiJ9.${'A'.repeat(6000)}`; // over the first buffer's 4,096 bytes
    const short = 'eyJhbGciOiJSUzI1NiJ9.e30';
    const cases: { signingInput: string; signature: string; key: typeof small.publicKey }[] = [];
    for (const signingInput of [long, short, long.slice(0, 3000), short + 'x']) {
      const signature = sign(signingInput);
      cases.push({ signingInput, signature, key: small.publicKey });
      cases.push({ signingInput: signingInput.slice(0, -1), signature, key: small.publicKey }); // a shorter input after the long one
      cases.push({ signingInput, signature: signature.slice(0, -4), key: small.publicKey }); // a truncated signature
      cases.push({ signingInput, signature: sign(signingInput, large.privateKey), key: large.publicKey });
      cases.push({ signingInput, signature: sign(signingInput, large.privateKey).slice(0, 342), key: large.publicKey });
    }
    const answers = [...cases, ...[...cases].reverse()].map((c) => [rs256Holds(c, c.key), fresh(c.signingInput, c.signature, c.key)]);
    expect(answers.map(([ours]) => ours)).toEqual(answers.map(([theirs]) => theirs));
    expect(answers.filter(([ours]) => ours).length).toBe(16); // the two genuine signatures of each input, both ways
  });

  it('refuses a signature made for another input of the same length', () => {
    const a = 'eyJhbGciOiJSUzI1NiJ9.YWFh';
    const b = 'eyJhbGciOiJSUzI1NiJ9.YmJi';
    expect(rs256Holds({ signingInput: a, signature: sign(a) }, small.publicKey)).toBe(true);
    expect(rs256Holds({ signingInput: b, signature: sign(a) }, small.publicKey)).toBe(false);
  });
});
