/**
 * The unattended scanner: a cycle every `intervalMs` (measured from the start of the previous
 * one), until stopped. On start it looks for a cycle whose process died (status running, heartbeat
 * older than a minute): one started within the last interval is taken up again under its own id
 * (its signal_ids replay, so nothing executes twice); an older one is closed as failed.
 *
 * When a spend cap pauses analyses, cycles keep running at the interval (open positions are still
 * evaluated and the movers are recorded as skipped) and the report says until when.
 */
import type { Deps } from '../deps.js';
import { runCycle, STALE_MS, type CycleOptions, type CycleResult } from './cycle.js';
import { abandonCycle, findInterruptedCycle } from './store.js';

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
  /** Waiting between cycles (tests replace it). */
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

/** Runs cycles until `once` or the stop signal; returns how many ran. */
export async function runScanner(deps: Deps, options: ScannerOptions): Promise<number> {
  const sleep = options.sleep ?? abortableSleep;
  let cycleId = options.cycleId;
  if (!cycleId) {
    const now = deps.clock.now();
    const interrupted = await findInterruptedCycle(deps.db, now, STALE_MS);
    if (interrupted) {
      if (now - interrupted.started_at < options.intervalMs) {
        cycleId = interrupted.id;
        options.onRecovery?.({ cycleId, action: 'resumed' });
      } else {
        await abandonCycle(deps.db, interrupted, now);
        options.onRecovery?.({ cycleId: interrupted.id, action: 'abandoned' });
      }
    }
  }
  let cycles = 0;
  for (;;) {
    const startedAt = Date.now();
    const result = await runCycle(deps, { ...options, ...(cycleId ? { cycleId } : {}), stop: options.stop });
    cycleId = undefined;
    cycles += 1;
    options.onCycle(result);
    if (options.once || options.stop.aborted || options.abort?.aborted) return cycles;
    const nextAt = startedAt + options.intervalMs;
    options.onWait?.(nextAt);
    await sleep(nextAt - Date.now(), options.stop);
    if (options.stop.aborted) return cycles;
  }
}
