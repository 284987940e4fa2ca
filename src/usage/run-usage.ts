/**
 * What the token ledger needs to know of one agent run: its input types, owned here so that the
 * ledger depends on no analyst. The agent port's result (agent/types.ts) carries these fields.
 */

/** Token counts as the Claude Agent SDK reports them. */
export interface AgentTokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
}

export interface AgentModelUsage extends AgentTokenUsage {
  costUsd: number;
}

/** Usage as one assistant message reported it (each message id once). Stream-opening figures:
 * output tokens are usually understated. For attributing a run's exact total, not for summing. */
export interface AgentMessageUsage extends AgentTokenUsage {
  messageId: string;
  model: string;
}

/** Which part of the desk asked for the run, for session keys and spend attribution. */
export interface UsageAttribution {
  operation: string;
  symbol?: string;
  cycleId?: string;
}

/** The fields of a finished run the ledger records. */
export interface RunUsage {
  sessionId: string;
  resumed: boolean;
  /** Tokens of this run (exact, from the SDK's result). */
  usage: AgentTokenUsage;
  /** Per model, as the SDK reports it: cumulative over a resumed session. */
  modelUsage: Record<string, AgentModelUsage>;
  /** Cost of this run alone; null when the SDK did not say. */
  runCostUsd: number | null;
  messageUsage: AgentMessageUsage[];
  /** False when no result message arrived: usage and cost are then incomplete. */
  usageExact: boolean;
}
