/** Composition root: the only place that builds real adapters (database, ccxt). */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClaudeAnalyst, selectAnalystKind, type Analyst, type AnalystKind } from './agent/analyst.js';
import { agentDirs, ClaudeAgentBackend } from './agent/claude-backend.js';
import { RulesAnalyst } from './agent/rules-analyst.js';
import { ANALYST_TOOLS } from './agent/types.js';
import type { Config } from './config.js';
import { secretValues } from './config.js';
import { AppError, isAppError, toAppError } from './errors.js';
import { openDatabase, type Database } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { type Deps } from './deps.js';
import { systemClock, type Clock } from './shared/clock.js';
import { createLogger, LogFeed, type Logger } from './log.js';
import { CcxtMarketData } from './market/ccxt-market-data.js';
import type { HistorySource } from './market/types.js';
import { TtlCache } from './sentiment/cache.js';
import { FearGreedSource } from './sentiment/fear-greed-source.js';
import { PerplexitySource, perplexityClientLogger } from './sentiment/perplexity-source.js';
import type { SentimentDeps, SentimentReading } from './sentiment/types.js';
import { toolRegistry } from './mcp/registry.js';
import { createMcpServer } from './mcp/server.js';
import { recordLlmUsage } from './usage/record.js';
import { configuredPrices } from './usage/prices.js';
import type { ReplayContext } from './replay/run.js';

export interface AppHandle {
  deps: Deps;
  database: Database;
  /** Past market data from the same exchange client (budget, retries), for replays. */
  history: HistorySource;
  /** The analyst a configuration asks for (ANALYST), or the one named: built here, started on first use. */
  analyst(kind?: AnalystKind): Analyst;
  /** The logger of a replay's desk: its cycles are many, so warnings and errors only (debug when LOG_LEVEL=debug). */
  replayLog: Logger;
  /** The analysts of a replay (built on the replay's own desk). */
  replayAnalysts(options: Omit<ReplayAnalystOptions, 'baseEnv'>): ReplayContext['analyst'];
  close(): Promise<void>;
}

export interface CreateDepsOptions {
  /** Where log lines go (stderr in production). */
  writeLog: (line: string) => void;
  clock?: Clock;
  /** Base delay of exchange retries, ms (tests make it small). */
  retryBaseDelayMs?: number;
  /** The environment the Claude analyst's `claude` child starts from (the CLI passes the process's). */
  agentEnv?: Record<string, string | undefined>;
}

export function createLoggerFor(config: Config, writeLog: (line: string) => void, feed?: LogFeed): Logger {
  return createLogger({ level: config.LOG_LEVEL, write: writeLog, secrets: secretValues(config), ...(feed ? { feed } : {}) });
}

export async function createDeps(config: Config, options: CreateDepsOptions): Promise<AppHandle> {
  const logFeed = new LogFeed();
  const log = createLoggerFor(config, options.writeLog, logFeed);
  const clock = options.clock ?? systemClock;
  const database = openDatabase(config.DB_PATH ?? ':memory:');
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    // A locked or read-only file fails here, inside the migrator: say so, naming the file.
    const cause = isAppError(error) && error.code === 'INTERNAL' ? error.cause : error;
    const named = toAppError(cause, { dbPath: database.path });
    throw named.code === 'INTERNAL' ? error : named;
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
    requestsPer5s: config.EXCHANGE_REQUESTS_PER_5S,
    retry: { retries: config.EXCHANGE_RETRIES, baseDelayMs: options.retryBaseDelayMs ?? 250, maxDelayMs: 4000 },
    tickerTtlMs: config.TICKER_TTL_MS,
    log: log.child({ component: 'market' }),
    now: () => clock.now(),
  });
  const deps: Deps = { config, log, clock, db: database.db, market, sentiment: createSentimentDeps(config, log, clock, database, options), logFeed };
  const app: AppHandle = {
    deps,
    database,
    history: market,
    analyst: (kind) => createAnalyst(app, { baseEnv: options.agentEnv ?? {}, kind }),
    replayLog: createLoggerFor(
      { ...config, LOG_LEVEL: config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'silent' || config.LOG_LEVEL === 'error' ? config.LOG_LEVEL : 'warn' },
      options.writeLog,
    ),
    replayAnalysts: (replay) => replayAnalysts(app, { ...replay, baseEnv: options.agentEnv ?? {} }),
    async close() {
      await market.close();
      await database.close();
    },
  };
  return app;
}

