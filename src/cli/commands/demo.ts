import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { getPriceQuote } from '../../market/quotes.js';
import { findMovers } from '../../market/movers.js';
import { startSimExchange } from '../../sim/server.js';
import type { CliContext } from '../context.js';
import { formatPct, formatUsd, renderPanel, renderTable } from '../render/table.js';

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('offline demo: start the simulated exchange and show the market through the real ccxt path')
    .option('--seed <seed>', 'market seed', '42')
    .option('--json', 'print one JSON document')
    .action(async (opts: { seed: string; json?: boolean }) => {
      const sim = await startSimExchange({ port: 0, seed: Number(opts.seed) || 42 });
      const dir = mkdtempSync(join(tmpdir(), 'cctrader-demo-'));
      try {
        const config = ctx.config({ EXCHANGE_BASE_URL: sim.url, DB_PATH: join(dir, 'demo.db'), EXCHANGE_ID: 'bybit', LOG_LEVEL: 'warn' });
        await ctx.withApp(config, async ({ deps }) => {
          const movers = await findMovers(deps, { thresholdPct: 5, limit: 10 });
          const quote = await getPriceQuote(deps, config.DEFAULT_SYMBOL);
          if (opts.json) return ctx.json({ exchange: sim.url, movers, quote });
          ctx.out(renderPanel('cctrader demo', [`exchange: simulated Bybit at ${sim.url}`, `markets: ${movers.scanned} USDT perpetuals scanned`]));
          ctx.out(
            renderTable(
              `Movers ≥ 5% in 24h`,
              [{ header: 'Symbol' }, { header: 'Last', align: 'right' }, { header: '24h', align: 'right' }, { header: 'Turnover', align: 'right' }],
              movers.items.map((m) => [m.symbol, String(m.last), formatPct(m.change24hPct), formatUsd(m.turnover24hUsd, 0)]),
            ),
          );
          ctx.out(
            renderPanel(`${quote.symbol} (${quote.market})`, [
              `last ${quote.last}   bid ${quote.bid}   ask ${quote.ask}   spread ${quote.spreadPct}%`,
              `24h ${formatPct(quote.change24hPct)}   funding ${quote.fundingRatePct}% next ${quote.nextFundingTime}`,
            ]),
          );
        });
      } finally {
        await sim.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
