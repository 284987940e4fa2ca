import { z } from 'zod';
import { defineTool } from '../define-tool.js';

const n = z.number();
const nn = z.number().nullable();

/** Points of the equity curve an answer carries (the CLI's --json has every step). */
const CURVE_POINTS = 48;

export const getReplayReportTool = defineTool({
  name: 'get_replay_report',
  title: 'Replay report',
  description: 'Backtest (replay) of the desk over past data: return, drawdown, Sharpe, win rate, trades, buy-and-hold, hit rate, LLM spend, warnings.',
  input: { id: z.string().min(1).max(80).optional() },
  output: {
    id: z.string(),
    status: z.string(),
    window: z.object({ from: z.string(), to: z.string(), every: z.string(), steps: n, stepsRun: n }),
    analyst: z.string(),
    symbols: z.array(z.string()),
    performance: z.record(z.string(), nn),
    benchmarks: z.object({ btcBuyHoldPct: nn, basketBuyHoldPct: nn, basketSymbols: n }),
    scorecard: z.object({ signals: n, decided: n, hitRate: nn, avgR: nn }),
    llm: z.object({ requests: n, recordedUsd: n, wouldHaveCostUsd: n, rerunCostUsd: n, cassetteMisses: n }),
    equityCurve: z.array(z.object({ t: z.string(), equity: n })),
    warnings: z.array(z.string()),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async ({ id }, deps, { progress }) => {
    const { loadReport } = await import('../../replay/runs.js');
    const r = await loadReport(deps.db, id);
    progress(1, 1, `replay ${r.id}: ${r.window.stepsRun} of ${r.window.steps} steps, ${r.status}`);
    const step = Math.max(1, Math.ceil(r.equityCurve.length / CURVE_POINTS));
    const curve = r.equityCurve.filter((_, i) => i % step === 0 || i === r.equityCurve.length - 1);
    return {
      id: r.id,
      status: r.status,
      window: r.window,
      analyst: r.analyst,
      symbols: r.symbols,
      performance: r.performance,
      benchmarks: r.benchmarks,
      scorecard: { signals: r.scorecard.signals, decided: r.scorecard.decided, hitRate: r.scorecard.hitRate, avgR: r.scorecard.avgR },
      llm: {
        requests: r.llm.requests,
        recordedUsd: r.llm.recordedUsd,
        wouldHaveCostUsd: r.llm.wouldHaveCostUsd,
        rerunCostUsd: r.llm.rerunCostUsd,
        cassetteMisses: r.llm.cassetteMisses,
      },
      equityCurve: curve,
      warnings: r.warnings,
    };
  },
  view: {
    name: 'replay',
    data: async (_args, out, deps) => {
      const [{ loadReport }, { replayChart }] = await Promise.all([import('../../replay/runs.js'), import('../../charts/replay.js')]);
      return replayChart(deps.db, await loadReport(deps.db, out.id));
    },
  },
});
