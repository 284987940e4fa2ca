/**
 * MCP Apps (the `io.modelcontextprotocol/ui` extension, spec 2026-01-26, ext-apps 1.x): tools
 * with a chart view name it in their listing's `_meta.ui.resourceUri`, the view is a
 * `ui://cctrader/<view>` resource (resources.ts), and the result carries the view's data in
 * `_meta['cctrader/chart']`, which hosts hand to the view and keep from the model.
 *
 * Only a client that declares the extension in `initialize` (Claude Desktop's chat and claude.ai
 * do) gets the view bindings and the view data; every other client gets the listings and
 * answers exactly as before, and the server does no chart work for it. The constants are the
 * extension's own (a test checks them against @modelcontextprotocol/ext-apps, which is only
 * bundled into the views: the server does not load it).
 */
import type { ClientCapabilities, Tool } from '@modelcontextprotocol/sdk/types.js';
import { CHART_META_KEY, type ViewName } from '../charts/types.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ToolResult } from './tool-result.js';

export const UI_EXTENSION_ID = 'io.modelcontextprotocol/ui';
export const UI_MIME_TYPE = 'text/html;profile=mcp-app';

/** What the server declares under `capabilities.extensions`. */
export const UI_SERVER_EXTENSIONS = { [UI_EXTENSION_ID]: { mimeTypes: [UI_MIME_TYPE] } };

/**
 * The views' resource `_meta.ui`: no `csp`, so hosts apply the spec's restrictive default (no
 * connections, no remote scripts, styles or images): the views fetch nothing.
 */
export const VIEW_RESOURCE_META = { ui: { prefersBorder: true } };

export function viewUri(view: ViewName): string {
  return `ui://cctrader/${view}`;
}

/** True when the client said in `initialize` that it renders MCP App views. */
export function rendersViews(capabilities: ClientCapabilities | undefined): boolean {
  const extensions = (capabilities as { extensions?: Record<string, unknown> } | undefined)?.extensions;
  const ui = extensions?.[UI_EXTENSION_ID] as { mimeTypes?: unknown } | undefined;
  return Array.isArray(ui?.mimeTypes) && ui.mimeTypes.includes(UI_MIME_TYPE);
}

/** A tool's listing bound to its view (`_meta.ui.resourceUri`), keeping any `_meta` it had. */
export function withView(listing: Tool, view: ViewName): Tool {
  return { ...listing, _meta: { ...listing._meta, ui: { resourceUri: viewUri(view) } } };
}

/**
 * The answer with the view's data in `_meta`, redacted like the answer. The data is extra: when
 * it cannot be built (the exchange refused a candle request, say), the answer goes without it
 * and the view says it has nothing to draw.
 */
export async function withViewData(
  result: ToolResult,
  build: () => Promise<unknown>,
  context: { tool: string; redact: (s: string) => string; log: Pick<Logger, 'warn' | 'error'> },
): Promise<ToolResult> {
  try {
    const data = await build();
    const text = JSON.stringify(data);
    const safe = context.redact(text);
    const meta = (result._meta ?? {}) as Record<string, unknown>;
    return { ...result, _meta: { ...meta, [CHART_META_KEY]: safe === text ? data : JSON.parse(safe) } };
  } catch (error) {
    if (isAppError(error)) context.log.warn('chart data unavailable', { tool: context.tool, code: error.code });
    else context.log.error('chart data failed', { tool: context.tool, error });
    return result;
  }
}