/** The optional sentiment sources. The Perplexity client module is imported on first use. */
function createSentimentDeps(config: Config, log: Logger, clock: Clock, database: Database, options: CreateDepsOptions): SentimentDeps {
  const apiKey = config.PERPLEXITY_API_KEY;
  const newsLog = log.child({ component: 'perplexity' });
  const news = apiKey
    ? new PerplexitySource({
        client: async () => {
          const { default: Perplexity } = await import('@perplexity-ai/perplexity_ai');
          return new Perplexity({
            apiKey,
            baseURL: config.PERPLEXITY_BASE_URL,
            timeout: config.PERPLEXITY_TIMEOUT_MS,
            // Retries are the adapter's (bounded, and it never sleeps through a long Retry-After).
            maxRetries: 0,
            logLevel: 'warn',
            logger: perplexityClientLogger(newsLog),
          });
        },
        model: config.PERPLEXITY_MODEL,
        timeoutMs: config.PERPLEXITY_TIMEOUT_MS,
        maxRetries: config.PERPLEXITY_MAX_RETRIES,
        retryBaseDelayMs: options.retryBaseDelayMs ?? 500,
        prices: {
          inputUsdPerMTok: config.PERPLEXITY_INPUT_USD_PER_MTOK,
          outputUsdPerMTok: config.PERPLEXITY_OUTPUT_USD_PER_MTOK,
          requestUsd: config.PERPLEXITY_REQUEST_USD,
        },
        log: newsLog,
        now: () => clock.now(),
        // TOKEN_TRACKING_ENABLED=false records nothing (usage/spend-caps.ts: analyses that spend are then refused).
        onUsage: config.TOKEN_TRACKING_ENABLED ? (usage) => recordLlmUsage(database.db, usage) : undefined,
      })
    : null;
  const fearGreed = config.FEAR_GREED_ENABLED
    ? new FearGreedSource({ url: config.FEAR_GREED_URL, log: log.child({ component: 'fear-greed' }), now: () => clock.now() })
    : null;
  const cache = new TtlCache<SentimentReading>(config.SENTIMENT_CACHE_MINUTES * 60_000, () => clock.now());
  return { news, fearGreed, cache };
}

/**
 * The Claude analyst (Claude Agent SDK), with the desk's own MCP server attached in-process: its
 * tool calls run on these deps. `baseEnv` is the environment the `claude` child starts from (the
 * CLI passes its own; only main.ts reads process.env). Without ANTHROPIC_API_KEY every run ends
 * with errorCode AUTH. The SDK itself is imported on the first run.
 */
export function createClaudeAgent(app: AppHandle, options: { baseEnv: Record<string, string | undefined>; toolTimeoutMs?: number }): ClaudeAgentBackend {
  const { config } = app.deps;
  return new ClaudeAgentBackend({
    apiKey: config.ANTHROPIC_API_KEY,
    baseUrl: config.ANTHROPIC_BASE_URL,
    baseEnv: options.baseEnv,
    ...agentDirs(config, tmpdir()),
    maxRetries: config.CLAUDE_MAX_RETRIES,
    toolTimeoutMs: options.toolTimeoutMs ?? 120_000,
    defaultTools: ANALYST_TOOLS,
    createMcpServer: ({ tools, binding }) =>
      createMcpServer(app.deps, {
        tools: tools ? toolRegistry.filter((t) => tools.includes(t.name)) : undefined,
        alwaysLoad: true,
        ...(binding ? { binding } : {}),
      }),
    log: app.deps.log,
  });
}

/**
 * The analyst a configuration asks for (ANALYST; auto = Claude when ANTHROPIC_API_KEY is set, else
 * the rules analyst), or the one named by `kind`. Building it starts nothing: the Claude Agent SDK
 * is loaded on the first analysis.
 */
