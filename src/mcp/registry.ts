/** Every MCP tool, in the order tools/list shows them. The README's tool table must match. */
import type { AnyTool } from './define-tool.js';
import { fetchMarketData } from './tools/fetch-market-data.js';
import { getCurrentPrice } from './tools/get-current-price.js';

export const toolRegistry: readonly AnyTool[] = [getCurrentPrice, fetchMarketData];
