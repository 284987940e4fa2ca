/** Every MCP tool, registered here and nowhere else. The README's tool table must match. */
import { TOOLSET_NAMES, type ToolsetName } from '../config.js';
import type { AnyTool } from './define-tool.js';
import { analyzeMomentumTool } from './tools/analyze-momentum.js';
import { analyzePatternsTool } from './tools/analyze-patterns.js';
import { analyzeTrendTool } from './tools/analyze-trend.js';
import { analyzeVolatilityTool } from './tools/analyze-volatility.js';
import { fetchMarketDataTool } from './tools/fetch-market-data.js';
import { fetchSentimentDataTool } from './tools/fetch-sentiment-data.js';
import { fetchTechnicalSnapshotTool } from './tools/fetch-technical-snapshot.js';
import { getCurrentPriceTool } from './tools/get-current-price.js';
import { closePositionTool } from './tools/close-position.js';
import { getPnlReportTool } from './tools/get-pnl-report.js';
import { getPortfolioStatusTool } from './tools/get-portfolio-status.js';
import { getReplayReportTool } from './tools/get-replay-report.js';
import { getRiskStatusTool } from './tools/get-risk-status.js';
import { getSignalHistoryTool } from './tools/get-signal-history.js';
import { getSignalScorecardTool } from './tools/get-signal-scorecard.js';
import { getTokenReportTool } from './tools/get-token-report.js';
import { scanMarketMoversTool } from './tools/scan-market-movers.js';
import { submitTradingSignalTool } from './tools/submit-trading-signal.js';

/**
 * The tools by group (serve --toolsets, CCTRADER_TOOLSETS): market data, analysis, sentiment,
 * trading (the paper portfolio, its signals, reports and replays) and usage (LLM spend).
 */
export const toolsets: Readonly<Record<ToolsetName, readonly AnyTool[]>> = {
  market: [getCurrentPriceTool, fetchMarketDataTool, scanMarketMoversTool],
  analysis: [fetchTechnicalSnapshotTool, analyzeTrendTool, analyzeMomentumTool, analyzeVolatilityTool, analyzePatternsTool],
  sentiment: [fetchSentimentDataTool],
  trading: [
    submitTradingSignalTool,
    getPortfolioStatusTool,
    getPnlReportTool,
    getSignalHistoryTool,
    getSignalScorecardTool,
    getRiskStatusTool,
    closePositionTool,
    getReplayReportTool,
  ],
  usage: [getTokenReportTool],
};

/** Every tool, in the order tools/list shows them. */
export const toolRegistry: readonly AnyTool[] = TOOLSET_NAMES.flatMap((name) => toolsets[name]);

export interface ToolSelection {
  /** Only tools whose readOnlyHint is true (serve --read-only, CCTRADER_READ_ONLY). */
  readOnly?: boolean | undefined;
  /** Only these groups (default: all). */
  toolsets?: readonly ToolsetName[] | undefined;
}

/** The tools a server with this selection serves, in registry order. */
export function selectTools(selection: ToolSelection = {}): AnyTool[] {
  const groups = selection.toolsets ?? TOOLSET_NAMES;
  return TOOLSET_NAMES.filter((name) => groups.includes(name))
    .flatMap((name) => toolsets[name])
    .filter((tool) => !selection.readOnly || tool.annotations.readOnlyHint);
}
