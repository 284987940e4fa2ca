/**
 * The desk's configuration: one zod schema over the documented variable names (the original
 * system's names are kept). `loadConfig` is pure: sources are passed in and merged, later wins:
 * defaults < `.env` file < environment < command-line flags. Empty strings count as unset.
 */
import { z } from 'zod';
import { AppError } from './errors.js';
import { LOG_LEVELS } from './log.js';

const bool = () => z.stringbool({ truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off'] });
const num = () => z.coerce.number().refine(Number.isFinite, 'must be a finite number');
const positive = () => num().positive();
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = () => z.url({ protocol: /^https?$/ });

/** The groups of MCP tools a server can be limited to (serve --toolsets). */
export const TOOLSET_NAMES = ['market', 'analysis', 'sentiment', 'trading', 'usage'] as const;
export type ToolsetName = (typeof TOOLSET_NAMES)[number];

/** Every setting: name, schema with default, and the line the README and `cctrader config` show. */
export const configSchema = z.object({
  // Exchange and market data
  EXCHANGE_ID: z
    .string()
    .regex(/^[a-z0-9]+$/, 'must be a ccxt exchange id like bybit')
    .default('bybit')
    .describe('ccxt exchange id'),
  EXCHANGE_BASE_URL: url().optional().describe('send every REST call of the exchange client to this host (simulator, proxy, recorder)'),
  MARKET_TYPE: z.enum(['swap', 'spot']).default('swap').describe('swap = USDT perpetuals, spot = spot pairs'),
  BYBIT_API_KEY: z.string().optional().describe('exchange API key (optional; market data is public)'),
  BYBIT_API_SECRET: z.string().optional().describe('exchange API secret'),
  BYBIT_TESTNET: bool().default(false).describe('use the exchange testnet'),
  EXCHANGE_TIMEOUT_MS: int(100, 120_000).default(10_000).describe('timeout of one exchange request, ms'),
  EXCHANGE_RETRIES: int(0, 10).default(3).describe('retries of a retryable exchange fault (429, 5xx, timeout)'),
  EXCHANGE_RATE_LIMIT: bool()
    .default(true)
    .describe("client-side request limiting: the request budget (Bybit), ccxt's throttle (other exchanges); false = none at all"),
  EXCHANGE_REQUESTS_PER_5S: int(1, 600)
    .default(480)
    .describe("the desk's request budget for Bybit, market requests per 5 s shared by every call of the process (80% of Bybit's 600 per IP)"),
  TICKER_TTL_MS: int(0, 60_000).default(2_000).describe('how long a fetched ticker is reused, ms'),
  DEFAULT_SYMBOL: z.string().min(1).default('BTC/USDT').describe('symbol used when a command is given none'),

  // Storage, logging, transport
  DB_PATH: z.string().min(1).optional().describe('SQLite file (default: per-user data directory)'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe('stderr log level'),
  CCTRADER_HTTP_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('bearer token required by the HTTP transport (required to bind a non-loopback host)'),
  CCTRADER_HTTP_ALLOWED_HOSTS: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]_-]+(,\s*[A-Za-z0-9.:[\]_-]+)*$/, 'must be comma-separated host names or IPs, each with or without :port')
    .optional()
    .describe('host names or IPs (comma-separated, with or without :port) whose Host header the HTTP transport serves besides loopback'),
  CCTRADER_HTTP_ALLOWED_ORIGINS: z
    .string()
    .regex(/^https?:\/\/[^\s,]+(,\s*https?:\/\/[^\s,]+)*$/, 'must be comma-separated origins like https://app.example.com')
    .optional()
    .describe('browser origins (comma-separated) the HTTP transport accepts besides its own'),

  CCTRADER_READ_ONLY: bool().default(false).describe('serve only the read-only tools (no submit_trading_signal, no close_position); same as serve --read-only'),
  CCTRADER_TOOLSETS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((x) => x.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(TOOLSET_NAMES)).min(1, `must name at least one of ${TOOLSET_NAMES.join(', ')}`))
    .optional()
    .describe(`the tool groups the MCP server serves, comma-separated: ${TOOLSET_NAMES.join(', ')} (default all); same as serve --toolsets`),

  // Agent runner (original names)
  ANTHROPIC_API_KEY: z.string().optional().describe('enables the Claude analyst'),
  ANTHROPIC_BASE_URL: url().optional().describe('Anthropic API base URL'),
  CLAUDE_MODEL: z.string().min(1).default('claude-sonnet-4-5').describe('model of the Claude analyst'),
  MAX_TURNS: int(1, 200).default(20).describe('agent turns per analysis'),
  MAX_BUDGET_USD: positive().default(1.0).describe('spend cap per analysis, USD'),
  AGENT_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      "the Claude analyst's own folder: session transcripts (daily sessions resume from here) and its working directory; never your ~/.claude (default: agent/ next to DB_PATH)",
    ),
  CLAUDE_MAX_RETRIES: int(0, 10).default(2).describe('retries of a failed Anthropic request (429, 5xx, connection) within one analysis'),
  ANALYSIS_INTERVAL: int(10, 86_400).default(300).describe('seconds between monitor/scan cycles'),

  // Market-movers scanner and its spend caps (scan-movers, monitor, analyze, scan_market_movers)
  MOVERS_THRESHOLD_PCT: num().gt(0).max(1000).default(5).describe('a mover has moved at least this % in 24h, either direction'),
  MAX_MOVERS: int(1, 100).default(20).describe('movers analysed per cycle: the top N by the size of their 24h move'),
  MIN_TURNOVER_USD: num().min(0).default(10_000_000).describe('markets with less 24h turnover (USDT) are not scanned'),
  SCAN_CONCURRENCY: int(1, 16).default(4).describe('movers analysed at the same time in a cycle'),
  ANALYST: z
    .enum(['auto', 'claude', 'rules'])
    .default('auto')
    .describe('who analyses: claude (needs ANTHROPIC_API_KEY), rules (deterministic, free), auto = claude when the key is set, else rules'),
  CYCLE_BUDGET_USD: positive().default(5).describe('LLM spend cap of one scan cycle, USD (all providers); no analysis starts once it is reached'),
  DAILY_BUDGET_USD: positive()
    .default(20)
    .describe('LLM spend cap per UTC day, USD (all providers, every process on this database); analyses pause until 00:00 UTC once it is reached'),

  // Token accounting (original names): recording, rate-limit windows, prices (token-stats, token-limits, fetch-limits, get_token_report)
  TOKEN_TRACKING_ENABLED: bool()
    .default(true)
    .describe(
      'record every LLM request (tokens, cost, session, rate windows); false records nothing, and analyses that spend are then refused (the spend caps cannot see spend)',
    ),
  CLAUDE_HOURLY_LIMIT: int(1, 10_000_000)
    .default(500)
    .describe('Claude model requests per hourly window (a window opens with the first request and lasts one hour); no analysis starts past it'),
  CLAUDE_DAILY_LIMIT: int(1, 100_000_000)
    .default(5000)
    .describe('Claude model requests per daily window (opens with the first request, lasts 24 hours); no analysis starts past it'),
  CLAUDE_COST_PER_1M_INPUT: num().min(0).default(3).describe('Claude price per million input tokens, USD (our cost estimate)'),
  CLAUDE_COST_PER_1M_OUTPUT: num().min(0).default(15).describe('Claude price per million output tokens, USD (our cost estimate)'),
  CLAUDE_COST_PER_1M_CACHE_READ: num().min(0).default(0.3).describe('Claude price per million prompt-cache read tokens, USD (our cost estimate)'),
  CLAUDE_COST_PER_1M_CACHE_WRITE: num().min(0).default(3.75).describe('Claude price per million prompt-cache write tokens, USD (our cost estimate)'),
  TOKEN_WARNING_THRESHOLD: int(1, 100).default(50).describe('% of a request window: the runner warns from here (yellow)'),
  TOKEN_CRITICAL_THRESHOLD: int(1, 100).default(80).describe('% of a request window: the runner waits for the window to reset from here (red)'),
  TOKEN_HISTORY_DAYS: int(1, 3650)
    .default(90)
    .describe('token_usage, token_sessions and rate_limit_tracking rows older than this many days are purged (runner start-up, then daily)'),
  RATE_LIMITS_URL: url().default('https://docs.anthropic.com/en/api/rate-limits').describe('page fetch-limits reads the published rate limits from'),

  // Replay (cctrader replay, history fetch, get_replay_report)
  REPLAY_SPREAD_BPS: num()
    .min(0)
    .max(1000)
    .default(2)
    .describe('bid-ask spread of the quotes a replay derives from 1-minute candles, basis points around the last price'),
  REPLAY_UNIVERSE: int(1, 200)
    .default(20)
    .describe('symbols a replay covers when --symbols is not given: the most traded perpetuals now (BTC always among them)'),
  CLAUDE_TRAINING_CUTOFF: z.iso
    .date()
    .optional()
    .describe(
      "the Claude model's training-data cutoff (YYYY-MM-DD); a replay window before it is flagged (default: known for claude-sonnet-4-5 and other listed models)",
    ),

  // Signal outcomes and the scorecard (scorecard, get_signal_scorecard)
  OUTCOME_HORIZON_HOURS: int(1, 720)
    .default(72)
    .describe('a signal whose stop and target are both untouched this many hours after it was made is scored as expired, at the close then'),

  // Sentiment (fetch_sentiment_data)
  PERPLEXITY_API_KEY: z.string().optional().describe('enables the Perplexity news source of fetch_sentiment_data'),
  PERPLEXITY_BASE_URL: url().default('https://api.perplexity.ai').describe('Perplexity API base URL'),
  PERPLEXITY_MODEL: z.string().min(1).default('sonar').describe('Perplexity model (sonar, sonar-pro)'),
  PERPLEXITY_TIMEOUT_MS: int(100, 120_000).default(20_000).describe('timeout of one Perplexity request, ms'),
  PERPLEXITY_MAX_RETRIES: int(0, 3)
    .default(1)
    .describe('retries of a Perplexity 429/5xx/connection fault (never of a timeout; a Retry-After over 10 s is not waited for)'),
  PERPLEXITY_INPUT_USD_PER_MTOK: num().min(0).default(1).describe('Perplexity price per million input tokens, USD (for usage reports)'),
  PERPLEXITY_OUTPUT_USD_PER_MTOK: num().min(0).default(1).describe('Perplexity price per million output tokens, USD (for usage reports)'),
  PERPLEXITY_REQUEST_USD: num().min(0).default(0.005).describe('Perplexity search fee per request, USD (for usage reports)'),
  SENTIMENT_CACHE_MINUTES: int(0, 1440).default(15).describe('how long a news or Fear & Greed answer is reused, minutes (0 = never)'),
  FEAR_GREED_ENABLED: bool().default(false).describe('add the Crypto Fear & Greed index (alternative.me) to fetch_sentiment_data'),
  FEAR_GREED_URL: url().default('https://api.alternative.me/fng/').describe('Fear & Greed index URL'),

  // Paper trading: signals, fills, risk (submit_trading_signal and the portfolio tools)
  MIN_CONFIDENCE: int(0, 100).default(60).describe('signals below this confidence (0-100) are recorded and not traded'),
  MIN_RISK_REWARD: num().min(0).max(100).default(1.5).describe('least reward-to-risk (target distance / stop distance, from the live price) a signal needs'),
  MAX_ENTRY_DEVIATION_PCT: num().gt(0).max(100).default(1).describe('most a signal entry_price may differ from the live price, %'),
  MIN_STOP_ATR: num().min(0).max(100).default(0.5).describe('stop distance below this many ATR(14, 1h) is rejected as too tight (0 = off)'),
  MAX_STOP_ATR: num().min(0).max(1000).default(6).describe('stop distance above this many ATR(14, 1h) is rejected as too wide (0 = off)'),
  PAPER_STARTING_BALANCE: num().positive().max(1e9).default(10_000).describe('starting balance of a new paper portfolio, USDT'),
  FILL_MODE: z
    .enum(['realistic', 'instant'])
    .default('realistic')
    .describe('realistic = walk the order book (VWAP, slippage cap); instant = buy at the ask, sell at the bid'),
  TAKER_FEE_RATE: num().min(0).max(0.01).default(0.00055).describe('taker fee on the notional of every fill, as a fraction (Bybit linear: 0.00055)'),
  MAX_SLIPPAGE_PCT: num()
    .gt(0)
    .max(50)
    .default(0.5)
    .describe('entries take book levels only up to this % from the best price (the size is cut to what fills there)'),
  RISK_PER_TRADE_PCT: num().gt(0).max(100).default(1).describe('equity risked per trade if the stop is hit (fees included), %'),
  MAX_POSITION_SIZE_PCT: num().gt(0).max(10_000).default(20).describe('largest notional of one position, % of equity'),
  MAX_TOTAL_EXPOSURE_PCT: num().gt(0).max(10_000).default(100).describe('largest notional of all open positions together, % of equity'),
  MAX_OPEN_POSITIONS: int(1, 1000).default(5).describe('most open positions per portfolio'),
  DAILY_LOSS_LIMIT_PCT: num()
    .gt(0)
    .max(100)
    .default(5)
    .describe('no new entries for the rest of the UTC day once realized P&L today is below -this % of the day-start balance'),
  COOLDOWN_MINUTES: int(0, 10_080).default(60).describe('no new entry on a symbol for this long after a stop-out on it, minutes'),
  LEVERAGE: num().min(1).max(125).default(1).describe('leverage of new perpetual positions (margin = notional / leverage); spot is always 1'),
  MAX_LEVERAGE: num().min(1).max(125).default(10).describe('upper bound for LEVERAGE'),
  MAINTENANCE_MARGIN_PCT: num().min(0).max(50).default(0.5).describe('maintenance margin rate for liquidation prices (isolated margin), %'),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigKey = keyof Config;

