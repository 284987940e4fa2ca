import type { Command } from 'commander';
import { AppError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerSimExchange(program: Command, ctx: CliContext): void {
  program
    .command('sim-exchange')
    .description("run the simulated exchange (Bybit v5 public market API on loopback) for offline use")
    .option('--port <port>', 'port (0 = any free port)', '8780')
    .option('--host <host>', 'bind address', '127.0.0.1')
    .option('--seed <seed>', 'market seed', '42')
    .option('--now <iso>', 'freeze the clock at this time (default: follow the real clock)')
    .action(async (opts: { port: string; host: string; seed: string; now?: string }) => {
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
      const sim = await startSimExchange({ port, host: opts.host, seed, ...(now === undefined ? {} : { now }) });
      ctx.out(`simulated exchange on ${sim.url} (seed ${seed}${now === undefined ? '' : `, frozen at ${new Date(now).toISOString()}`})`);
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
