/**
 * tools/list and tools/call: the selected tools, their chart views for clients that render them,
 * progress notifications for calls that carry a progressToken, and errors in the house format.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { AppError } from '../errors.js';
import { noProgress, type Progress } from '../shared/progress.js';
import type { RunBinding } from '../signals/binding.js';
import { withView, withViewData } from './apps.js';
import type { Ready, ServerContext } from './context.js';
import type { ToolContext } from './define-tool.js';
import { errorResult, okResult, type ToolResult } from './tool-result.js';
import { invokeTool, type PreparedTool } from './tool-prep.js';

export interface ToolHandlerOptions {
  tools: readonly PreparedTool[];
  ready: Ready;
  /** `_meta['anthropic/alwaysLoad']` on every listing (the in-process server of the agent runner). */
  alwaysLoad?: boolean | undefined;
  binding?: RunBinding | undefined;
  /** The client declared it renders MCP Apps views. */
  viewsOn: () => boolean;
  /** After every call (answered or failed): subscribed resources may have changed. */
  afterCall?: (tool: string) => void;
}

const UNAVAILABLE: ToolResult = {
  content: [{ type: 'text', text: 'INTERNAL: The desk failed to start. Hint: the server log on stderr says why' }],
  isError: true,
};

export function registerToolHandlers(server: Server, options: ToolHandlerOptions): void {
  const { tools, ready, binding, viewsOn } = options;
  const byName = new Map(tools.map((t) => [t.def.name, t]));
  const listings = options.alwaysLoad ? tools.map((t) => ({ ...t.listing, _meta: { 'anthropic/alwaysLoad': true } })) : tools.map((t) => t.listing);
  const viewListings = listings.map((l, i) => (tools[i]!.def.view ? withView(l, tools[i]!.def.view.name) : l));
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: viewsOn() ? viewListings : listings }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<ToolResult> => {
    const name = request.params.name;
    let context: ServerContext;
    try {
      context = await ready;
    } catch {
      return UNAVAILABLE;
    }
    const { deps, redact, log } = context;
    const tool = byName.get(name);
    if (!tool) {
      const error = new AppError('NOT_FOUND', `No tool named ${String(name).slice(0, 60)}`, { hint: 'call tools/list for the available tools' });
      return errorResult(error, String(name), log, redact);
    }
    // Progress notifications go out in order and all before the answer: a client drops the ones
    // that arrive after it.
    const token = request.params._meta?.progressToken;
    let sent: Promise<void> = Promise.resolve();
    const progress: Progress =
      token === undefined
        ? noProgress
        : (done, total, message) => {
            const params = { progressToken: token, progress: done, total, message: redact(message) };
            sent = sent.then(() => extra.sendNotification({ method: 'notifications/progress', params })).catch(() => {});
          };
    const ctx: ToolContext = { signal: extra.signal, binding, progress };
    const started = performance.now();
    try {
      const { args, data } = await invokeTool(tool, request.params.arguments, deps, ctx).finally(() => sent);
      log.debug('tool call', { tool: name, ms: Math.round(performance.now() - started) });
      const result = okResult(data, redact);
      const view = tool.def.view;
      if (!view || !viewsOn()) return result;
      return await withViewData(result, () => view.data(args, data, deps, ctx), { tool: name, redact, log });
    } catch (error) {
      return errorResult(error, name, log, redact, { dbPath: deps.config.DB_PATH });
    } finally {
      options.afterCall?.(name);
    }
  });
}