/** Settings whose values never leave the process: redacted in `cctrader config`, logs and errors. */
export const SECRET_KEYS: readonly ConfigKey[] = ['BYBIT_API_KEY', 'BYBIT_API_SECRET', 'ANTHROPIC_API_KEY', 'CCTRADER_HTTP_TOKEN', 'PERPLEXITY_API_KEY'];

export interface ConfigSources {
  /** Parsed `.env` of the working directory, if any. */
  file?: Record<string, string | undefined>;
  env?: Record<string, string | undefined>;
  /** Command-line flags already mapped to setting names. */
  flags?: Record<string, string | undefined>;
  /** Computed defaults that depend on the machine (the per-user data directory). */
  defaults?: { dbPath?: string };
}

export function loadConfig(sources: ConfigSources): Config {
  const keys = Object.keys(configSchema.shape) as ConfigKey[];
  const merged: Record<string, string> = {};
  for (const source of [sources.file, sources.env, sources.flags]) {
    if (!source) continue;
    for (const key of keys) {
      const value = source[key];
      if (typeof value === 'string' && value.trim() !== '') merged[key] = value.trim();
    }
  }
  if (merged.DB_PATH === undefined && sources.defaults?.dbPath) merged.DB_PATH = sources.defaults.dbPath;
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const shown = SECRET_KEYS.includes(key as ConfigKey) ? '' : ` (got ${JSON.stringify(merged[key] ?? '')})`;
      return `${key}: ${issue.message}${shown}`;
    });
    throw new AppError('CONFIG', `Invalid configuration: ${problems.join('; ')}`, {
      hint: 'fix the variable in the environment, .env or the command line; `cctrader config` shows the effective values',
    });
  }
  const conflicts = crossCheck(parsed.data);
  if (conflicts.length > 0) {
    throw new AppError('CONFIG', `Invalid configuration: ${conflicts.join('; ')}`, {
      hint: 'change one of the two variables in the environment, .env or the command line; `cctrader config` shows the effective values',
    });
  }
  return parsed.data;
}

