/** The `cctrader` command line. Each command lives in commands/<name>.ts. */
import { Command, CommanderError } from 'commander';
import { isAppError, toAppError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerConfig } from './commands/config.js';
import { registerDb } from './commands/db.js';
import { registerDemo } from './commands/demo.js';
import { registerServe } from './commands/serve.js';
import { registerSimExchange } from './commands/sim-exchange.js';
import { registerHalt } from './commands/halt.js';
import { registerPnlReport } from './commands/pnl-report.js';
import { registerPortfolio } from './commands/portfolio.js';
import { registerResume } from './commands/resume.js';
import { registerScorecard } from './commands/scorecard.js';
import { registerSignals } from './commands/signals.js';
import { registerStatus } from './commands/status.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerMonitor } from './commands/monitor.js';
import { registerScanMovers } from './commands/scan-movers.js';
import { registerFetchLimits } from './commands/fetch-limits.js';
import { registerTokenLimits } from './commands/token-limits.js';
import { registerTokenStats } from './commands/token-stats.js';
import { registerHistory, registerReplay } from './commands/replay.js';
import { createCliContext, type CliContext, type CliIO } from './context.js';

/** Global flags and the settings they set (flags win over the environment and .env). */
const GLOBAL_FLAGS = {
  dbPath: 'DB_PATH',
  exchange: 'EXCHANGE_ID',
  exchangeBaseUrl: 'EXCHANGE_BASE_URL',
  marketType: 'MARKET_TYPE',
  logLevel: 'LOG_LEVEL',
} as const;

export function buildProgram(io: CliIO): { program: Command; ctx: CliContext } {
  const program = new Command('cctrader');
  const ctx = createCliContext(io, () => {
    const opts = program.opts<Record<keyof typeof GLOBAL_FLAGS, string | undefined>>();
    const flags: Record<string, string | undefined> = {};
    for (const [flag, setting] of Object.entries(GLOBAL_FLAGS)) flags[setting] = opts[flag as keyof typeof GLOBAL_FLAGS];
    return flags;
  });
  program
    .description('A crypto trading desk for AI agents: MCP server, market data, analysis, paper trading.')
    .version(VERSION)
    .option('--db-path <path>', 'SQLite file (DB_PATH)')
    .option('--exchange <id>', 'ccxt exchange id (EXCHANGE_ID)')
    .option('--exchange-base-url <url>', 'send exchange REST calls to this host (EXCHANGE_BASE_URL)')
    .option('--market-type <type>', 'swap or spot (MARKET_TYPE)')
    .option('--log-level <level>', 'debug, info, warn, error, silent (LOG_LEVEL)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    });

  registerServe(program, ctx);
  registerSimExchange(program, ctx);
  registerDemo(program, ctx);
  registerConfig(program, ctx);
  registerDb(program, ctx);
  registerSignals(program, ctx);
  registerStatus(program, ctx);
  registerPnlReport(program, ctx);
  registerPortfolio(program, ctx);
  registerHalt(program, ctx);
  registerResume(program, ctx);
  registerScorecard(program, ctx);
  registerAnalyze(program, ctx);
  registerMonitor(program, ctx);
  registerScanMovers(program, ctx);
  registerTokenStats(program, ctx);
  registerTokenLimits(program, ctx);
  registerFetchLimits(program, ctx);
  registerReplay(program, ctx);
  registerHistory(program, ctx);
  return { program, ctx };
}

/** Run the CLI; resolves to the process exit code: 0, 1 when the job failed, 2 for a configuration error. */
export async function runCli(io: CliIO): Promise<number> {
  const { program, ctx } = buildProgram(io);
  // With --json, stdout always holds one JSON object: the answer, or {"error": {code, message}}.
  const json = io.argv.includes('--json');
  try {
    await program.parseAsync(io.argv);
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (json && error.exitCode !== 0) writeJsonError(io, 'INVALID_INPUT', error.message.replace(/^error: /, ''));
      return error.exitCode;
    }
    const appError = toAppError(error, { dbPath: ctx.dbPath });
    io.stderr.write(`error: ${appError.toLine()}\n`);
    if (appError.code === 'INTERNAL' && !isAppError(error)) io.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    if (json && !ctx.printedJson) writeJsonError(io, appError.code, appError.message, appError.hint);
    return appError.code === 'CONFIG' ? 2 : 1;
  }
}

function writeJsonError(io: CliIO, code: string, message: string, hint?: string): void {
  io.stdout.write(JSON.stringify({ error: { code, message, ...(hint ? { hint } : {}) } }, null, 2) + '\n');
}
