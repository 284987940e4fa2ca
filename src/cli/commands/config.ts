import type { Command } from 'commander';
import { describeSettings, redactConfig } from '../../config.js';
import { describeRequestLimiting } from '../../market/exchange-limits.js';
import type { CliContext } from '../context.js';

export function registerConfig(program: Command, ctx: CliContext): void {
  program
    .command('config')
    .description('print the effective configuration (secrets redacted)')
    .option('--json', 'print one JSON document')
    .action((opts: { json?: boolean }) => {
      const config = ctx.config();
      const shown = redactConfig(config);
      if (opts.json) return ctx.json(shown);
      const docs = new Map(describeSettings().map((s) => [s.name, s.description]));
      const width = Math.max(...Object.keys(shown).map((k) => k.length));
      for (const [key, value] of Object.entries(shown)) {
        ctx.out(`${key.padEnd(width)}  ${value === null ? '(unset)' : String(value)}    # ${docs.get(key as never) ?? ''}`);
      }
      ctx.out('');
      ctx.out(describeRequestLimiting(config));
    });
}