/**
 * Settings that are valid one by one but contradict each other, checked together at start-up (for
 * every command), so that a run never stops half-way on them. Each problem names both variables.
 */
export function crossCheck(c: Config): string[] {
  const problems: string[] = [];
  if (c.LEVERAGE > c.MAX_LEVERAGE) problems.push(`LEVERAGE (${c.LEVERAGE}) is above MAX_LEVERAGE (${c.MAX_LEVERAGE})`);
  if (c.TOKEN_WARNING_THRESHOLD >= c.TOKEN_CRITICAL_THRESHOLD) {
    problems.push(`TOKEN_WARNING_THRESHOLD (${c.TOKEN_WARNING_THRESHOLD}) must be below TOKEN_CRITICAL_THRESHOLD (${c.TOKEN_CRITICAL_THRESHOLD})`);
  }
  if (c.MIN_STOP_ATR > 0 && c.MAX_STOP_ATR > 0 && c.MIN_STOP_ATR > c.MAX_STOP_ATR) {
    problems.push(`MIN_STOP_ATR (${c.MIN_STOP_ATR}) is above MAX_STOP_ATR (${c.MAX_STOP_ATR}): every stop would be rejected`);
  }
  if (c.CLAUDE_HOURLY_LIMIT > c.CLAUDE_DAILY_LIMIT)
    problems.push(`CLAUDE_HOURLY_LIMIT (${c.CLAUDE_HOURLY_LIMIT}) is above CLAUDE_DAILY_LIMIT (${c.CLAUDE_DAILY_LIMIT})`);
  if (c.MAX_POSITION_SIZE_PCT > c.MAX_TOTAL_EXPOSURE_PCT) {
    problems.push(`MAX_POSITION_SIZE_PCT (${c.MAX_POSITION_SIZE_PCT}) is above MAX_TOTAL_EXPOSURE_PCT (${c.MAX_TOTAL_EXPOSURE_PCT})`);
  }
  if (c.CYCLE_BUDGET_USD > c.DAILY_BUDGET_USD) problems.push(`CYCLE_BUDGET_USD (${c.CYCLE_BUDGET_USD}) is above DAILY_BUDGET_USD (${c.DAILY_BUDGET_USD})`);
  return problems;
}

/** The configuration as it may be shown: secrets replaced by `set`/unset markers. */
export function redactConfig(config: Config): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const key of Object.keys(configSchema.shape) as ConfigKey[]) {
    const value = config[key];
    if (SECRET_KEYS.includes(key)) out[key] = value === undefined ? null : '[set, redacted]';
    else out[key] = value === undefined ? null : (value as string | number | boolean);
  }
  return out;
}

export function secretValues(config: Config): string[] {
  return SECRET_KEYS.map((k) => config[k]).filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/** Description of each setting, for help text and the README check. */
export function describeSettings(): Array<{ name: ConfigKey; description: string; secret: boolean }> {
  return (Object.keys(configSchema.shape) as ConfigKey[]).map((name) => ({
    name,
    description: configSchema.shape[name].description ?? '',
    secret: SECRET_KEYS.includes(name),
  }));
}
