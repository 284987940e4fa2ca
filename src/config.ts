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
const pct = () => num().min(0).max(100);
const positive = () => num().positive();
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = () => z.url({ protocol: /^https?$/ });

/** Every setting: name, schema with default, and the line the README and `cctrader config` show. */
export const configSchema = z.object({
  // Exchange and market data
  EXCHANGE_ID: z.string().regex(/^[a-z0-9]+$/, 'must be a ccxt exchange id like bybit').default('bybit').describe('ccxt exchange id'),
  EXCHANGE_BASE_URL: url().optional().describe('send every REST call of the exchange client to this host (simulator, proxy, recorder)'),
  MARKET_TYPE: z.enum(['swap', 'spot']).default('swap').describe('swap = USDT perpetuals, spot = spot pairs'),
  BYBIT_API_KEY: z.string().optional().describe('exchange API key (optional; market data is public)'),
  BYBIT_API_SECRET: z.string().optional().describe('exchange API secret'),
  BYBIT_TESTNET: bool().default(false).describe('use the exchange testnet'),
  EXCHANGE_TIMEOUT_MS: int(100, 120_000).default(10_000).describe('timeout of one exchange request, ms'),
  EXCHANGE_RETRIES: int(0, 10).default(3).describe('retries of a retryable exchange fault (429, 5xx, timeout)'),
  EXCHANGE_RATE_LIMIT: bool().default(true).describe("ccxt's built-in request throttle"),
  TICKER_TTL_MS: int(0, 60_000).default(2_000).describe('how long a fetched ticker is reused, ms'),
  DEFAULT_SYMBOL: z.string().min(1).default('BTC/USDT').describe('symbol used when a command is given none'),

  // Storage, logging, transport
  DB_PATH: z.string().min(1).optional().describe('SQLite file (default: per-user data directory)'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe('stderr log level'),
  CCTRADER_HTTP_TOKEN: z.string().min(16, 'must be at least 16 characters').optional().describe('bearer token required by the HTTP transport (required to bind a non-loopback host)'),

  // Agent runner (original names)
  ANTHROPIC_API_KEY: z.string().optional().describe('enables the Claude analyst'),
  ANTHROPIC_BASE_URL: url().optional().describe('Anthropic API base URL'),
  CLAUDE_MODEL: z.string().min(1).default('claude-sonnet-4-5').describe('model of the Claude analyst'),
  MAX_TURNS: int(1, 200).default(20).describe('agent turns per analysis'),
  MAX_BUDGET_USD: positive().default(1.0).describe('spend cap per analysis, USD'),
  ANALYSIS_INTERVAL: int(10, 86_400).default(300).describe('seconds between monitor/scan cycles'),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigKey = keyof Config;

/** Settings whose values never leave the process: redacted in `cctrader config`, logs and errors. */
export const SECRET_KEYS: readonly ConfigKey[] = ['BYBIT_API_KEY', 'BYBIT_API_SECRET', 'ANTHROPIC_API_KEY', 'CCTRADER_HTTP_TOKEN'];

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
  return parsed.data;
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
