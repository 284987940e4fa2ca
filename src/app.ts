/** Composition root: the only place that builds real adapters (database, ccxt). */
import type { Config } from './config.js';
import { secretValues } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { systemClock, type Clock, type Deps } from './deps.js';
import { createLogger, type Logger } from './log.js';
import { CcxtMarketData } from './market/ccxt-market-data.js';

export interface AppHandle {
  deps: Deps;
  database: Database;
  close(): Promise<void>;
}

export interface CreateDepsOptions {
  /** Where log lines go (stderr in production). */
  writeLog: (line: string) => void;
  clock?: Clock;
  /** Base delay of exchange retries, ms (tests make it small). */
  retryBaseDelayMs?: number;
}

export function createLoggerFor(config: Config, writeLog: (line: string) => void): Logger {
  return createLogger({ level: config.LOG_LEVEL, write: writeLog, secrets: secretValues(config) });
}

export async function createDeps(config: Config, options: CreateDepsOptions): Promise<AppHandle> {
  const log = createLoggerFor(config, options.writeLog);
  const clock = options.clock ?? systemClock;
  const database = openDatabase(config.DB_PATH ?? ':memory:');
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  const market = new CcxtMarketData({
    exchangeId: config.EXCHANGE_ID,
    marketType: config.MARKET_TYPE,
    baseUrl: config.EXCHANGE_BASE_URL,
    apiKey: config.BYBIT_API_KEY,
    secret: config.BYBIT_API_SECRET,
    testnet: config.BYBIT_TESTNET,
    timeoutMs: config.EXCHANGE_TIMEOUT_MS,
    enableRateLimit: config.EXCHANGE_RATE_LIMIT,
    retry: { retries: config.EXCHANGE_RETRIES, baseDelayMs: options.retryBaseDelayMs ?? 250, maxDelayMs: 4000 },
    tickerTtlMs: config.TICKER_TTL_MS,
    log: log.child({ component: 'market' }),
    now: () => clock.now(),
  });
  const deps: Deps = { config, log, clock, db: database.db, market };
  return {
    deps,
    database,
    async close() {
      await market.close();
      await database.close();
    },
  };
}
