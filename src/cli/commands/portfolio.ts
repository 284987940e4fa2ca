import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { AppError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { formatUsd, renderTable } from '../render/table.js';

function parseBalance(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.replace(/[_,]/g, ''));
  if (!Number.isFinite(value) || value <= 0) throw new AppError('INVALID_INPUT', '--balance is a positive amount of USDT');
  return value;
}

/** Ask on the terminal; the prompt goes to stderr so stdout stays clean. */
async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr, terminal: false });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export function registerPortfolio(program: Command, ctx: CliContext): void {
  const portfolio = program.command('portfolio').description('paper portfolios: create, list, reset');

  portfolio
    .command('create <name>')
    .description('create a paper portfolio')
    .option('--balance <usdt>', 'starting balance (default PAPER_STARTING_BALANCE)')
    .option('--json', 'print one JSON document')
    .action(async (name: string, opts: { balance?: string; json?: boolean }) => {
      const { createPortfolio } = await import('../../trading/portfolios.js');
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const created = await createPortfolio(deps, name, parseBalance(opts.balance));
        if (opts.json) return ctx.json(created);
        ctx.out(`created portfolio ${created.name} with ${formatUsd(created.startingBalance)}`);
      });
    });

  portfolio
    .command('list')
    .description('list the paper portfolios')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const { listPortfolios } = await import('../../trading/portfolios.js');
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const items = await listPortfolios(deps.db);
        if (opts.json) return ctx.json({ items });
        if (items.length === 0) return ctx.out('no portfolios yet (the default one is created on first use)');
        if (items.some((p) => p.openPositions > 0)) ctx.out('equity at the last known marks (`cctrader status --portfolio NAME` marks them now)');
        ctx.out(
          renderTable(
            'Portfolios',
            [
              { header: 'Name' },
              { header: 'Starting', align: 'right' },
              { header: 'Cash', align: 'right' },
              { header: 'Equity', align: 'right' },
              { header: 'Open', align: 'right' },
              { header: 'Created (UTC)' },
            ],
            items.map((p) => [
              p.name,
              formatUsd(p.startingBalance),
              formatUsd(p.cash),
              formatUsd(p.equity),
              String(p.openPositions),
              p.createdAt.slice(0, 16).replace('T', ' '),
            ]),
          ),
        );
      });
    });

  portfolio
    .command('reset <name>')
    .description('delete every position and trade of a portfolio and restore its starting balance (asks first)')
    .option('--balance <usdt>', 'new starting balance (default: the current one)')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print one JSON document')
    .action(async (name: string, opts: { balance?: string; yes?: boolean; json?: boolean }) => {
      const { resetPortfolio } = await import('../../trading/portfolios.js');
      const balance = parseBalance(opts.balance);
      if (!opts.yes) {
        if (!ctx.io.isTTY) {
          throw new AppError('INVALID_INPUT', `Refusing to reset portfolio ${name} without confirmation`, { hint: 'pass --yes to reset without asking' });
        }
        if (!(await confirm(ctx, `Reset portfolio ${name}? Every position and trade in it is deleted.`))) {
          throw new AppError('CONFLICT', 'Reset cancelled', { hint: 'nothing was changed' });
        }
      }
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const result = await resetPortfolio(deps, name, balance);
        if (opts.json) return ctx.json(result);
        ctx.out(
          `reset portfolio ${result.name}: ${result.deletedPositions} positions and ${result.deletedTrades} trades deleted, cash ${formatUsd(result.cash)}`,
        );
      });
    });
}
