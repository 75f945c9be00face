import { BadRequestException } from '@nestjs/common';
import { checkAnswers, isFlowChallenge, publicParameters } from '../../../src/flows/challenge-answers.js';
import * as input from '../../../src/flows/flow-input.js';

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestException);
    return (err as BadRequestException).message;
  }
  throw new Error('expected a 400');
}

describe('flow bodies', () => {
  it.each([null, [], 'text', 3])('a body that is not an object (%p) is 400', (body) => {
    expect(badRequest(() => input.loginInput(body))).toBe('The body must be a JSON object');
  });

  it('login needs a user name and a password, srp a boolean; the values are never echoed', () => {
    expect(input.loginInput({ username: 'a', password: 'p' })).toEqual({ username: 'a', password: 'p', srp: false });
    expect(badRequest(() => input.loginInput({ password: 'p' }))).toBe('username must be a non-empty string');
    expect(badRequest(() => input.loginInput({ username: 'a b', password: 'p' }))).toContain('no spaces');
    expect(badRequest(() => input.loginInput({ username: 'a'.repeat(129), password: 'p' }))).toContain('128');
    expect(badRequest(() => input.loginInput({ username: 'a', password: 'secret-1', srp: 'yes' }))).toBe('srp must be true or false');
    const msg = badRequest(() => input.loginInput({ username: 'a', password: 'x'.repeat(257) }));
    expect(msg).not.toContain('xxxx');
  });

  it('sign-up attributes are strings under Cognito names, never a prototype key', () => {
    expect(input.signUpInput({ username: 'a', password: 'p', attributes: { email: 'a@b.c', 'custom:team': 't' } }).attributes).toEqual({
      email: 'a@b.c',
      'custom:team': 't',
    });
    expect(badRequest(() => input.signUpInput({ username: 'a', password: 'p', attributes: { email: 3 } }))).toContain('attributes.email');
    expect(badRequest(() => input.signUpInput({ username: 'a', password: 'p', attributes: JSON.parse('{"__proto__":"x"}') }))).toContain(
      'not a Cognito attribute name',
    );
    expect(badRequest(() => input.signUpInput({ username: 'a', password: 'p', attributes: ['x'] }))).toBe(
      'attributes must be an object of strings',
    );
  });

  it('codes, resets and password changes', () => {
    expect(badRequest(() => input.confirmInput({ username: 'a', code: 123456 }))).toBe('code must be the code as a string');
    expect(badRequest(() => input.resetInput({ username: 'a', code: '1', password: '' }))).toBe('password must be a non-empty string');
    expect(badRequest(() => input.passwordChangeInput({ oldPassword: 'a' }))).toBe('newPassword must be a non-empty string');
    expect(badRequest(() => input.challengeInput({ session: 's', challenge: 'SMS_MFA', answers: 'x' }))).toBe(
      'answers must be an object of strings',
    );
  });
});

describe('challenge answers', () => {
  it('knows the six challenges', () => {
    for (const c of ['NEW_PASSWORD_REQUIRED', 'SMS_MFA', 'SOFTWARE_TOKEN_MFA', 'EMAIL_OTP', 'SELECT_MFA_TYPE', 'MFA_SETUP'])
      expect(isFlowChallenge(c)).toBe(true);
    expect(isFlowChallenge('CUSTOM_CHALLENGE')).toBe(false);
    expect(isFlowChallenge('toString')).toBe(false);
  });

  it('drops the USERNAME and SECRET_HASH a client sends (the library sets them)', () => {
    expect(checkAnswers('SMS_MFA', { SMS_MFA_CODE: '123456', USERNAME: 'mallory', SECRET_HASH: 'x' })).toEqual({ SMS_MFA_CODE: '123456' });
  });

  it('needs the required answer, refuses unknown ones, and codes are digits', () => {
    expect(badRequest(() => checkAnswers('SOFTWARE_TOKEN_MFA', {}))).toBe(
      'answers.SOFTWARE_TOKEN_MFA_CODE is required for SOFTWARE_TOKEN_MFA',
    );
    expect(badRequest(() => checkAnswers('SMS_MFA', { SMS_MFA_CODE: '123456', EXTRA: 'x' }))).toBe(
      'answers.EXTRA is not an answer to SMS_MFA',
    );
    expect(badRequest(() => checkAnswers('EMAIL_OTP', { EMAIL_OTP_CODE: '12ab56' }))).toBe(
      "answers.EMAIL_OTP_CODE must be the code's digits",
    );
    expect(badRequest(() => checkAnswers('SELECT_MFA_TYPE', { ANSWER: 'PASSWORD' }))).toContain('SMS_MFA, SOFTWARE_TOKEN_MFA or EMAIL_OTP');
  });

  it('NEW_PASSWORD_REQUIRED takes userAttributes.<name>', () => {
    expect(checkAnswers('NEW_PASSWORD_REQUIRED', { NEW_PASSWORD: 'p', 'userAttributes.given_name': 'Ada' })).toEqual({
      NEW_PASSWORD: 'p',
      'userAttributes.given_name': 'Ada',
    });
  });

  it('shows the client only public challenge parameters (never SRP values or the internal user id)', () => {
    expect(
      publicParameters({ USER_ID_FOR_SRP: 'u', SRP_B: 'b', SALT: 's', CODE_DELIVERY_DESTINATION: '+***0100', USERNAME: 'uuid' }),
    ).toEqual({ CODE_DELIVERY_DESTINATION: '+***0100' });
  });
});
