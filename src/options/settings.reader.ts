import { CognitoConfigError } from '../errors/cognito-auth.errors.js';

/** Reads one environment variable; `ConfigService.get` or `process.env`. */
export type EnvReader = (name: string) => string | undefined;

/** A value and where it came from: the option name or the environment variable name. */
export interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

/**
 * Reads one setting at a time: the given option when there is one (checked), else the first
 * environment variable that is set to something other than blanks. Every error it throws names
 * where the bad value came from: the option, or the environment variable.
 */
export class SettingsReader {
  constructor(private readonly env: EnvReader) {}

  /** The first of `names` set in the environment, trimmed, with its name; blank counts as unset. */
  read(names: readonly string[]): Sourced<string> | undefined {
    for (const name of names) {
      const raw = this.env(name);
      if (raw !== undefined && raw.trim() !== '') return { value: raw.trim(), source: name };
    }
    return undefined;
  }

  /** A non-empty string option, else the environment. */
  str(option: string, given: string | undefined, envNames: readonly string[]): Sourced<string> | undefined {
    if (given !== undefined) {
      if (typeof given !== 'string' || given.trim() === '') throw new CognitoConfigError(option, 'must be a non-empty string');
      return { value: given.trim(), source: option };
    }
    return this.read(envNames);
  }

  /** A boolean option, else the environment (`true/false`, `1/0`, `yes/no`, `on/off`), else `fallback`. */
  bool(option: string, given: boolean | undefined, envName: string, fallback: boolean): boolean {
    return this.boolSourced(option, given, envName, fallback).value;
  }

  /** Like `bool`, with where the value came from (`option` when it is the default). */
  boolSourced(option: string, given: boolean | undefined, envName: string, fallback: boolean): Sourced<boolean> {
    if (given !== undefined) {
      if (typeof given !== 'boolean') throw new CognitoConfigError(option, 'must be true or false');
      return { value: given, source: option };
    }
    const raw = this.read([envName]);
    return raw === undefined ? { value: fallback, source: option } : { value: parseBool(raw), source: raw.source };
  }

  /** An integer of at least `min`: the option, else the environment, else `fallback`. */
  int(option: string, given: number | undefined, envName: string, fallback: number, min: number): number {
    if (given !== undefined) return checkInt({ value: given, source: option }, min);
    const raw = this.read([envName]);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw.value)) throw new CognitoConfigError(raw.source, `must be an integer (got "${raw.value}")`);
    return checkInt({ value: Number(raw.value), source: raw.source }, min);
  }
}

/**
 * The name a missing setting's start-up error gives: the option when the setting beside it came
 * from options (environment variable names are upper case), the environment variable otherwise.
 */
export function missingName(beside: Sourced<unknown> | undefined, option: string, env: string): string {
  return beside !== undefined && !/^[A-Z0-9_]+$/.test(beside.source) ? option : env;
}

/** `true/1/yes/on` or `false/0/no/off`, any case. */
export function parseBool(raw: Sourced<string>): boolean {
  const v = raw.value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new CognitoConfigError(raw.source, `must be true or false (got "${raw.value}")`);
}

/** A safe integer of at least `min`. */
export function checkInt(n: Sourced<number>, min: number): number {
  if (typeof n.value !== 'number' || !Number.isSafeInteger(n.value) || n.value < min) {
    throw new CognitoConfigError(n.source, `must be an integer of at least ${min} (got ${String(n.value)})`);
  }
  return n.value;
}

/** An http(s) URL, returned as given. */
export function checkUrl(s: Sourced<string>): string {
  let url: URL;
  try {
    url = new URL(s.value);
  } catch {
    throw new CognitoConfigError(s.source, `must be an http(s) URL (got "${s.value}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CognitoConfigError(s.source, `must be an http(s) URL (got "${s.value}")`);
  }
  return s.value;
}

/** Keys that would reach an object's prototype when used as a property name. */
export function isForbiddenKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}
