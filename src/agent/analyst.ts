/**
 * The analyst port: one analysis of one coin that ends in a signal submitted through the same path
 * as the `submit_trading_signal` tool (risk rules, idempotent signal_id, paper fill), or in a
 * recorded reason why there is none. Two analysts implement it:
 * - `ClaudeAnalyst` (here): a Claude Agent SDK run with the cctrader tools; the model itself calls
 *   `submit_trading_signal`, and the run's tool calls tell what it submitted and what the desk answered;
 * - `RulesAnalyst` (rules-analyst.ts): deterministic rules over the technical snapshot and positioning.
 * `selectAnalystKind` says which one a configuration asks for.
 */
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import { AppError, isAppError } from '../errors.js';
import type { FillReport, SignalOutcome } from '../signals/submit.js';
import { NO_SPEND, recordAgentRunUsage, type RunSpend } from '../usage/agent-run.js';
import { configuredPrices } from '../usage/prices.js';
import { DEFAULT_PORTFOLIO } from '../trading/portfolios.js';
import { analystPrompts } from './prompts.js';
import { getOrCreateDailySession, recordDailySessionRun, utcDay } from './sessions.js';
import { cctraderToolCalls, type AgentBackend, type AgentOperation, type AgentRunResult, type AgentSessionRequest } from './types.js';

export type AnalystKind = 'claude' | 'rules';

/** ANALYST=auto means Claude when ANTHROPIC_API_KEY is set, else the rules analyst. */
export function selectAnalystKind(config: Pick<Config, 'ANALYST' | 'ANTHROPIC_API_KEY'>): AnalystKind {
  if (config.ANALYST === 'claude') {
    if (!config.ANTHROPIC_API_KEY) {
      throw new AppError('CONFIG', 'ANALYST=claude needs ANTHROPIC_API_KEY', {
        hint: 'set ANTHROPIC_API_KEY, or use ANALYST=rules (the deterministic analyst, no key needed)',
      });
    }
    return 'claude';
  }
  if (config.ANALYST === 'rules') return 'rules';
  return config.ANTHROPIC_API_KEY ? 'claude' : 'rules';
}

export interface AnalysisTask {
  /** `mover` (the scanner: a coin that moved strongly) or `symbol` (analyze, monitor). */
  kind: 'mover' | 'symbol';
  /** Unified symbol, e.g. `SOL/USDT:USDT`, or what the user typed. */
  symbol: string;
  operation: AgentOperation;
  /** Idempotency key of the signal this analysis may submit. */
  signalId?: string | undefined;
  /** Movers: which way and how far it moved in 24h. */
  direction?: 'gainer' | 'loser' | undefined;
  change24hPct?: number | undefined;
  /** Symbol analyses: what the user asked. */
  question?: string | undefined;
  cycleId?: string | undefined;
  portfolio?: string | undefined;
  /** Continue today's conversation of this operation (Claude only). */
  daily?: boolean | undefined;
  /** Spend cap of this analysis, USD (Claude only). */
  budgetUsd: number;
  /** Stops the analysis in flight. */
  signal?: AbortSignal | undefined;
}

export interface SubmittedSignal {
  /** Row id in movers_signals. */
  rowId: number;
  signalId: string | null;
  status: SignalOutcome['status'];
  /** Rejection code, LOW_CONFIDENCE, or the first clamp of an executed signal. */
  code: string | null;
  reason: string;
  replayed: boolean;
  direction: 'long' | 'short';
  confidence: number;
  entry: number;
  stopLoss: number;
  takeProfit: number;
  fill: Pick<FillReport, 'positionId' | 'price' | 'quantity' | 'notional' | 'fee'> | null;
}

export type AnalysisOutcome =
  | { outcome: 'signal'; signal: SubmittedSignal }
  | { outcome: 'no_signal'; reason: string }
  | { outcome: 'error'; code: string; reason: string }
  | { outcome: 'skipped'; code: string; reason: string };

