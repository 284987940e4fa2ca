/** A fake clock with one-shot timers, for code that takes a `BudgetTimer`: time moves only when
 * the test says so, and due timers run in time order as it does. */
import type { BudgetTimer } from '../../src/market/request-budget.js';

export class FakeTimer implements BudgetTimer {
  private timers: Array<{ id: number; at: number; fn: () => void }> = [];
  private nextId = 1;

  constructor(public t = 0) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers still pending. */
  pending(): number {
    return this.timers.length;
  }

  /** Move time forward by `ms`, running each due timer at its own time, then let promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** Let every pending promise callback run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
