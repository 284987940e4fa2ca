import type { Command } from 'commander';
import { TOOLSET_NAMES } from '../../config.js';
import { AppError } from '../../errors.js';
import type { McpServerOptions } from '../../mcp/server.js';
import type { CliContext } from '../context.js';

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the MCP server (stdio by default, Streamable HTTP with --http)')
    .option('--http', 'serve Streamable HTTP instead of stdio')
    .option('--host <host>', 'HTTP bind address', '127.0.0.1')
    .option('--port <port>', 'HTTP port', '8765')
    .option('--read-only', 'serve only the tools that change nothing (no submit_trading_signal, no close_position)')
    .option('--toolsets <list>', `serve only these tool groups, comma-separated: ${TOOLSET_NAMES.join(', ')}`)
    .action(async (opts: { http?: boolean; host: string; port: string; readOnly?: boolean; toolsets?: string }) => {
      const config = ctx.config({ CCTRADER_READ_ONLY: opts.readOnly ? 'true' : undefined, CCTRADER_TOOLSETS: opts.toolsets });
      const server: McpServerOptions = { selection: { readOnly: config.CCTRADER_READ_ONLY, toolsets: config.CCTRADER_TOOLSETS } };
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      const unsubscribe = ctx.io.onSignal(() => stop());
      try {
        if (opts.http) {
          const port = Number(opts.port);
          if (!Number.isInteger(port) || port < 0 || port > 65535) {
            throw new AppError('INVALID_INPUT', `--port must be 0-65535, got ${opts.port}`);
          }
          await ctx.withApp(config, async (app) => {
            const { serveHttp } = await import('../../mcp/http.js');
            const list = (v: string | undefined) =>
              v
                ? v
                    .split(',')
                    .map((x) => x.trim())
                    .filter(Boolean)
                : [];
            const handle = await serveHttp(app.deps, {
              host: opts.host,
              port,
              token: config.CCTRADER_HTTP_TOKEN,
              allowedHosts: list(config.CCTRADER_HTTP_ALLOWED_HOSTS),
              allowedOrigins: list(config.CCTRADER_HTTP_ALLOWED_ORIGINS),
              server,
            });
            ctx.err(`cctrader MCP server on ${handle.url}`);
            await stopped;
            await handle.close();
          });
          return;
        }
        // stdio: answer the client's handshake and tools/list while the desk opens its database.
        const { serveStdio } = await import('../../mcp/stdio.js');
        const opening = ctx.openApp(config);
        const handle = await serveStdio(
          opening.then((app) => app.deps),
          ctx.io.stdin,
          ctx.io.stdout,
          server,
        );
        try {
          // A failed start (bad database, failed migration) rejects here and ends the command.
          await Promise.race([handle.closed, stopped, opening.then(() => new Promise<never>(() => {}))]);
        } finally {
          await handle.close();
          await opening.then(
            (app) => app.close(),
            () => {},
          );
        }
      } finally {
        unsubscribe();
      }
    });
}