export type AnalysisResult = AnalysisOutcome & {
  analyst: AnalystKind;
  spend: RunSpend;
  sessionId: string | null;
  turns: number | null;
  durationMs: number;
  /** The model's final text, or the rules analyst's account of its decision. */
  text: string;
  /** Tools the analysis called, in order (bare names). */
  tools: string[];
};

export interface Analyst {
  readonly kind: AnalystKind;
  /** Whether analyses cost money (spend caps apply only then). */
  readonly spends: boolean;
  /** Never throws for a failed analysis: the failure is in the result. */
  analyse(task: AnalysisTask): Promise<AnalysisResult>;
}

/** The submit_trading_signal answer (the tool's JSON text) with the proposal's own fields. */
export function submittedFrom(
  outcome: Pick<SignalOutcome, 'id' | 'signalId' | 'status' | 'code' | 'reason' | 'replayed' | 'fill'>,
  proposal: { direction: 'long' | 'short'; confidence: number; entry: number; stopLoss: number; takeProfit: number },
): SubmittedSignal {
  const f = outcome.fill;
  return {
    rowId: outcome.id,
    signalId: outcome.signalId,
    status: outcome.status,
    code: outcome.code,
    reason: outcome.reason,
    replayed: outcome.replayed,
    ...proposal,
    fill: f ? { positionId: f.positionId, price: f.price, quantity: f.quantity, notional: f.notional, fee: f.fee } : null,
  };
}

const MAX_TEXT = 1000;

/** What a finished agent run amounts to: the signal it submitted, the failure, or why there is none. */
export function outcomeOfRun(result: AgentRunResult): AnalysisOutcome {
  const calls = cctraderToolCalls(result).filter((c) => c.tool === 'submit_trading_signal');
  const answered = calls.filter((c) => c.isError === false && c.resultText);
  for (const call of answered.reverse()) {
    const parsed = parseSubmitAnswer(call.resultText!, call.input);
    if (parsed) return { outcome: 'signal', signal: parsed };
  }
  const refused = calls.filter((c) => c.isError === true).at(-1);
  if (refused) {
    const code = /^([A-Z_]+):/.exec(refused.resultText ?? '')?.[1] ?? 'INTERNAL';
    return { outcome: 'error', code, reason: `submit_trading_signal failed: ${(refused.resultText ?? '').slice(0, 300)}` };
  }
  if (result.isError) {
    return { outcome: 'error', code: result.errorCode ?? 'INTERNAL', reason: result.errorMessage ?? 'the agent run failed' };
  }
  const said = result.text.trim().replace(/\s+/g, ' ');
  return {
    outcome: 'no_signal',
    reason: said
      ? `no submit_trading_signal call; the model said: ${said.slice(0, MAX_TEXT)}`
      : 'the model ended without calling submit_trading_signal and gave no reason',
  };
}

function parseSubmitAnswer(text: string, input: unknown): SubmittedSignal | null {
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(text.split('\n')[0] ?? '') as Record<string, unknown>;
  } catch {
    return null;
  }
  const status = answer.status;
  if (typeof answer.id !== 'number' || (status !== 'executed' && status !== 'rejected' && status !== 'recorded')) return null;
  const args = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN);
  const fill = answer.fill as Record<string, unknown> | null | undefined;
  return {
    rowId: answer.id,
    signalId: typeof answer.signalId === 'string' ? answer.signalId : null,
    status,
    code: typeof answer.code === 'string' ? answer.code : null,
    reason: typeof answer.reason === 'string' ? answer.reason : '',
    replayed: answer.replayed === true,
    direction: args.direction === 'short' ? 'short' : 'long',
    confidence: n(args.confidence),
    entry: n(args.entry_price),
    stopLoss: n(args.stop_loss),
    takeProfit: n(args.take_profit),
    fill:
      fill && typeof fill === 'object'
        ? { positionId: n(fill.positionId), price: n(fill.price), quantity: n(fill.quantity), notional: n(fill.notional), fee: n(fill.fee) }
        : null,
  };
}

