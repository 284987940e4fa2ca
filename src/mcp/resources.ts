/**
 * The server's resources: a registry of static resources and the resources/list and
 * resources/read handlers over it. Today it holds the chart views (`ui://cctrader/<view>`, MCP
 * Apps); data resources, templates and subscriptions can join the registry and these handlers.
 * Contents are read on first resources/read, never at import or start-up.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ErrorCode, ListResourcesRequestSchema, McpError, ReadResourceRequestSchema, type Resource } from '@modelcontextprotocol/sdk/types.js';
import { VIEW_NAMES, type ViewName } from '../charts/types.js';
import { viewHtml } from '../charts/view-files.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../log.js';
import { UI_MIME_TYPE, VIEW_RESOURCE_META, viewUri } from './apps.js';

export interface StaticResource {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType: string;
  /** Listed with the resource and repeated on its content (MCP Apps reads `_meta.ui` from either). */
  _meta?: Record<string, unknown>;
  /** The content, read on demand. */
  read(): Promise<{ text: string } | { blob: string }>;
}

/** The spec's code for an unknown resource URI. */
export const RESOURCE_NOT_FOUND = -32002;

const VIEW_TEXT: Record<ViewName, { title: string; description: string }> = {
  candles: {
    title: 'Candles',
    description: "Candles, EMA 20/50, Bollinger bands, volume, support and resistance, a position or signal's entry, stop and target",
  },
  portfolio: { title: 'Portfolio', description: 'Equity curve with drawdown, open positions against their stops and targets' },
  scorecard: { title: 'Signal calibration', description: 'Hit rate and average R by confidence bucket' },
  replay: { title: 'Replay', description: "A replay's equity against buy-and-hold, and its trades on the price" },
};

export const viewResources: readonly StaticResource[] = VIEW_NAMES.map((view) => ({
  uri: viewUri(view),
  name: `${view}-view`,
  title: VIEW_TEXT[view].title,
  description: VIEW_TEXT[view].description,
  mimeType: UI_MIME_TYPE,
  _meta: VIEW_RESOURCE_META,
  read: async () => ({ text: await viewHtml(view) }),
}));

/** Every static resource the server lists, in order. */
export const resourceRegistry: readonly StaticResource[] = [...viewResources];

/** Serve `resources` on `server` (which must declare the `resources` capability). */
export function registerResourceHandlers(server: Server, log: Pick<Logger, 'error'>, resources: readonly StaticResource[] = resourceRegistry): void {
  const byUri = new Map(resources.map((r) => [r.uri, r]));
  const listing: Resource[] = resources.map(({ read: _read, ...entry }) => entry);
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: listing }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const uri = request.params.uri;
    const resource = byUri.get(uri);
    if (!resource) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri.slice(0, 120)}`, { uri: uri.slice(0, 120) });
    try {
      const content = await resource.read();
      return { contents: [{ uri, mimeType: resource.mimeType, ...content, ...(resource._meta ? { _meta: resource._meta } : {}) }] };
    } catch (error) {
      if (isAppError(error)) throw new McpError(ErrorCode.InternalError, error.toLine());
      log.error('resource read failed', { uri, error });
      throw new McpError(ErrorCode.InternalError, `INTERNAL: could not read ${uri}`);
    }
  });
}
