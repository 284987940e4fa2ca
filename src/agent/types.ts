/**
 * The agent port: one unattended analysis run of a model that calls the cctrader tools.
 * `ClaudeAgentBackend` (the Claude Agent SDK) implements it; the scanner and the CLI use only this.
 */
import type { ErrorCode } from '../errors.js';
import type { AgentMessageUsage, AgentModelUsage, AgentTokenUsage, UsageAttribution } from '../usage/run-usage.js';

export type { AgentMessageUsage, AgentModelUsage, AgentTokenUsage };
import type { RunBinding } from '../signals/binding.js';

/** Which part of the desk asked for the run, for session keys and spend attribution. */
export type AgentOperation = 'scanner' | 'analysis' | 'monitor';

/** The prefix the SDK gives our tools: the model calls `mcp__cctrader__get_current_price`. */
export const CCTRADER_TOOL_PREFIX = 'mcp__cctrader__';

/** The tools an unattended analysis needs: evidence, the live quote, and the one way to act. No
 * portfolio-changing tool besides submit_trading_signal (its fixed risk rules decide). */
export const ANALYST_TOOLS: readonly string[] = [
  'fetch_technical_snapshot',
  'fetch_sentiment_data',
  'get_current_price',
  'fetch_market_data',
  'get_portfolio_status',
  'submit_trading_signal',
];

/**
 * Which conversation the run belongs to.
 * - `new`: a fresh conversation; `sessionId` (a UUID) chooses its id, otherwise the backend makes one.
 * - `resume`: continue an earlier conversation; the model is sent its earlier turns.
 * A backend lands the run in the requested session either way: asked for `new` with an id whose
 * transcript already exists it resumes it, asked to resume one whose transcript is missing it
 * starts it fresh under that id. `AgentRunResult.resumed` says which happened.
 */
export type AgentSessionRequest = { mode: 'new'; sessionId?: string } | { mode: 'resume'; sessionId: string };

export interface AgentAttribution extends UsageAttribution {
  operation: AgentOperation;
  symbol?: string;
  cycleId?: string;
}

export interface AgentRunRequest {
  /** The task (a rendered prompt template). */
  prompt: string;
  /** The analyst's standing instructions (prompts/system.md). */
  systemPrompt: string;
  session: AgentSessionRequest;
  /** Model turns before the run is stopped (one turn = one model request). */
  maxTurns: number;
  /** Spend cap of this run, USD, as the SDK prices it. */
  maxBudgetUsd: number;
  /** Model id, e.g. claude-sonnet-4-5. */
  model: string;
  /** Aborting stops the run; the result then has errorCode ABORTED. */
  signal?: AbortSignal;
  /** The cctrader tools the model may see and call (bare names, e.g. `get_current_price`); the
   * backend's default set when absent. */
  tools?: readonly string[];
  attribution: AgentAttribution;
  /** The run's portfolio, signal_id and coin, bound on its tools whatever the model passes. */
  binding?: RunBinding;
}

/**
 * Why a run failed, in our words: an `ErrorCode`, or MAX_TURNS (the turn cap) or ABORTED (stopped).
 */
export type AgentErrorCode =
  | Extract<
      ErrorCode,
      | 'AUTH'
      | 'BUDGET_EXCEEDED'
      | 'RATE_LIMITED'
      | 'UPSTREAM_UNAVAILABLE'
      | 'TIMEOUT'
      | 'INVALID_INPUT'
      | 'CONFIG'
      | 'NOT_FOUND'
      | 'CONFLICT'
      | 'BAD_RESPONSE'
      | 'INTERNAL'
    >
  | 'MAX_TURNS'
  | 'ABORTED';

export interface AgentToolCall {
  /** tool_use id. */
  id: string;
  /** As the model called it, e.g. `mcp__cctrader__submit_trading_signal`. */
  name: string;
  input: unknown;
  /** Whether the tool answered with an error; null when no result came back (run stopped first). */
  isError: boolean | null;
  /** The tool's text answer, cut to 4000 characters; null when no result came back. */
  resultText: string | null;
}

export interface AgentRunResult {
  /** The session the run used (a UUID). */
  sessionId: string;
  /** True when the run continued an existing conversation. */
  resumed: boolean;
  isError: boolean;
  errorCode: AgentErrorCode | null;
  /** One short sentence of ours; never upstream text. */
  errorMessage: string | null;
  /** The model's final text ('' when it wrote none). */
  text: string;
  numTurns: number;
  durationMs: number;
  /** Every tool call, in order. */
  toolCalls: AgentToolCall[];
  /** Tokens of this run (exact, from the SDK's result). */
  usage: AgentTokenUsage;
  /** Per model, as the SDK reports it: cumulative over a resumed session. */
  modelUsage: Record<string, AgentModelUsage>;
  /** The SDK's total_cost_usd: cumulative over a resumed session. */
  totalCostUsd: number;
  /** Cost of this run alone; null when the SDK did not say (then diff totalCostUsd yourself). */
  runCostUsd: number | null;
  /** Per assistant message id, for attribution. */
  messageUsage: AgentMessageUsage[];
  /** False when no result message arrived (aborted, crashed): usage and cost are then incomplete. */
  usageExact: boolean;
}

export interface AgentBackend {
  /** Short name for logs and reports, e.g. `claude`. */
  readonly name: string;
  /** Never throws for a failed run: the failure is in the result. */
  run(request: AgentRunRequest): Promise<AgentRunResult>;
}

/** The cctrader tool calls of a run with the prefix removed, e.g. `submit_trading_signal`. */
export function cctraderToolCalls(result: AgentRunResult): Array<AgentToolCall & { tool: string }> {
  return result.toolCalls.filter((c) => c.name.startsWith(CCTRADER_TOOL_PREFIX)).map((c) => ({ ...c, tool: c.name.slice(CCTRADER_TOOL_PREFIX.length) }));
}
