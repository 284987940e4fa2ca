/** Row types of every table, as Kysely sees them. Decimal strings for money and quantities,
 * epoch milliseconds for times. Keep in step with db/migrations. */
import type { ColumnType, Generated } from 'kysely';

export interface AgentSessionsTable {
  operation_type: string;
  session_id: string;
  created_at: number;
  last_used_at: number;
  metadata: string | null;
}

export interface PaperPortfoliosTable {
  id: Generated<number>;
  name: string;
  starting_balance: string;
  cash: string;
  created_at: number;
  updated_at: number;
}

export interface MoversSignalsTable {
  id: Generated<number>;
  created_at: number;
  symbol: string;
  direction: 'long' | 'short';
  confidence: number;
  entry_price: string;
  stop_loss: string;
  take_profit: string;
  analysis: Generated<string>;
  /** 0002: the client's idempotency key (unique). */
  signal_id: string | null;
  portfolio_id: number | null;
  /** 0002: recorded (below MIN_CONFIDENCE), rejected, executed, failed (market error; may be retried). */
  status: Generated<'recorded' | 'rejected' | 'executed' | 'failed'>;
  /** 0002: rejection code, or the first clamp code of an executed signal. */
  reason_code: string | null;
  reason: string | null;
  /** 0002: JSON of the decision: the numbers behind it and every clamp. */
  decision: string | null;
  position_id: number | null;
  timeframe: string | null;
  technical_score: number | null;
  sentiment_score: number | null;
}

export interface PaperPositionsTable {
  id: Generated<number>;
  portfolio_id: number;
  symbol: string;
  direction: 'long' | 'short';
  entry_price: string;
  quantity: string;
  stop_loss: string | null;
  take_profit: string | null;
  status: 'open' | 'closed';
  opened_at: number;
  closed_at: number | null;
  /** 0002 columns. entry_price is the fill VWAP; entry_notional = sum of price × quantity of the fill. */
  signal_id: number | null;
  leverage: Generated<string>;
  /** Margin held (cash moved out of `cash` while open); funding may draw it down. */
  margin: Generated<string>;
  entry_notional: Generated<string>;
  entry_fee: Generated<string>;
  liquidation_price: string | null;
  /** Candles up to this time have been checked against the stop and target. */
  last_evaluated_at: number | null;
  exit_price: string | null;
  exit_reason: 'stop_loss' | 'take_profit' | 'manual' | 'liquidation' | 'reset' | null;
  /** Net realized P&L of the position (fees and funding included) = sum of its trades' pnl. */
  realized_pnl: string | null;
  /** realized_pnl in 1e-8 USDT. */
  realized_units: ColumnType<number | null, number | bigint | null | undefined, number | bigint | null>;
  funding_paid: Generated<string>;
  /** 0007: the last known mark (decimal string) and when it was taken (epoch ms). */
  mark_price: string | null;
  mark_at: number | null;
}

export interface PaperTradesTable {
  id: Generated<number>;
  portfolio_id: number;
  position_id: number | null;
  symbol: string;
  trade_type: string;
  price: string;
  quantity: string;
  fee: Generated<string>;
  pnl: Generated<string>;
  created_at: number;
  /** 0002: price × quantity of the fill, exact. */
  notional: Generated<string>;
  /** 0002: pnl and fee in 1e-8 USDT, for exact SQL aggregation. */
  pnl_units: ColumnType<number, number | bigint | undefined, number | bigint>;
  fee_units: ColumnType<number, number | bigint | undefined, number | bigint>;
}

/** 0002: per portfolio, UTC day and symbol, the sums of the trade log and of the round trips closed that day. */
export interface PaperPnlDailyTable {
  portfolio_id: number;
  day: number;
  symbol: string;
  pnl_units: ColumnType<number, number | bigint | undefined, number | bigint>;
  fee_units: ColumnType<number, number | bigint | undefined, number | bigint>;
  funding_units: ColumnType<number, number | bigint | undefined, number | bigint>;
  closed: Generated<number>;
  wins: Generated<number>;
  losses: Generated<number>;
  win_units: ColumnType<number, number | bigint | undefined, number | bigint>;
  loss_units: ColumnType<number, number | bigint | undefined, number | bigint>;
}

/** 0002: per portfolio and UTC day, the realized balance path: open/high/low/close and the
 * deepest fall from the day's running peak (absolute and %). */
export interface PaperBalanceDailyTable {
  portfolio_id: number;
  day: number;
  open: string;
  high: string;
  low: string;
  close: string;
  drawdown: string;
  drawdown_pct: number;
}

