import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { renderPanel } from '../render/table.js';
import { analysisFailure, analysisJson, analysisLines } from './analyze.js';

interface Options {
  symbol?: string;
  interval?: string;
  once?: boolean;
  daily?: boolean;
  analyst?: string;
  portfolio: string;
  showTokens?: boolean;
  json?: boolean;
}

export function registerMonitor(program: Command, ctx: CliContext): void {
  program
    .command('monitor')
    .description('analyse one coin every --interval seconds and trade its signals on paper (while a position is open it is only watched)')
    .option('--symbol <symbol>', 'coin to watch (DEFAULT_SYMBOL)')
    .option('--interval <seconds>', 'seconds between analyses (ANALYSIS_INTERVAL, default 300)')
    .option('--once', 'one analysis, then exit')
    .option('--daily', 'Claude: one conversation per UTC day (monitor-YYYY-MM-DD)')
    .option('--analyst <kind>', 'auto, claude or rules (ANALYST)')
    .option('--portfolio <name>', 'paper portfolio', 'default')
    .option('--show-tokens', 'show the tokens and cost of each analysis')
    .option('--json', 'one JSON document per analysis')
    .action(async (opts: Options) => {
      const { analyseSymbol } = await import('../../agent/run-analysis.js');
      const { requirePortfolio } = await import('../../trading/portfolios.js');
      const { abortableSleep } = await import('../../scanner/runner.js');
      const { evaluatePortfolio } = await import('../../trading/evaluate.js');
      const { openPositionOn } = await import('../../trading/ledger.js');
      const { toDec } = await import('../../shared/money.js');
      const config = ctx.config({ ANALYSIS_INTERVAL: opts.interval, ANALYST: opts.analyst });
      const intervalMs = config.ANALYSIS_INTERVAL * 1000;
      await ctx.withApp(config, async (app) => {
        const { deps } = app;
        const analyst = app.analyst();
        const info = await deps.market.resolveSymbol(opts.symbol ?? config.DEFAULT_SYMBOL);
        const portfolio = await requirePortfolio(deps, opts.portfolio);
        const stop = new AbortController();
        const abort = new AbortController();
        let interrupts = 0;
        const off = ctx.io.onSignal(() => {
          interrupts += 1;
          if (interrupts === 1) {
            stop.abort();
            ctx.err('stopping after the analysis in flight (Ctrl-C again to abort it)');
          } else abort.abort();
        });
        try {
          if (!opts.json) ctx.err(`monitoring ${info.symbol} every ${config.ANALYSIS_INTERVAL} s with the ${analyst.kind} analyst (Ctrl-C to stop)`);
          for (;;) {
            const tickStart = deps.clock.now();
            const evaluation = await evaluatePortfolio(deps, portfolio);
            for (const c of evaluation.closed) ctx.err(`closed #${c.positionId} ${c.symbol} by ${c.reason}`);
            const held = await openPositionOn(deps.db, portfolio.id, info.symbol);
            const at = new Date(deps.clock.now()).toISOString();
            if (held) {
              const holding = { positionId: held.id, direction: held.direction, entryPrice: Number(toDec(held.entry_price).toSignificantDigits(7)) };
              const line = `${at} ${info.symbol}: holding #${held.id} ${held.direction} from ${holding.entryPrice}; not analysed while the position is open`;
              if (opts.json) ctx.io.stdout.write(JSON.stringify({ at, symbol: info.symbol, holding }) + '\n');
              else ctx.out(line);
            } else {
              const slot = Math.floor(deps.clock.now() / intervalMs) * intervalMs;
              const a = await analyseSymbol(deps, analyst, {
                symbol: info.symbol,
                operation: 'monitor',
                daily: opts.daily,
                portfolio: opts.portfolio,
                // One signal per symbol and interval slot: a restart within the slot replays it.
                signalId: `monitor-${slot.toString(36)}:${info.id}`.slice(0, 64),
                abort: abort.signal,
                // Past a request window's critical threshold the monitor waits for it to reset.
                waitForWindow: {
                  sleep: abortableSleep,
                  stop: stop.signal,
                  onWait: ({ until, message }) => ctx.err(`waiting until ${new Date(until).toISOString()}: ${message}`),
                },
              });
              if (a.warning && !opts.json) ctx.err(`warning: ${a.warning}`);
              const failed = analysisFailure(a);
              if (failed && opts.once) ctx.fail(failed.code);
              if (opts.json) ctx.io.stdout.write(JSON.stringify({ at, ...analysisJson(a, Boolean(opts.showTokens)) }) + '\n');
              else ctx.out(renderPanel(`${at} ${a.symbol}`, analysisLines(a, Boolean(opts.showTokens))));
            }
            if (opts.once || stop.signal.aborted) return;
            await abortableSleep(tickStart + intervalMs - deps.clock.now(), stop.signal);
            if (stop.signal.aborted) return;
          }
        } finally {
          off();
        }
      });
    });
}
