/** Row types of every table, as Kysely sees them. Decimal strings for money and quantities,
 * epoch milliseconds for times. Keep in step with db/migrations. */
import type { Generated } from 'kysely';

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
}

export interface RateLimitTrackingTable {
  id: Generated<number>;
  window_type: 'hourly' | 'daily';
  window_start: number;
  request_count: Generated<number>;
  token_count: Generated<number>;
}

export interface DB {
  agent_sessions: AgentSessionsTable;
  paper_portfolios: PaperPortfoliosTable;
  movers_signals: MoversSignalsTable;
  paper_positions: PaperPositionsTable;
  paper_trades: PaperTradesTable;
  token_usage: TokenUsageTable;
  token_sessions: TokenSessionsTable;
  rate_limit_tracking: RateLimitTrackingTable;
}