/** 0002: the desk-wide halt switch (one row, id 1). */
export interface TradingHaltTable {
  id: number;
  halted: Generated<number>;
  reason: string | null;
  updated_at: number;
}

export interface TokenUsageTable {
  id: Generated<number>;
  session_id: string | null;
  operation_type: string;
  model: string | null;
  tokens_input: Generated<number>;
  tokens_output: Generated<number>;
  cost_usd: Generated<string>;
  created_at: number;
  /** 0003: who was paid: 'anthropic' (default, the original rows) or 'perplexity'. */
  provider: Generated<string>;
  /** 0003: prompt-cache tokens read and written (Anthropic). */
  cache_read_tokens: Generated<number>;
  cache_write_tokens: Generated<number>;
  /** 0003: the symbol the call was about, when there was one. */
  symbol: string | null;
  /** 0003: the provider's message or response id; unique per provider when set. */
  message_id: string | null;
  /** 0006: model requests the row stands for (1 per message row; 0 for a share the SDK reported without a message). */
  request_count: Generated<number>;
  /** 0006: our estimate from the configured prices (decimal string). */
  estimated_cost_usd: Generated<string>;
  /** 0006: the SDK's cost of this row (decimal string); null when the SDK reported none. cost_usd = this ?? the estimate. */
  sdk_cost_usd: string | null;
  /** 0006: the agent run (one query) the row belongs to; the scan cycle, signal_id and movers_signals row it served. */
  run_id: string | null;
  cycle_id: string | null;
  signal_id: string | null;
  signal_row_id: number | null;
}

export interface TokenSessionsTable {
  session_id: string;
  operation_type: string;
  started_at: number;
  last_activity_at: number;
  request_count: Generated<number>;
  tokens_input: Generated<number>;
  tokens_output: Generated<number>;
  cost_usd: Generated<string>;
  /** 0006 columns. */
  cache_read_tokens: Generated<number>;
  cache_write_tokens: Generated<number>;
  estimated_cost_usd: Generated<string>;
  /** Agent runs recorded in the session. */
  runs: Generated<number>;
}

export interface RateLimitTrackingTable {
  id: Generated<number>;
  window_type: 'hourly' | 'daily';
  window_start: number;
  request_count: Generated<number>;
  token_count: Generated<number>;
}

/** 0004: one market-movers scan cycle and its metrics (filled in when it ends). */
export interface ScanCyclesTable {
  id: string;
  started_at: number;
  /** Renewed while the cycle runs; a `running` cycle with an old heartbeat was interrupted. */
  heartbeat_at: number;
  finished_at: number | null;
  status: 'running' | 'completed' | 'stopped' | 'failed';
  analyst: string;
  daily: Generated<number>;
  portfolio: string;
  /** JSON: thresholdPct, maxMovers, minTurnoverUsd, concurrency, and from the scan tradable and held [{ symbol, reason }]. */
  params: Generated<string>;
  scanned: Generated<number>;
  movers_found: Generated<number>;
  /** Movers left out because the portfolio holds them or they are in cooldown. */
  movers_held: Generated<number>;
  analysed: Generated<number>;
  signals: Generated<number>;
  executed: Generated<number>;
  rejected: Generated<number>;
  recorded: Generated<number>;
  no_signal: Generated<number>;
  errors: Generated<number>;
  skipped: Generated<number>;
  /** JSON { code: count }. */
  rejected_by_code: Generated<string>;
  errors_by_code: Generated<string>;
  positions_closed: Generated<number>;
  duration_ms: number | null;
  tokens_input: Generated<number>;
  tokens_output: Generated<number>;
  cache_read_tokens: Generated<number>;
  cache_write_tokens: Generated<number>;
  cost_usd: Generated<string>;
  /** Why the cycle stopped starting analyses (BUDGET_EXCEEDED, HALTED, STOPPED, ...). */
  stop_code: string | null;
  stop_reason: string | null;
}

