/** A small per-key TTL cache of sentiment readings that also shares a request in flight: two
 * analyses asking about the same coin at the same moment pay for one upstream call. Only successes
 * are kept; a failure is forgotten at once so the next call tries again. */

interface Entry<T> {
  /** When the value was stored, epoch ms (by the injected clock). */
  at: number;
  value: T;
}

export class TtlCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly pending = new Map<string, Promise<T>>();

  constructor(
    /** How long a value is reused, ms; 0 disables caching (in-flight sharing stays). */
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** Most keys kept; the oldest entry is dropped beyond it. */
    private readonly maxEntries = 500,
  ) {}

  /** The cached value and its age, or undefined when absent or expired. */
  peek(key: string): { value: T; at: number } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** The cached value, or the result of `load` (shared with concurrent callers of the same key). */
  async get(key: string, load: () => Promise<T>): Promise<{ value: T; cached: boolean }> {
    const hit = this.peek(key);
    if (hit) return { value: hit.value, cached: true };
    const inFlight = this.pending.get(key);
    if (inFlight) return { value: await inFlight, cached: true };
    const promise = load();
    this.pending.set(key, promise);
    try {
      const value = await promise;
      if (this.ttlMs > 0) this.store(key, value);
      return { value, cached: false };
    } finally {
      this.pending.delete(key);
    }
  }

  private store(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, { at: this.now(), value });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
