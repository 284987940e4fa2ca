import type { Command } from 'commander';
import { AppError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { renderPublished } from '../render/tokens.js';

export function registerFetchLimits(program: Command, ctx: CliContext): void {
  program
    .command('fetch-limits')
    .description("read Anthropic's published rate limits (requests and tokens per minute by model and tier) from RATE_LIMITS_URL and store them")
    .option('--url <url>', 'read this page instead of RATE_LIMITS_URL')
    .option('--json', 'print one JSON document')
    .action(async (opts: { url?: string; json?: boolean }) => {
      const config = ctx.config();
      const url = opts.url ?? config.RATE_LIMITS_URL;
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new AppError('INVALID_INPUT', '--url is not a URL', { hint: 'e.g. https://docs.anthropic.com/en/api/rate-limits' });
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new AppError('INVALID_INPUT', '--url must be an http or https URL');
      const { fetchPublishedLimits } = await import('../../usage/published-limits.js');
      await ctx.withApp(config, async ({ deps }) => {
        const outcome = await fetchPublishedLimits(deps, url);
        const configured = { hourlyLimit: config.CLAUDE_HOURLY_LIMIT, dailyLimit: config.CLAUDE_DAILY_LIMIT };
        const kept = `the request windows keep CLAUDE_HOURLY_LIMIT=${configured.hourlyLimit} and CLAUDE_DAILY_LIMIT=${configured.dailyLimit} requests`;
        if (!outcome.ok) {
          const previous = outcome.previous ? `; the limits fetched ${new Date(outcome.previous.fetchedAt).toISOString()} stay stored` : '';
          if (opts.json) {
            ctx.json({
              ok: false,
              url,
              error: { code: outcome.code, message: outcome.message },
              configured,
              previous: outcome.previous
                ? { url: outcome.previous.url, fetchedAt: new Date(outcome.previous.fetchedAt).toISOString(), items: outcome.previous.items.length }
                : null,
            });
          }
          throw new AppError(outcome.code, `No rate limits read from ${url}: ${outcome.message}`, {
            hint: `nothing changed: ${kept}${previous}; check RATE_LIMITS_URL or pass --url`,
          });
        }
        if (opts.json) return ctx.json({ ok: true, url, fetchedAt: new Date(outcome.fetchedAt).toISOString(), items: outcome.items, configured });
        ctx.out(renderPublished(`Published rate limits (${outcome.items.length} rows, stored)`, outcome.items));
        ctx.out(`Source: ${url}`);
        ctx.out(`These are per-minute API limits of an account tier: shown by token-limits, not enforced; ${kept}.`);
      });
    });
}