/** 0004: one mover a cycle took on, and what became of it. */
export interface ScanCycleMoversTable {
  id: Generated<number>;
  cycle_id: string;
  symbol: string;
  rank: number;
  change_24h_pct: number;
  last_price: number;
  turnover_24h_usd: number;
  outcome: 'pending' | 'executed' | 'rejected' | 'recorded' | 'no_signal' | 'error' | 'skipped';
  /** Rejection code, error code or skip code. */
  code: string | null;
  reason: string | null;
  analyst: string;
  /** The deterministic signal_id of this cycle and symbol. */
  signal_id: string;
  signal_row_id: number | null;
  direction: 'long' | 'short' | null;
  confidence: number | null;
  replayed: Generated<number>;
  session_id: string | null;
  turns: number | null;
  tokens_input: Generated<number>;
  tokens_output: Generated<number>;
  cache_read_tokens: Generated<number>;
  cache_write_tokens: Generated<number>;
  cost_usd: Generated<string>;
  duration_ms: number | null;
  started_at: number | null;
  finished_at: number | null;
}

/** 0005: what the market did after a signal (src/outcomes). Pending rows hold the progress;
 * decided rows are final. R multiples are measured from the signal's own entry and stop. */
export interface SignalOutcomesTable {
  signal_row_id: number;
  status: 'pending' | 'take_profit' | 'stop_loss' | 'expired' | 'invalid' | 'no_data';
  /** Candles opening before this time (signal time + OUTCOME_HORIZON_HOURS) count. */
  horizon_end: number;
  /** Candles up to this time (exclusive) have been read. */
  evaluated_until: number | null;
  /** Timeframe of the last read (1m normally; coarser after a long gap). */
  timeframe: string | null;
  /** Best and worst price reached so far (decimal strings), and the last close read. */
  best_price: string | null;
  worst_price: string | null;
  last_close: string | null;
  mfe_r: Generated<number>;
  mae_r: Generated<number>;
  result_r: number | null;
  exit_price: string | null;
  gap: Generated<number>;
  decided_at: number | null;
  time_to_hit_ms: number | null;
  candles_read: Generated<number>;
  updated_at: number;
}

/** 0006: the rate limits last read from the published documentation (`fetch-limits`). */
export interface PublishedRateLimitsTable {
  id: Generated<number>;
  fetched_at: number;
  source_url: string;
  tier: string | null;
  model: string;
  requests_per_minute: number | null;
  input_tokens_per_minute: number | null;
  output_tokens_per_minute: number | null;
  /** When the table gives one tokens-per-minute figure instead of input and output. */
  tokens_per_minute: number | null;
}

export interface HistoryCandlesTable {
  symbol: string;
  timeframe: string;
  /** Open time, epoch ms. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface HistoryFundingTable {
  symbol: string;
  /** Settlement time, epoch ms. */
  time: number;
  rate: number;
}

export interface HistoryOpenInterestTable {
  symbol: string;
  time: number;
  amount: number;
  value: number | null;
}

export interface HistoryLongShortTable {
  symbol: string;
  time: number;
  long_share: number;
}

export interface HistoryCoverageTable {
  symbol: string;
  /** `candles:<timeframe>`, `funding`, `open_interest` or `long_short`. */
  kind: string;
  from_ms: number;
  to_ms: number;
}

export interface HistoryMarketsTable {
  symbol: string;
  /** JSON of the MarketInfo. */
  info: string;
  fetched_at: number;
}

export interface ReplayRunsTable {
  id: string;
  created_at: number;
  finished_at: number | null;
  status: 'running' | 'completed' | 'failed' | 'stopped';
  analyst: string;
  from_ms: number;
  to_ms: number;
  /** JSON of the replay's parameters. */
  params: string;
  /** The replay's own database file (':memory:' when the desk runs in memory). */
  db_path: string;
  /** JSON of the report, once finished. */
  report: string | null;
  error: string | null;
}

export interface DB {
  agent_sessions: AgentSessionsTable;
  paper_portfolios: PaperPortfoliosTable;
  movers_signals: MoversSignalsTable;
  paper_positions: PaperPositionsTable;
  paper_trades: PaperTradesTable;
  trading_halt: TradingHaltTable;
  paper_pnl_daily: PaperPnlDailyTable;
  paper_balance_daily: PaperBalanceDailyTable;
  token_usage: TokenUsageTable;
  token_sessions: TokenSessionsTable;
  rate_limit_tracking: RateLimitTrackingTable;
  published_rate_limits: PublishedRateLimitsTable;
  scan_cycles: ScanCyclesTable;
  scan_cycle_movers: ScanCycleMoversTable;
  signal_outcomes: SignalOutcomesTable;
  history_candles: HistoryCandlesTable;
  history_funding: HistoryFundingTable;
  history_open_interest: HistoryOpenInterestTable;
  history_long_short: HistoryLongShortTable;
  history_coverage: HistoryCoverageTable;
  history_markets: HistoryMarketsTable;
  replay_runs: ReplayRunsTable;
}
