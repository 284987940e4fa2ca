import type { SymbolAnalysis } from '../../agent/run-analysis.js';
import type { Command } from 'commander';
import type { AnalysisResult } from '../../agent/analyst.js';
import type { CliContext } from '../context.js';
import { formatUsd, renderPanel, wrapText } from '../render/table.js';
import { runLedgerLines } from '../render/tokens.js';
import type { RunLedger, WindowReport } from '../../usage/report.js';
import type { Deps } from '../../deps.js';

/** What `--show-tokens` adds: this analysis's rows in the token ledger and the request windows after it. */
export interface AnalysisTokens {
  run: RunLedger | null;
  windows: WindowReport[];
}

export async function analysisTokens(deps: Deps, a: SymbolAnalysis): Promise<AnalysisTokens> {
  const runId = a.result?.spend.runId;
  const { runLedger, windowReports } = await import('../../usage/report.js');
  return { run: runId ? await runLedger(deps.db, runId) : null, windows: await windowReports(deps) };
}

interface Options {
  symbol?: string;
  showTokens?: boolean;
  json?: boolean;
  analyst?: string;
  daily?: boolean;
  portfolio: string;
}

/** Why an analysis is a failed job (the analyst failed, or a cap refused it), or null when it ran. */
export function analysisFailure(a: SymbolAnalysis): { code: string; message: string } | null {
  if (a.refused) return { code: a.refused.code, message: a.refused.reason };
  if (a.result?.outcome === 'error') return { code: a.result.code, message: a.result.reason };
  return null;
}

/** The one JSON shape of an analysis (analyze and monitor); `error` when the job failed. */
export function analysisJson(a: SymbolAnalysis, showTokens: boolean, tokens?: AnalysisTokens): Record<string, unknown> {
  const r = a.result;
  const error = analysisFailure(a);
  return {
    ...(error ? { error } : {}),
    symbol: a.symbol,
    refused: a.refused,
    ...(r
      ? {
          analyst: r.analyst,
          outcome: r.outcome,
          ...(r.outcome === 'signal' ? { signal: r.signal } : { code: r.outcome === 'no_signal' ? null : r.code, reason: r.reason }),
          text: r.text,
          tools: r.tools,
          sessionId: r.sessionId,
          durationMs: r.durationMs,
          ...(showTokens || r.analyst === 'claude' ? { usage: r.spend } : {}),
        }
      : {}),
    ...(a.warning ? { warning: a.warning } : {}),
    ...(tokens ? { tokens } : {}),
  };
}

/** Panel lines of an analysis. */
export function analysisLines(a: SymbolAnalysis, showTokens: boolean, tokens?: AnalysisTokens): string[] {
  if (a.refused) return [`${a.refused.code}: ${a.refused.reason}`];
  const r = a.result as AnalysisResult;
  const lines = [`Analyst: ${r.analyst}${r.sessionId ? `   Session: ${r.sessionId}` : ''}   ${(r.durationMs / 1000).toFixed(1)} s`];
  if (r.outcome === 'signal') {
    const s = r.signal;
    lines.push(`Signal: ${s.direction} confidence ${s.confidence}   entry ${s.entry}   stop ${s.stopLoss}   target ${s.takeProfit}`);
    lines.push(`Decision: ${s.status}${s.code ? ` ${s.code}` : ''}${s.replayed ? ' (replayed)' : ''} — ${s.reason}`);
    if (s.fill)
      lines.push(
        `Fill: position #${s.fill.positionId}, ${s.fill.quantity} at ${s.fill.price}, notional ${formatUsd(s.fill.notional)}, fee ${formatUsd(s.fill.fee, 4)}`,
      );
  } else if (r.outcome === 'no_signal') {
    lines.push(`No signal: ${r.reason}`);
  } else {
    lines.push(`${r.outcome === 'error' ? 'Error' : 'Skipped'}: ${r.code}: ${r.reason}`);
  }
  if (r.text) lines.push('', ...wrapText(r.text, 100, 40));
  if (showTokens && tokens && r.analyst !== 'rules') {
    lines.push('', ...runLedgerLines(tokens.run, tokens.windows));
  } else if (showTokens) {
    const u = r.spend;
    lines.push(
      '',
      r.analyst === 'rules'
        ? 'Tokens: none (the rules analyst calls no model)'
        : `Tokens: input ${u.inputTokens}, output ${u.outputTokens}, cache read ${u.cacheReadTokens}, cache write ${u.cacheWriteTokens}; cost ${formatUsd(Number(u.costUsd), 4)}${u.exact ? '' : ' (estimate)'}`,
    );
  }
  return lines;
}

