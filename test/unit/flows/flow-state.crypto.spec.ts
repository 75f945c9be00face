import { FlowStateCrypto, MAX_STATE_LENGTH } from '../../../src/flows/flow-state.crypto.js';
import { ManualClock } from '../../support/clock.js';

const KEY = 'k'.repeat(40);

describe('FlowStateCrypto (sealed challenge sessions, signed OAuth cookie)', () => {
  const clock = new ManualClock(1_800_000_000_000);
  const crypto = new FlowStateCrypto(KEY, clock.now);
  const exp = (): number => clock.seconds + 60;

  it('opens what it sealed, and the sealed text does not show the payload', () => {
    const sealed = crypto.seal({ e: exp(), s: 'cognito-session-value', u: 'alice' } as never);
    expect(sealed).not.toContain('cognito-session-value');
    expect(Buffer.from(sealed.slice(3), 'base64url').toString('latin1')).not.toContain('alice');
    expect(crypto.open<{ e: number; s: string }>(sealed)?.s).toBe('cognito-session-value');
  });

  it('refuses a sealed value with any byte changed (GCM tag)', () => {
    const sealed = crypto.seal({ e: exp() });
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    for (const i of [0, 12, raw.length - 1]) {
      const copy = Buffer.from(raw);
      copy[i] = copy[i]! ^ 1;
      expect(crypto.open(`v1.${copy.toString('base64url')}`)).toBeUndefined();
    }
  });

  it('refuses a value sealed with another state key', () => {
    const other = new FlowStateCrypto('o'.repeat(40), clock.now);
    expect(crypto.open(other.seal({ e: exp() }))).toBeUndefined();
  });

  it('refuses an expired value (injected clock)', () => {
    const sealed = crypto.seal({ e: exp() });
    clock.advance(60_000);
    expect(crypto.open(sealed)).toBeUndefined();
  });

  it('keeps the two purposes apart: a sealed value does not verify as signed, nor the reverse', () => {
    const signed = crypto.sign({ e: exp() });
    expect(crypto.verify(signed)).toBeDefined();
    expect(crypto.open(signed)).toBeUndefined();
    expect(crypto.verify(crypto.seal({ e: exp() }))).toBeUndefined();
  });

  it('refuses a signed value whose payload or signature changed', () => {
    const signed = crypto.sign({ e: exp(), s: 'state' } as never);
    const [v, body, mac] = signed.split('.');
    const forged = Buffer.from(JSON.stringify({ e: exp(), s: 'other' })).toString('base64url');
    expect(crypto.verify(`${v}.${forged}.${mac}`)).toBeUndefined();
    expect(crypto.verify(`${v}.${body}.${mac!.slice(0, -2)}AA`)).toBeUndefined();
    expect(crypto.verify(`${v}.${body}.`)).toBeUndefined();
    expect(crypto.verify(`${v}.${body}`)).toBeUndefined();
  });

  it('refuses non-canonical base64url, other types and over-long input before decoding', () => {
    const sealed = crypto.seal({ e: exp() });
    expect(crypto.open(`${sealed}=`)).toBeUndefined();
    expect(crypto.open(42)).toBeUndefined();
    expect(crypto.open(undefined)).toBeUndefined();
    expect(crypto.open(`v1.${'A'.repeat(MAX_STATE_LENGTH)}`)).toBeUndefined();
    expect(crypto.verify('v1.' + 'A'.repeat(MAX_STATE_LENGTH))).toBeUndefined();
  });

  it('without a state key seals with a per-process key: another instance cannot open it; the first use warns once', () => {
    let warnings = 0;
    const a = new FlowStateCrypto(undefined, clock.now, () => warnings++);
    expect(warnings).toBe(0);
    const b = new FlowStateCrypto(undefined, clock.now);
    const sealed = a.seal({ e: exp() });
    expect(a.open(sealed)).toBeDefined();
    expect(b.open(sealed)).toBeUndefined();
    a.sign({ e: exp() });
    expect(warnings).toBe(1);
    new FlowStateCrypto(KEY, clock.now, () => warnings++).seal({ e: exp() });
    expect(warnings).toBe(1);
  });
});
