/**
 * The unattended scanner: a cycle every `intervalMs` (measured from the start of the previous
 * one), until stopped. On start it looks for cycles whose process died (status running, heartbeat
 * older than a minute): the newest, if started within the last interval, is taken up again under
 * its own id (its signal_ids replay, so nothing executes twice); every other one is closed as
 * failed. Before each later cycle it closes those found since (a restart within a minute of a
 * crash finds the dead cycle's heartbeat still fresh).
 *
 * When a spend cap pauses analyses, cycles keep running at the interval (open positions are still
 * evaluated and the movers are recorded as skipped) and the report says until when.
 *
 * Claude request windows (usage/windows.ts): before each cycle of an analyst that spends, a window
 * past TOKEN_CRITICAL_THRESHOLD (or at its limit) makes the runner wait until it resets, and say
 * until when (a `rate_wait` event and a log line); a cycle that met one mid-way skips its remaining
 * movers (RATE_LIMITED), and the next cycle waits. The token history is purged of rows older than
 * TOKEN_HISTORY_DAYS at start-up and then once per UTC day.
 */
import type { Deps } from '../deps.js';
import { purgeTokenHistory } from '../usage/purge.js';
import { waitForRequestWindows } from '../usage/windows.js';
import { runCycle, STALE_MS, type CycleOptions, type CycleResult } from './cycle.js';
import { abandonCycle, findInterruptedCycles } from './store.js';

export interface ScannerOptions extends Omit<CycleOptions, 'stop'> {
  intervalMs: number;
  once: boolean;
  /** Stops the loop: the cycle in progress finishes its analyses in flight and is saved. */
  stop: AbortSignal;
  onCycle: (result: CycleResult) => void;
  /** Told when the loop waits for the next cycle. */
  onWait?: (nextAt: number) => void;
  /** Told when an interrupted cycle is resumed or closed. */
  onRecovery?: (info: { cycleId: string; action: 'resumed' | 'abandoned' }) => void;
  /** Waiting between cycles and for a request window to reset (tests replace it). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The cycles whose process died (status running, heartbeat older than STALE_MS), newest first: with
 * `mayResume`, the newest one, if it started within the last interval, is returned to be taken up
 * again under its id; every other one is closed as failed (INTERRUPTED).
 */
async function recoverInterrupted(deps: Deps, options: ScannerOptions, mayResume: boolean): Promise<string | undefined> {
  const now = deps.clock.now();
  let resume: string | undefined;
  for (const cycle of await findInterruptedCycles(deps.db, now, STALE_MS)) {
    if (mayResume && resume === undefined && now - cycle.started_at < options.intervalMs) {
      resume = cycle.id;
      options.onRecovery?.({ cycleId: cycle.id, action: 'resumed' });
    } else {
      await abandonCycle(deps.db, cycle, now);
      options.onRecovery?.({ cycleId: cycle.id, action: 'abandoned' });
    }
  }
  return resume;
}

/** Runs cycles until `once` or the stop signal; returns how many ran. */
export async function runScanner(deps: Deps, options: ScannerOptions): Promise<number> {
  const sleep = options.sleep ?? abortableSleep;
  let cycleId = options.cycleId ?? (await recoverInterrupted(deps, options, true));
  let cycles = 0;
  let purgedDay: number | null = null;
  for (;;) {
    const day = Math.floor(deps.clock.now() / 86_400_000);
    if (purgedDay !== day) {
      purgedDay = day;
      await purgeTokenHistory(deps.db, deps.clock.now(), deps.config.TOKEN_HISTORY_DAYS).then(
        (r) => deps.log.debug('token history purged', { before: new Date(r.before).toISOString(), usage: r.usage, sessions: r.sessions, windows: r.windows }),
        (error: unknown) => deps.log.warn('token history purge failed', { error }),
      );
    }
    if (options.analyst.spends) {
      const go = await waitForRequestWindows(deps, {
        sleep,
        stop: options.stop,
        onWait: ({ until, message }) => options.onEvent?.({ type: 'rate_wait', until, message }),
      });
      if (!go) return cycles;
    }
    // A cycle whose process died just before this one started (its heartbeat was still fresh then) is closed once stale.
    if (cycles > 0) await recoverInterrupted(deps, options, false);
    const startedAt = deps.clock.now();
    const result = await runCycle(deps, { ...options, ...(cycleId ? { cycleId } : {}), stop: options.stop });
    cycleId = undefined;
    cycles += 1;
    options.onCycle(result);
    if (options.once || options.stop.aborted || options.abort?.aborted) return cycles;
    const nextAt = startedAt + options.intervalMs;
    options.onWait?.(nextAt);
    await sleep(nextAt - deps.clock.now(), options.stop);
    if (options.stop.aborted) return cycles;
  }
}
