import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerHalt(program: Command, ctx: CliContext): void {
  program
    .command('halt')
    .description('stop all new entries at once, on every portfolio (stops, targets and closes keep working)')
    .option('--reason <text>', 'why (shown in rejections and status)')
    .option('--json', 'print one JSON document')
    .action(async (opts: { reason?: string; json?: boolean }) => {
      const { setHalt } = await import('../../trading/halt.js');
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const state = await setHalt(deps, true, opts.reason);
        if (opts.json) return ctx.json(state);
        ctx.out(`trading halted${state.reason ? `: ${state.reason}` : ''}; \`cctrader resume\` allows new entries again`);
      });
    });
}
