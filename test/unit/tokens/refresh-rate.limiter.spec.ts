import { RefreshRateLimiter } from '../../../src/tokens/refresh-rate.limiter.js';

describe('RefreshRateLimiter', () => {
  const T0 = 5_000_000;

  it('allows 10 attempts per user in a minute, then answers the time left', () => {
    const limiter = new RefreshRateLimiter();
    for (let i = 0; i < 10; i++) expect(limiter.take('alice', T0 + i)).toBe(0);
    expect(limiter.take('alice', T0 + 20_000)).toBe(40_000);
    expect(limiter.take('alice', T0 + 59_999)).toBe(1);
  });

  it('opens a new window once the minute is over', () => {
    const limiter = new RefreshRateLimiter();
    for (let i = 0; i < 10; i++) limiter.take('alice', T0);
    expect(limiter.take('alice', T0 + 60_000)).toBe(0);
  });

  it('counts each user on their own', () => {
    const limiter = new RefreshRateLimiter();
    for (let i = 0; i < 10; i++) limiter.take('alice', T0);
    expect(limiter.take('alice', T0)).toBeGreaterThan(0);
    expect(limiter.take('bob', T0)).toBe(0);
  });

  it('does not count a refused attempt', () => {
    const limiter = new RefreshRateLimiter(2, 1000);
    limiter.take('alice', T0);
    limiter.take('alice', T0);
    for (let i = 0; i < 5; i++) expect(limiter.take('alice', T0 + 10)).toBe(990);
    expect(limiter.take('alice', T0 + 1000)).toBe(0);
    expect(limiter.take('alice', T0 + 1000)).toBe(0);
    expect(limiter.take('alice', T0 + 1000)).toBe(1000);
  });
});
