import type { Command } from 'commander';
import type { CycleResult } from '../../scanner/cycle.js';
import type { CliContext } from '../context.js';
import { createProgress, renderCycle } from '../render/cycle.js';

interface Options {
  interval?: string;
  daily?: boolean;
  once?: boolean;
  maxMovers?: string;
  threshold?: string;
  concurrency?: string;
  analyst?: string;
  portfolio: string;
  cycleId?: string;
  json?: boolean;
}

export function registerScanMovers(program: Command, ctx: CliContext): void {
  program
    .command('scan-movers')
    .description('find the coins that moved 5%+ in 24h, analyse each, trade the good signals on paper; every --interval seconds until Ctrl-C')
    .option('--interval <seconds>', 'seconds between cycles (ANALYSIS_INTERVAL, default 300)')
    .option('--daily', 'Claude: one conversation per UTC day (scanner-YYYY-MM-DD), resumed across restarts')
    .option('--once', 'run one cycle and exit')
    .option('--max-movers <n>', 'movers analysed per cycle (MAX_MOVERS, default 20)')
    .option('--threshold <pct>', 'least 24h move (MOVERS_THRESHOLD_PCT, default 5)')
    .option('--concurrency <n>', 'analyses at the same time (SCAN_CONCURRENCY, default 4)')
    .option('--analyst <kind>', 'auto, claude or rules (ANALYST)')
    .option('--portfolio <name>', 'paper portfolio', 'default')
    .option('--cycle-id <id>', 'resume or replay this cycle (its signals never execute twice)')
    .option('--json', 'print each cycle as JSON (one document with --once)')
    .action(async (opts: Options) => {
      const { runScanner } = await import('../../scanner/runner.js');
      const config = ctx.config({
        ANALYSIS_INTERVAL: opts.interval,
        MAX_MOVERS: opts.maxMovers,
        MOVERS_THRESHOLD_PCT: opts.threshold,
        SCAN_CONCURRENCY: opts.concurrency,
        ANALYST: opts.analyst,
      });
      await ctx.withApp(config, async (app) => {
        const analyst = app.analyst();
        const progress = createProgress((s) => void ctx.io.stderr.write(s), ctx.io.isTTY);
        const stop = new AbortController();
        const abort = new AbortController();
        let interrupts = 0;
        const off = ctx.io.onSignal(() => {
          interrupts += 1;
          if (interrupts === 1) {
            stop.abort();
            progress.note('stopping: the analyses in flight finish and the cycle is saved (Ctrl-C again to abort them)');
          } else if (!abort.signal.aborted) {
            abort.abort();
            progress.note('aborting the analyses in flight');
          }
        });
        try {
          await runScanner(app.deps, {
            analyst,
            intervalMs: config.ANALYSIS_INTERVAL * 1000,
            once: Boolean(opts.once),
            daily: Boolean(opts.daily),
            portfolio: opts.portfolio,
            ...(opts.cycleId ? { cycleId: opts.cycleId } : {}),
            stop: stop.signal,
            abort: abort.signal,
            onEvent: (e) => progress.event(e),
            onRecovery: ({ cycleId, action }) =>
              progress.note(action === 'resumed' ? `resuming interrupted cycle ${cycleId}` : `closed interrupted cycle ${cycleId} (too old to resume)`),
            onCycle: (result) => {
              progress.clear();
              // The scan itself failed (no movers could be read): the job failed, say so with its code.
              const failed = scanFailure(result);
              if (failed && opts.once) ctx.fail(failed.code);
              const shown = failed ? { ...result, error: failed } : result;
              if (opts.json) {
                if (opts.once) ctx.json(shown);
                else ctx.io.stdout.write(JSON.stringify(shown) + '\n');
              } else {
                ctx.out(renderCycle(result));
              }
              if (result.pausedUntil) progress.note(`analyses paused until ${result.pausedUntil}`);
            },
            onWait: (nextAt) => progress.note(`next cycle at ${new Date(nextAt).toISOString()} (Ctrl-C to stop)`),
          });
        } finally {
          off();
          progress.clear();
        }
      });
    });
}

/** The scan's failure, when the cycle could not read the movers at all. */
function scanFailure(result: CycleResult): { code: string; message: string } | null {
  const key = Object.keys(result.errorsByCode).find((k) => k.startsWith('scan:'));
  return key ? { code: key.slice('scan:'.length), message: result.stop?.reason ?? 'the scan failed' } : null;
}