/** `+7.3%` / `-12.05%` for the mover prompt. */
function changeText(pct: number | undefined): string {
  if (pct === undefined || !Number.isFinite(pct)) return 'n/a';
  return `${pct >= 0 ? '+' : ''}${Math.round(pct * 100) / 100}%`;
}

/** `SOL/USDT:USDT` → `SOL/USDT`: what the model reads and writes (every tool accepts both). */
export function promptSymbol(symbol: string): string {
  return symbol.split(':')[0] ?? symbol;
}

export class ClaudeAnalyst implements Analyst {
  readonly kind = 'claude' as const;
  readonly spends = true;

  constructor(
    private readonly deps: Deps,
    private readonly backend: AgentBackend,
  ) {}

  async analyse(task: AnalysisTask): Promise<AnalysisResult> {
    const { db, clock, config } = this.deps;
    const started = performance.now();
    const symbol = promptSymbol(task.symbol);
    // Spend is attributed to the unified symbol (as in movers_signals and paper_positions); the model reads the short form.
    const attribution = { operation: task.operation, symbol: task.symbol, ...(task.cycleId ? { cycleId: task.cycleId } : {}) };
    let sessionId: string | null = null;
    try {
      const now = clock.now();
      const daily = task.daily ? await getOrCreateDailySession(db, task.operation, clock) : null;
      const prompts = await analystPrompts(
        task.kind === 'mover'
          ? { kind: 'mover', symbol, direction: task.direction ?? 'gainer', change: changeText(task.change24hPct), signalId: task.signalId }
          : { kind: 'symbol', symbol, question: task.question },
        daily ? { operation: task.operation, date: utcDay(now) } : undefined,
      );
      const session: AgentSessionRequest = daily
        ? daily.resume
          ? { mode: 'resume', sessionId: daily.sessionId }
          : { mode: 'new', sessionId: daily.sessionId }
        : { mode: 'new' };
      const result = await this.backend.run({
        ...prompts,
        // The desk's clock, stated: in a replay it is not the date the model's environment reports.
        prompt: `${prompts.prompt}\n\nDesk time: ${new Date(now).toISOString()}. Every market answer of the tools is as of this time.`,
        session,
        maxTurns: config.MAX_TURNS,
        maxBudgetUsd: task.budgetUsd,
        model: config.CLAUDE_MODEL,
        ...(task.signal ? { signal: task.signal } : {}),
        attribution,
        // The run's portfolio, signal_id and coin are bound on its tools: the model cannot trade elsewhere.
        binding: { portfolio: task.portfolio ?? DEFAULT_PORTFOLIO, signalId: task.signalId, symbol: task.symbol },
      });
      sessionId = result.sessionId;
      const outcome = outcomeOfRun(result);
      const spend = await recordAgentRunUsage(db, result, {
        attribution,
        model: config.CLAUDE_MODEL,
        at: clock.now(),
        prices: configuredPrices(config),
        signalId: task.signalId ?? null,
        signalRowId: outcome.outcome === 'signal' ? outcome.signal.rowId : null,
        record: config.TOKEN_TRACKING_ENABLED,
        log: this.deps.log,
      });
      if (daily) await recordDailySessionRun(db, daily.key, result, clock);
      return {
        ...outcome,
        analyst: 'claude',
        spend,
        sessionId,
        turns: result.numTurns,
        durationMs: Math.round(performance.now() - started),
        text: result.text,
        tools: cctraderToolCalls(result).map((c) => c.tool),
      };
    } catch (error) {
      // Our own bookkeeping failed (database, prompt files): the run's spend is unknown.
      const code = isAppError(error) ? error.code : 'INTERNAL';
      this.deps.log.error('claude analysis failed outside the run', { symbol, code, error });
      return {
        outcome: 'error',
        code,
        reason: isAppError(error) ? error.message : 'unexpected failure recording the analysis (see the log)',
        analyst: 'claude',
        spend: { ...NO_SPEND, exact: false },
        sessionId,
        turns: null,
        durationMs: Math.round(performance.now() - started),
        text: '',
        tools: [],
      };
    }
  }
}
