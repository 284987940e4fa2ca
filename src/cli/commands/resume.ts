import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerResume(program: Command, ctx: CliContext): void {
  program
    .command('resume')
    .description('allow new entries again after `halt`')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const { setHalt } = await import('../../trading/halt.js');
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const state = await setHalt(deps, false);
        if (opts.json) return ctx.json(state);
        ctx.out('trading resumed: new entries are allowed');
      });
    });
}
