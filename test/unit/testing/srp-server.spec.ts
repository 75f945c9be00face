import { createSrpSession, signSrpSession, wrapAuthChallenge } from 'cognito-srp-helper';
import { createVerifier, N, padHex, SRP_TIMESTAMP, startServerSession, verifyClaim } from '../../../src/testing/flows/srp-server.js';

/**
 * The test identity provider's SRP server side, written from RFC 5054 and Cognito's description,
 * against cognito-srp-helper's client side: the two were written apart, so agreement proves both.
 */
const POOL_ID = 'eu-west-1_AbCdEf123';
const POOL_NAME = 'AbCdEf123';

function clientProof(password: string, serverPassword = password, userId = 'alice') {
  const verifier = createVerifier(POOL_NAME, userId, serverPassword);
  const server = startServerSession(verifier);
  const session = createSrpSession(userId, password, POOL_ID, false);
  const secretBlock = Buffer.from('opaque secret block').toString('base64');
  const signed = signSrpSession(session, {
    ChallengeName: 'PASSWORD_VERIFIER',
    ChallengeParameters: { SALT: verifier.salt, SECRET_BLOCK: secretBlock, SRP_B: server.srpB, USERNAME: userId, USER_ID_FOR_SRP: userId },
  });
  const answer = wrapAuthChallenge(signed, { ClientId: 'c', ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: { USERNAME: userId } });
  const r = answer.ChallengeResponses as Record<string, string>;
  const claim = {
    srpA: r['SRP_A']!,
    poolName: POOL_NAME,
    userId,
    secretBlock: r['PASSWORD_CLAIM_SECRET_BLOCK']!,
    timestamp: r['TIMESTAMP']!,
    signature: r['PASSWORD_CLAIM_SIGNATURE']!,
  };
  return { verifier, server, claim };
}

describe('SRP server side (testing)', () => {
  it('accepts the password claim cognito-srp-helper computes for the right password', () => {
    const { verifier, server, claim } = clientProof('Corr3ct-Horse!');
    expect(verifyClaim(verifier, server, claim)).toBe(true);
  });

  it('refuses the claim for a wrong password', () => {
    const { verifier, server, claim } = clientProof('Wr0ng-Horse!', 'Corr3ct-Horse!');
    expect(verifyClaim(verifier, server, claim)).toBe(false);
  });

  it('binds the signature to the user id, the secret block and the timestamp', () => {
    const { verifier, server, claim } = clientProof('Corr3ct-Horse!');
    expect(verifyClaim(verifier, server, { ...claim, userId: 'mallory' })).toBe(false);
    expect(verifyClaim(verifier, server, { ...claim, secretBlock: Buffer.from('another block').toString('base64') })).toBe(false);
    expect(verifyClaim(verifier, server, { ...claim, timestamp: claim.timestamp.replace(/\d{4}$/, '1999') })).toBe(false);
  });

  it('refuses A = 0 and A = N (RFC 5054 section 2.5.4), and A that is not hex', () => {
    const { verifier, server, claim } = clientProof('Corr3ct-Horse!');
    expect(verifyClaim(verifier, server, { ...claim, srpA: '0' })).toBe(false);
    expect(verifyClaim(verifier, server, { ...claim, srpA: 'zz' })).toBe(false);
    expect(verifyClaim(verifier, server, { ...claim, srpA: N.toString(16) })).toBe(false);
    expect(verifyClaim(verifier, server, { ...claim, srpA: (2n * N).toString(16) })).toBe(false);
  });

  it('a second sign-in gets another B (b is fresh each time)', () => {
    const v = createVerifier(POOL_NAME, 'alice', 'x');
    expect(startServerSession(v).srpB).not.toBe(startServerSession(v).srpB);
  });

  it("pads hex as two's complement: even length, 00 before a set top bit", () => {
    expect(padHex(0x0fn)).toBe('0f');
    expect(padHex(0x80n)).toBe('0080');
    expect(padHex(0x7fffn)).toBe('7fff');
    expect(padHex(0x1234n)).toBe('1234');
  });

  it('knows the timestamp format the client sends', () => {
    expect(clientProof('p').claim.timestamp).toMatch(SRP_TIMESTAMP);
    expect('Tue Dec 01 15:04:05 UTC 2026').not.toMatch(SRP_TIMESTAMP);
  });
});
