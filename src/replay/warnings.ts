/** What a reader of a replay report must know before trusting it. */
import type { HistoryGap } from './history-fetch.js';

/** Training-data cutoffs of the models we know (YYYY-MM-DD); CLAUDE_TRAINING_CUTOFF overrides. */
export const TRAINING_CUTOFFS: Record<string, string> = {
  'claude-sonnet-4-5': '2025-07-31',
  'claude-opus-4-1': '2025-03-31',
  'claude-opus-4-5': '2025-08-31',
  'claude-haiku-4-5': '2025-02-28',
  'claude-sonnet-4': '2025-03-31',
  'claude-3-7-sonnet': '2024-10-31',
};

export function trainingCutoff(model: string, configured: string | undefined): string | null {
  if (configured) return configured;
  const key = Object.keys(TRAINING_CUTOFFS).find((k) => model === k || model.startsWith(`${k}-`));
  return key ? TRAINING_CUTOFFS[key]! : null;
}

export function replayWarnings(w: {
  analyst: string;
  to: number;
  symbolsGiven: boolean;
  gaps: readonly HistoryGap[];
  model: string;
  cutoff: string | undefined;
  llm: { cassetteMisses: number };
}): string[] {
  const out: string[] = [];
  if (w.analyst === 'claude') {
    const cutoff = trainingCutoff(w.model, w.cutoff);
    if (cutoff === null) out.push(`the training cutoff of ${w.model} is not known (set CLAUDE_TRAINING_CUTOFF): the model may remember this period`);
    else if (w.to <= Date.parse(`${cutoff}T23:59:59Z`))
      out.push(`the window ends before ${w.model}'s training cutoff (${cutoff}): the model may remember what happened, so its results here flatter it`);
    if (w.llm.cassetteMisses > 0)
      out.push(
        `${w.llm.cassetteMisses} model request(s) were not in the cassette: those analyses failed with CASSETTE_MISS (re-run with --record to add them)`,
      );
  }
  out.push('news sentiment is off in a replay (news has no point-in-time history); exchange positioning works from history');
  if (!w.symbolsGiven) out.push("the symbols are today's most traded listings: coins delisted since are missing (survivorship bias)");
  for (const g of w.gaps.slice(0, 5)) out.push(`history gap: ${g.symbol} has ${g.missing} 1-minute candles missing from ${g.firstMissing} (not filled in)`);
  if (w.gaps.length > 5) out.push(`history gaps in ${w.gaps.length - 5} more symbols`);
  return out;
}
