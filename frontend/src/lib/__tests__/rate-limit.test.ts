// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter } from '../rate-limit';

describe('KeyedRateLimiter', () => {
  it('lets one event per key through per interval', () => {
    let now = 0;
    const limiter = new KeyedRateLimiter(60_000, () => now);
    expect(limiter.tryAcquire('traffic')).toBe(true);
    expect(limiter.tryAcquire('traffic')).toBe(false);
    expect(limiter.tryAcquire('cpu')).toBe(true);
    now = 59_999;
    expect(limiter.tryAcquire('traffic')).toBe(false);
    now = 60_000;
    expect(limiter.tryAcquire('traffic')).toBe(true);
    expect(limiter.tryAcquire('traffic')).toBe(false);
  });
});
