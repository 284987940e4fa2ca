import type { TokenPeriod } from '../../usage/periods.js';
import type { Command } from 'commander';
import { AppError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { renderTokenReport } from '../render/tokens.js';

export function registerTokenStats(program: Command, ctx: CliContext): void {
  program
    .command('token-stats')
    .description('LLM requests, tokens and cost (Claude and Perplexity) by hour, day or agent session, with the request windows')
    .option('--period <period>', 'hourly (last 24 h), daily (last 30 days) or session (last 7 days)', 'daily')
    .option('--json', 'print one JSON document')
    .action(async (opts: { period: string; json?: boolean }) => {
      const { TOKEN_PERIODS } = await import('../../usage/periods.js');
      if (!(TOKEN_PERIODS as readonly string[]).includes(opts.period)) throw new AppError('INVALID_INPUT', `--period is one of ${TOKEN_PERIODS.join(', ')}`);
      const { tokenReport } = await import('../../usage/report.js');
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const report = await tokenReport(deps, opts.period as TokenPeriod);
        if (opts.json) return ctx.json(report);
        ctx.out(renderTokenReport(report, ctx.io.isTTY));
      });
    });
}