/** Where the analysed coin came from: --symbol, the question, or DEFAULT_SYMBOL. */
export type SubjectSource = 'option' | 'question' | 'default';

const SUBJECT_NOTE: Record<SubjectSource, string> = {
  option: '--symbol',
  question: 'named in the question',
  default: 'DEFAULT_SYMBOL: the question names no listed coin',
};

/** The coin to analyse: --symbol, else the listed coin the question names, else DEFAULT_SYMBOL. */
async function analysisSubject(
  deps: Deps,
  option: string | undefined,
  question: string | undefined,
  fallback: string,
): Promise<{ symbol: string; from: SubjectSource }> {
  if (option) return { symbol: option, from: 'option' };
  if (question) {
    const { findSymbolInText } = await import('../../market/symbol-in-text.js');
    const named = findSymbolInText(question, await deps.market.markets());
    if (named) return { symbol: named.symbol, from: 'question' };
  }
  return { symbol: fallback, from: 'default' };
}

export function registerAnalyze(program: Command, ctx: CliContext): void {
  program
    .command('analyze')
    .description('analyse one coin now (technical, sentiment) and submit a paper signal if there is a trade')
    .argument('[query]', 'what to find out, e.g. "Is the trend exhausted?"')
    .option('--symbol <symbol>', 'coin to analyse (default: the coin the question names, else DEFAULT_SYMBOL)')
    .option('--show-tokens', 'show the exact tokens and cost of the analysis, per model request, from the token ledger')
    .option('--analyst <kind>', 'auto, claude or rules (ANALYST)')
    .option('--daily', "Claude: continue today's analysis conversation")
    .option('--portfolio <name>', 'paper portfolio', 'default')
    .option('--json', 'print one JSON document')
    .action(async (query: string | undefined, opts: Options) => {
      const { analyseSymbol } = await import('../../agent/run-analysis.js');
      const config = ctx.config({ ANALYST: opts.analyst });
      await ctx.withApp(config, async (app) => {
        const analyst = app.analyst();
        const abort = new AbortController();
        const off = ctx.io.onSignal(() => abort.abort());
        try {
          const { symbol, from } = await analysisSubject(app.deps, opts.symbol, query, config.DEFAULT_SYMBOL);
          if (!opts.json) ctx.err(`analysing ${symbol} (${SUBJECT_NOTE[from]}) with the ${analyst.kind} analyst…`);
          const a = await analyseSymbol(app.deps, analyst, {
            symbol,
            operation: 'analysis',
            question: query,
            daily: opts.daily,
            portfolio: opts.portfolio,
            signalId: `analyze-${app.deps.clock.now().toString(36)}:${symbol.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}`.slice(0, 64),
            abort: abort.signal,
          });
          const tokens = opts.showTokens && a.result?.analyst === 'claude' ? await analysisTokens(app.deps, a) : undefined;
          const failed = analysisFailure(a);
          if (failed) ctx.fail(failed.code);
          if (opts.json) return ctx.json({ ...analysisJson(a, Boolean(opts.showTokens), tokens), symbolFrom: from });
          if (a.warning) ctx.err(`warning: ${a.warning}`);
          ctx.out(renderPanel(`Analysis ${a.symbol}`, analysisLines(a, Boolean(opts.showTokens), tokens)));
        } finally {
          off();
        }
      });
    });
}
