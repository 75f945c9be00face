import { BadRequestException } from '@nestjs/common';
import type { FlowChallengeName } from './flow.types.js';

interface AnswerRule {
  /** Answers that must be given. */
  readonly required: readonly string[];
  /** Answers that may be given. */
  readonly optional?: readonly string[];
  /** `userAttributes.<name>` answers allowed (NEW_PASSWORD_REQUIRED). */
  readonly attributes?: boolean;
}

/** What each challenge takes, by Cognito's `ChallengeResponses` names. */
const RULES: Readonly<Record<FlowChallengeName, AnswerRule>> = {
  NEW_PASSWORD_REQUIRED: { required: ['NEW_PASSWORD'], attributes: true },
  SMS_MFA: { required: ['SMS_MFA_CODE'] },
  SOFTWARE_TOKEN_MFA: { required: ['SOFTWARE_TOKEN_MFA_CODE'] },
  EMAIL_OTP: { required: ['EMAIL_OTP_CODE'] },
  SELECT_MFA_TYPE: { required: ['ANSWER'] },
  MFA_SETUP: { required: ['SOFTWARE_TOKEN_MFA_CODE'], optional: ['FRIENDLY_DEVICE_NAME'] },
};

/** Answers the library sets itself; a client's are dropped. */
const LIBRARY_ANSWERS = new Set(['USERNAME', 'SECRET_HASH']);
const CODE_ANSWERS = new Set(['SMS_MFA_CODE', 'SOFTWARE_TOKEN_MFA_CODE', 'EMAIL_OTP_CODE']);
const MFA_TYPES = new Set(['SMS_MFA', 'SOFTWARE_TOKEN_MFA', 'EMAIL_OTP']);
const ATTRIBUTE_ANSWER = /^userAttributes\.[A-Za-z0-9_:.-]{1,64}$/;
const NAME = /^[A-Za-z0-9_.:-]{1,80}$/;
const MAX_ANSWERS = 60;

/** Challenge parameters a client may see (never SRP values or the internal user id). */
const PUBLIC_PARAMETERS = new Set([
  'CODE_DELIVERY_DESTINATION',
  'CODE_DELIVERY_DELIVERY_MEDIUM',
  'MFAS_CAN_CHOOSE',
  'MFAS_CAN_SETUP',
  'requiredAttributes',
  'userAttributes',
]);

/** True for the challenges the flows answer. */
export function isFlowChallenge(name: unknown): name is FlowChallengeName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(RULES, name);
}

/**
 * The answers to send to Cognito for `challenge`, checked: every required one present, no unknown
 * one, codes digits only, strings of sane length. `USERNAME` and `SECRET_HASH` from the client are
 * dropped (the library sets them). Throws a 400 naming what is wrong, never echoing a value.
 */
export function checkAnswers(challenge: FlowChallengeName, answers: unknown): Record<string, string> {
  if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) {
    throw new BadRequestException('answers must be an object of strings');
  }
  const entries = Object.entries(answers as Record<string, unknown>).filter(([name]) => !LIBRARY_ANSWERS.has(name));
  if (entries.length > MAX_ANSWERS) throw new BadRequestException('answers has too many members');
  const rule = RULES[challenge];
  const allowed = new Set([...rule.required, ...(rule.optional ?? [])]);
  const checked: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of entries) {
    if (!allowed.has(name) && !(rule.attributes && ATTRIBUTE_ANSWER.test(name))) {
      throw new BadRequestException(
        NAME.test(name) ? `answers.${name} is not an answer to ${challenge}` : `answers has a member that is not an answer to ${challenge}`,
      );
    }
    checked[name] = checkValue(name, value);
  }
  for (const name of rule.required) {
    if (checked[name] === undefined) throw new BadRequestException(`answers.${name} is required for ${challenge}`);
  }
  return { ...checked };
}

function checkValue(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new BadRequestException(`answers.${name} must be a non-empty string`);
  if (CODE_ANSWERS.has(name) && !/^[0-9]{4,10}$/.test(value)) throw new BadRequestException(`answers.${name} must be the code's digits`);
  if (name === 'ANSWER' && !MFA_TYPES.has(value)) {
    throw new BadRequestException('answers.ANSWER must be SMS_MFA, SOFTWARE_TOKEN_MFA or EMAIL_OTP');
  }
  const max = name === 'FRIENDLY_DEVICE_NAME' ? 128 : name === 'NEW_PASSWORD' ? 256 : 2048;
  if (value.length > max) throw new BadRequestException(`answers.${name} is longer than ${max} characters`);
  return value;
}

/** The challenge parameters a client may see. */
export function publicParameters(parameters: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parameters ?? {})) {
    if (PUBLIC_PARAMETERS.has(name) && typeof value === 'string') out[name] = value;
  }
  return out;
}

/** Whether an MFA_SETUP challenge can be met with a TOTP app (`MFAS_CAN_SETUP` lists SOFTWARE_TOKEN_MFA, or says nothing). */
export function canSetUpTotp(parameters: Record<string, string> | undefined): boolean {
  const raw = parameters?.['MFAS_CAN_SETUP'];
  return raw === undefined || raw.includes('SOFTWARE_TOKEN_MFA');
}
