import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { PortfolioStatus } from '../../portfolio/status.js';
import type { CycleResult } from '../../scanner/cycle.js';
import type { ExecutedSignal } from '../../signals/history.js';
import type { CliContext } from '../context.js';
import { createProgress, renderCycle } from '../render/cycle.js';
import { formatPct, formatPrice, formatUsd, renderPanel, renderTable } from '../render/table.js';

/** The demo's market instant (the simulator's clock is frozen there): 2026-11-20 12:00 UTC. */
export const DEMO_ANCHOR = Date.UTC(2026, 10, 20, 12, 0, 0);

/** What the demo prints after its cycle: the cycle, the paper fills, the portfolio and where to go next. */
function renderDemoResult(cycle: CycleResult, fills: ExecutedSignal[], status: PortfolioStatus): string {
  const right = (header: string) => ({ header, align: 'right' as const });
  const out = [renderCycle({ ...cycle })];
  if (fills.length > 0) {
    out.push(
      renderTable(
        'Paper fills',
        [{ header: 'Symbol' }, { header: 'Side' }, right('Conf'), right('Qty'), right('Price'), right('Fee'), right('Stop'), right('Target')],
        fills.map((f) => [
          f.symbol.split(':')[0] ?? f.symbol,
          f.direction,
          String(f.confidence),
          String(f.quantity),
          formatPrice(f.price),
          formatUsd(f.fee, 4),
          formatPrice(f.stopLoss),
          formatPrice(f.takeProfit),
        ]),
      ),
    );
  }
  out.push(
    renderPanel('Portfolio', [
      `equity ${formatUsd(status.equity)} (${formatPct(status.returnPct)}), cash ${formatUsd(status.cash)}, margin ${formatUsd(status.margin)}`,
      `open positions ${status.positions.items.length}, exposure ${formatUsd(status.exposure)}, unrealized ${formatUsd(status.unrealizedPnl)}`,
      'next: `cctrader scan-movers --once` runs the same cycle on live Bybit data (public, no key needed)',
    ]),
  );
  return out.join('\n');
}

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('offline demo: a full scan cycle with the rules analyst on the simulated exchange: movers, signals, fills, portfolio')
    .option('--seed <seed>', 'market seed', '42')
    .option('--json', 'print one JSON document')
    .action(async (opts: { seed: string; json?: boolean }) => {
      const { getPriceQuote } = await import('../../market/quotes.js');
      const { getPortfolioStatus } = await import('../../portfolio/status.js');
      const { runCycle } = await import('../../scanner/cycle.js');
      const { executedSignals } = await import('../../signals/history.js');
      const { startSimExchange } = await import('../../sim/server.js');
      const seed = Number(opts.seed) || 42;
      // A frozen market at a fixed instant: the same seed gives the same movers, signals and fills.
      const sim = await startSimExchange({ port: 0, seed, now: DEMO_ANCHOR });
      const dir = mkdtempSync(join(tmpdir(), 'cctrader-demo-'));
      try {
        const config = ctx.config({
          EXCHANGE_BASE_URL: sim.url,
          DB_PATH: join(dir, 'demo.db'),
          EXCHANGE_ID: 'bybit',
          MARKET_TYPE: 'swap',
          ANALYST: 'rules',
          LOG_LEVEL: 'warn',
        });
        await ctx.withApp(
          config,
          async (app) => {
            const { deps } = app;
            const analyst = app.analyst('rules');
            if (!opts.json)
              ctx.out(
                renderPanel('cctrader demo', [
                  `exchange: simulated Bybit at ${sim.url} (offline, seed ${opts.seed})`,
                  'analyst: rules (deterministic, no key needed)',
                  `paper portfolio: default, ${formatUsd(config.PAPER_STARTING_BALANCE)}`,
                ]),
              );
            const progress = createProgress((s) => void ctx.io.stderr.write(s), ctx.io.isTTY);
            const cycle = await runCycle(deps, { analyst, cycleId: `demo-seed-${seed}`, onEvent: opts.json ? undefined : (e) => progress.event(e) });
            progress.clear();
            const status = await getPortfolioStatus(deps, { portfolio: 'default' });
            const fills = await executedSignals(deps.db);
            if (opts.json) {
              const quote = await getPriceQuote(deps, config.DEFAULT_SYMBOL);
              const movers = {
                scanned: cycle.scanned,
                items: cycle.movers.map((m) => ({ symbol: m.symbol, change24hPct: m.change24hPct, last: m.last, turnover24hUsd: m.turnover24hUsd })),
                hasMore: cycle.moversFound > cycle.movers.length + cycle.moversHeld,
              };
              return ctx.json({ exchange: sim.url, movers, quote, cycle, fills, portfolio: status });
            }
            ctx.out(renderDemoResult(cycle, fills, status));
          },
          { clock: { now: () => sim.clock.now() } },
        );
      } finally {
        await sim.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
