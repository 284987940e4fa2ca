import type { Command } from 'commander';
import { AppError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerSimExchange(program: Command, ctx: CliContext): void {
  program
    .command('sim-exchange')
    .description('run the simulated exchange (Bybit v5 public market API on loopback) for offline use')
    .option('--port <port>', 'port (0 = any free port)', '8780')
    .option('--host <host>', 'bind address', '127.0.0.1')
    .option('--seed <seed>', 'market seed', '42')
    .option('--now <iso>', 'freeze the clock at this time (default: follow the real clock)')
    .option('--ip-limit [requests]', "enforce Bybit's IP limit: this many market requests per 5 s (default 600), then HTTP 403 and a block")
    .option('--ip-block-seconds <s>', 'how long the IP limit blocks (Bybit: at least 600)', '600')
    .action(async (opts: { port: string; host: string; seed: string; now?: string; ipLimit?: string | boolean; ipBlockSeconds: string }) => {
      const { startSimExchange } = await import('../../sim/server.js');
      const port = Number(opts.port);
      const seed = Number(opts.seed);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AppError('INVALID_INPUT', `--port must be 0-65535, got ${opts.port}`);
      if (!Number.isInteger(seed)) throw new AppError('INVALID_INPUT', `--seed must be an integer, got ${opts.seed}`);
      let now: number | undefined;
      if (opts.now !== undefined) {
        now = Date.parse(opts.now);
        if (!Number.isFinite(now)) throw new AppError('INVALID_INPUT', `--now must be an ISO time, got ${opts.now}`);
      }
      let ipLimit: { limit: number; blockMs: number } | undefined;
      if (opts.ipLimit !== undefined && opts.ipLimit !== false) {
        const limit = opts.ipLimit === true ? 600 : Number(opts.ipLimit);
        const block = Number(opts.ipBlockSeconds);
        if (!Number.isInteger(limit) || limit < 1) throw new AppError('INVALID_INPUT', `--ip-limit must be a positive integer, got ${String(opts.ipLimit)}`);
        if (!Number.isFinite(block) || block < 0)
          throw new AppError('INVALID_INPUT', `--ip-block-seconds must be a non-negative number, got ${opts.ipBlockSeconds}`);
        ipLimit = { limit, blockMs: block * 1000 };
      }
      const sim = await startSimExchange({ port, host: opts.host, seed, ...(now === undefined ? {} : { now }), ...(ipLimit ? { ipLimit } : {}) });
      ctx.out(`simulated exchange on ${sim.url} (seed ${seed}${now === undefined ? '' : `, frozen at ${new Date(now).toISOString()}`})`);
      if (ipLimit) ctx.out(`IP limit: ${ipLimit.limit} market requests per 5 s, then HTTP 403 and a ${ipLimit.blockMs / 1000} s block`);
      ctx.out(`point cctrader at it: EXCHANGE_BASE_URL=${sim.url}`);
      await new Promise<void>((resolve) => {
        const off = ctx.io.onSignal(() => {
          off();
          resolve();
        });
      });
      await sim.close();
    });
}
