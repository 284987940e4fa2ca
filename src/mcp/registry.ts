/** Every MCP tool, in the order tools/list shows them. The README's tool table must match. */
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

export const toolRegistry: readonly AnyTool[] = [
  getCurrentPriceTool,
  fetchMarketDataTool,
  fetchTechnicalSnapshotTool,
  analyzeTrendTool,
  analyzeMomentumTool,
  analyzeVolatilityTool,
  analyzePatternsTool,
  fetchSentimentDataTool,
  scanMarketMoversTool,
  submitTradingSignalTool,
  getPortfolioStatusTool,
  getPnlReportTool,
  getSignalHistoryTool,
  getSignalScorecardTool,
  getRiskStatusTool,
  closePositionTool,
  getTokenReportTool,
  getReplayReportTool,
];
