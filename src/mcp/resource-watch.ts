/**
 * Resource subscriptions of one client: the subscribed URIs and each one's last fingerprint.
 * `check()` runs after every tool call of this server (a fill, a close) and on a timer while
 * anything is subscribed (a scan cycle run by another process, a replay finishing), and tells the
 * client about each URI whose fingerprint changed (notifications/resources/updated).
 */
export interface ResourceWatchOptions {
  /** Throws for a URI that names no resource. */
  fingerprint: (uri: string) => Promise<string>;
  notify: (uri: string) => Promise<void>;
  /** How often subscribed resources are compared, ms. */
  intervalMs: number;
}

/** How often a subscribed resource is compared by default (changes made by other processes). */
export const WATCH_INTERVAL_MS = 2_000;

export class ResourceWatch {
  private readonly subscribed = new Map<string, string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: ResourceWatchOptions) {}

  async subscribe(uri: string): Promise<void> {
    const print = await this.options.fingerprint(uri);
    this.subscribed.set(uri, print);
    this.timer ??= setInterval(() => void this.check(), this.options.intervalMs);
    this.timer.unref?.();
  }

  unsubscribe(uri: string): void {
    this.subscribed.delete(uri);
    if (this.subscribed.size === 0) this.stop();
  }

  /** Compare every subscribed resource now; a check asked for during one runs once it ends. */
  check(): Promise<void> {
    if (this.subscribed.size === 0) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.compare().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.check();
      }
    });
    return this.running;
  }

  close(): void {
    this.subscribed.clear();
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async compare(): Promise<void> {
    for (const [uri, before] of [...this.subscribed]) {
      let now: string;
      try {
        now = await this.options.fingerprint(uri);
      } catch {
        // Gone (a replay deleted) or the database busy: compared again next time.
        continue;
      }
      if (now === before || !this.subscribed.has(uri)) continue;
      this.subscribed.set(uri, now);
      await this.options.notify(uri).catch(() => {});
    }
  }
}