function createAnalyst(app: AppHandle, options: { baseEnv: Record<string, string | undefined>; kind?: AnalystKind | undefined }): Analyst {
  const kind = options.kind ?? selectAnalystKind(app.deps.config);
  return kind === 'claude' ? new ClaudeAnalyst(app.deps, createClaudeAgent(app, { baseEnv: options.baseEnv })) : new RulesAnalyst(app.deps);
}

export interface ReplayAnalystOptions {
  baseEnv: Record<string, string | undefined>;
  /** The cassette file; default: one per replay next to its database. */
  cassette?: string | undefined;
  /** Send requests missing from the cassette to the API and add them (real spend). */
  record: boolean;
  maxSpendUsd: number | null;
  /** Where replays keep their files (null: a temporary folder). */
  dataDir: string | null;
}

/**
 * The analysts of a replay, built on the replay's own desk: the rules analyst, or Claude through
 * the real Agent SDK with the run's ANTHROPIC_BASE_URL at a loopback cassette recorder.
 */
function replayAnalysts(app: AppHandle, options: ReplayAnalystOptions): ReplayContext['analyst'] {
  return async (kind, deps, replayId) => {
    if (kind === 'rules') {
      return {
        analyst: new RulesAnalyst(deps),
        llm: () => ({ requests: 0, recordedUsd: 0, wouldHaveCostUsd: 0, cassette: null, cassetteMisses: 0 }),
        close: async () => {},
      };
    }
    const config = app.deps.config;
    const folder = join(options.dataDir ?? join(tmpdir(), 'cctrader-replays'), 'replays');
    const file = options.cassette ?? join(folder, `${replayId}.cassette.json`);
    if (options.record && !config.ANTHROPIC_API_KEY) {
      throw new AppError('CONFIG', 'Recording a cassette sends model requests to the Anthropic API: ANTHROPIC_API_KEY is not set', {
        hint: 'set ANTHROPIC_API_KEY, or replay an existing cassette without --record',
      });
    }
    if (!options.record && !existsSync(file)) {
      throw new AppError(
        'INVALID_INPUT',
        options.cassette ? `No cassette at ${file}` : 'A Claude replay without --record answers every model request from a cassette: give --cassette FILE',
        {
          hint: 'record one first with --record (real spend, capped by --max-spend), or use --analyst rules',
        },
      );
    }
    const [{ startCassetteRecorder }, { ClaudeReplayAnalyst }] = await Promise.all([import('./replay/cassette.js'), import('./replay/claude-replay.js')]);
    const recorder = await startCassetteRecorder({
      file,
      record: options.record,
      upstream: config.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
      prices: configuredPrices(config),
      log: app.deps.log.child({ component: 'cassette' }),
    });
    const root = join(tmpdir(), 'cctrader-replay-agent', replayId);
    const backend = new ClaudeAgentBackend({
      // Replaying needs no key (the recorder answers), but the `claude` program will not start without one.
      apiKey: config.ANTHROPIC_API_KEY ?? 'replay-from-cassette',
      baseUrl: recorder.url,
      baseEnv: options.baseEnv,
      configDir: join(root, 'config'),
      cwd: join(root, 'workspace'),
      maxRetries: config.CLAUDE_MAX_RETRIES,
      toolTimeoutMs: 120_000,
      defaultTools: ANALYST_TOOLS,
      createMcpServer: ({ tools, binding }) =>
        createMcpServer(deps, {
          tools: tools ? toolRegistry.filter((t) => tools.includes(t.name)) : undefined,
          alwaysLoad: true,
          ...(binding ? { binding } : {}),
        }),
      log: deps.log,
    });
    const analyst = new ClaudeReplayAnalyst({
      inner: new ClaudeAnalyst(deps, backend),
      recorder,
      live: { db: app.deps.db, clock: app.deps.clock, config },
      maxSpendUsd: options.maxSpendUsd,
      replayId,
    });
    return {
      analyst,
      llm: () => {
        const s = recorder.stats();
        return {
          requests: s.requests,
          recordedUsd: Number(s.spentUsd),
          wouldHaveCostUsd: Number(s.wouldHaveCostUsd),
          cassette: file,
          cassetteMisses: analyst.missedAnalyses,
        };
      },
      close: () => recorder.close(),
    };
  };
}
