import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { renderLimits } from '../render/tokens.js';

export function registerTokenLimits(program: Command, ctx: CliContext): void {
  program
    .command('token-limits')
    .description('the Claude request windows against CLAUDE_HOURLY_LIMIT and CLAUDE_DAILY_LIMIT: green, yellow or red by the thresholds')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const { limitsReport } = await import('../../usage/report.js');
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const report = await limitsReport(deps);
        if (opts.json) return ctx.json(report);
        ctx.out(renderLimits(report, ctx.io.isTTY));
      });
    });
}
