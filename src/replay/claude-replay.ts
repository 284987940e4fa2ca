/**
 * The Claude analyst in a replay: the real Claude Agent SDK and its `claude` program, with the
 * run's ANTHROPIC_BASE_URL pointed at the cassette recorder (cassette.ts), wrapped so that
 * - an analysis whose model request was not in the cassette fails with CASSETTE_MISS;
 * - the real spend of recorded requests (sent to the API) is written to the live token ledger as
 *   operation `replay`, so it counts against DAILY_BUDGET_USD;
 * - no analysis starts once the replay's recorded spend reached --max-spend, or the live daily cap
 *   is reached (the rest are skipped with BUDGET_EXCEEDED; the replay goes on, positions are evaluated);
 * - to the scan cycle the analyst does not "spend": the cycle's own caps and windows would read the
 *   replay's ledger on the replay's clock; these checks use the live ones instead. Every analysis
 *   gets MAX_BUDGET_USD, not the room left, so a re-run stops where the recording did.
 */
import type { Kysely } from 'kysely';
import type { AnalysisResult, AnalysisTask, Analyst } from '../agent/analyst.js';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import type { Clock } from '../shared/clock.js';
import { NO_SPEND } from '../usage/agent-run.js';
import { recordLlmUsage } from '../usage/record.js';
import { DAY_MS, spentSince, utcDayStart } from '../usage/spend-caps.js';
import { Dec, toDec } from '../shared/money.js';
import type { CassetteRecorder } from './cassette.js';

export interface ClaudeReplayOptions {
  inner: Analyst;
  recorder: CassetteRecorder;
  /** The live desk's ledger and clock (real spend, the daily cap). */
  live: { db: Kysely<DB>; clock: Clock; config: Pick<Config, 'DAILY_BUDGET_USD' | 'TOKEN_TRACKING_ENABLED'> };
  maxSpendUsd: number | null;
  replayId: string;
}

export class ClaudeReplayAnalyst implements Analyst {
  readonly kind = 'claude' as const;
  readonly spends = false;
  private spent = new Dec(0);
  /** Analyses that failed because a request was not in the cassette. */
  missedAnalyses = 0;

  constructor(private readonly o: ClaudeReplayOptions) {}

  private skipped(code: string, reason: string): AnalysisResult {
    return { outcome: 'skipped', code, reason, analyst: 'claude', spend: NO_SPEND, sessionId: null, turns: null, durationMs: 0, text: '', tools: [] };
  }

  async analyse(task: AnalysisTask): Promise<AnalysisResult> {
    const { live, recorder, maxSpendUsd } = this.o;
    if (maxSpendUsd !== null && this.spent.gte(maxSpendUsd)) {
      return this.skipped('BUDGET_EXCEEDED', `the replay's spend cap (--max-spend $${maxSpendUsd}) is reached: $${this.spent.toFixed(4)} recorded`);
    }
    const now = live.clock.now();
    const today = await spentSince(live.db, utcDayStart(now));
    if (today.gte(live.config.DAILY_BUDGET_USD)) {
      return this.skipped(
        'BUDGET_EXCEEDED',
        `the daily LLM spend cap DAILY_BUDGET_USD $${live.config.DAILY_BUDGET_USD} is reached; analyses resume at ${new Date(utcDayStart(now) + DAY_MS).toISOString()}`,
      );
    }
    const mark = recorder.mark();
    const result = await this.o.inner.analyse(task);
    const delta = recorder.since(mark);
    for (const paid of delta.paid) {
      this.spent = this.spent.plus(toDec(paid.costUsd));
      if (!live.config.TOKEN_TRACKING_ENABLED) continue;
      await recordLlmUsage(live.db, {
        provider: 'anthropic',
        operationType: 'replay',
        model: paid.model,
        messageId: paid.messageId,
        inputTokens: paid.tokens.inputTokens,
        outputTokens: paid.tokens.outputTokens,
        cacheReadTokens: paid.tokens.cacheReadTokens,
        cacheWriteTokens: paid.tokens.cacheWriteTokens,
        costUsd: paid.costUsd,
        estimatedCostUsd: paid.costUsd,
        at: live.clock.now(),
        symbol: task.symbol,
        runId: this.o.replayId,
      });
    }
    if (delta.misses > 0) {
      this.missedAnalyses += 1;
      return {
        ...result,
        outcome: 'error',
        code: 'CASSETTE_MISS',
        reason: 'a model request of this analysis is not in the cassette (the prompt or a tool answer changed); re-run with --record to add it',
      };
    }
    return result;
  }
}
