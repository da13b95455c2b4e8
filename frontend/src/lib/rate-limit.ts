/** Lets one event per key through per interval (e.g. one notification per metric per minute). */
export class KeyedRateLimiter {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True, and the key is charged, when the key has been quiet for the interval. */
  tryAcquire(key: string): boolean {
    const now = this.now();
    const previous = this.last.get(key);
    if (previous !== undefined && now - previous < this.intervalMs) return false;
    this.last.set(key, now);
    return true;
  }
}
