/**
 * The server's resources: the chart views (`ui://cctrader/<view>`, MCP Apps; static, read from
 * dist/views/ on first read) and the desk's data (`cctrader://…`, data-resources.ts), with
 * resources/list, resources/templates/list, resources/read and resources/subscribe.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type Resource,
  type ResourceTemplate,
} from '@modelcontextprotocol/sdk/types.js';
import { VIEW_NAMES, type ViewName } from '../charts/types.js';
import { viewHtml } from '../charts/view-files.js';
import { isAppError } from '../errors.js';
import { UI_MIME_TYPE, VIEW_RESOURCE_META, viewUri } from './apps.js';
import type { Ready, ServerContext } from './context.js';
import { dataResources, expandUri, uriMatcher, type DataResource } from './data-resources.js';
import { ResourceWatch, WATCH_INTERVAL_MS } from './resource-watch.js';
import { rpcError } from './rpc-error.js';

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

const JSON_MIME = 'application/json';

const isTemplate = (r: DataResource): boolean => r.pattern.includes('{');

/** What a URI names: a view, or a data resource with its variables. */
type Target = { view: StaticResource } | { data: DataResource; vars: Record<string, string> };

function resolver(): (uri: string) => Target {
  const views = new Map(viewResources.map((r) => [r.uri, r]));
  const matchers = dataResources.map((data) => ({ data, match: uriMatcher(data.pattern) }));
  return (uri) => {
    const view = views.get(uri);
    if (view) return { view };
    for (const { data, match } of matchers) {
      const vars = match(uri);
      if (vars) return { data, vars };
    }
    throw notFound(uri);
  };
}

type RpcError = ReturnType<typeof rpcError>;

function notFound(uri: string, why?: string): RpcError {
  return rpcError(RESOURCE_NOT_FOUND, why ?? `Resource not found: ${uri.slice(0, 120)}`, { uri: uri.slice(0, 120) });
}

const isRpcError = (e: unknown): e is RpcError => e instanceof Error && typeof (e as { code?: unknown }).code === 'number';

/** The desk's errors as JSON-RPC errors: a missing portfolio or replay is the spec's not-found. */
function asRpcError(error: unknown, uri: string, ctx: ServerContext | undefined): RpcError {
  if (isRpcError(error)) return error;
  if (isAppError(error)) {
    const line = ctx ? ctx.redact(error.toLine()) : error.code;
    if (error.code === 'NOT_FOUND') return notFound(uri, line);
    if (error.code === 'INVALID_INPUT') return rpcError(ErrorCode.InvalidParams, line);
    return rpcError(ErrorCode.InternalError, line);
  }
  ctx?.log.error('resource read failed', { uri, error });
  return rpcError(ErrorCode.InternalError, `INTERNAL: could not read ${uri.slice(0, 120)}`);
}

async function listResources(ready: Ready): Promise<Resource[]> {
  const views: Resource[] = viewResources.map(({ read: _read, ...entry }) => entry);
  const fixed: Resource[] = dataResources
    .filter((r) => !isTemplate(r))
    .map((r) => ({ uri: r.pattern, name: r.name, title: r.title, description: r.description, mimeType: JSON_MIME }));
  const ctx = await ready.catch(() => undefined);
  const instances: Resource[] = [];
  for (const r of dataResources) {
    if (!ctx || !r.instances) continue;
    for (const i of await r.instances(ctx.deps)) {
      instances.push({ uri: expandUri(r.pattern, i.vars), name: `${r.name}-${Object.values(i.vars).join('-')}`, title: i.title, mimeType: JSON_MIME });
    }
  }
  return [...fixed, ...instances, ...views];
}

export interface ResourceHandles {
  /** Compare subscribed resources now (after a tool call). */
  changed(): void;
  close(): void;
}

/** Serve the resources on `server` (which declares `resources` with `subscribe`). */
export function registerResourceHandlers(server: Server, ready: Ready, options: { watchIntervalMs?: number } = {}): ResourceHandles {
  const resolve = resolver();
  const templates: ResourceTemplate[] = dataResources
    .filter(isTemplate)
    .map((r) => ({ uriTemplate: r.pattern, name: r.name, title: r.title, description: r.description, mimeType: JSON_MIME }));
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: await listResources(ready) }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: templates }));
  server.setRequestHandler(ReadResourceRequestSchema, async ({ params: { uri } }) => {
    const target = resolve(uri);
    const ctx = await ready.catch(() => undefined);
    try {
      if ('view' in target) {
        const { view } = target;
        return { contents: [{ uri, mimeType: view.mimeType, ...(await view.read()), ...(view._meta ? { _meta: view._meta } : {}) }] };
      }
      if (!ctx) throw rpcError(ErrorCode.InternalError, 'INTERNAL: The desk failed to start. Hint: the server log on stderr says why');
      const value = await target.data.read(ctx.deps, target.vars);
      return { contents: [{ uri, mimeType: JSON_MIME, text: ctx.redact(JSON.stringify(value)) }] };
    } catch (error) {
      throw asRpcError(error, uri, ctx);
    }
  });

  const fingerprint = async (uri: string): Promise<string> => {
    const target = resolve(uri);
    if ('view' in target) return 'static';
    const ctx = await ready;
    return target.data.fingerprint(ctx.deps, target.vars);
  };
  const watch = new ResourceWatch({
    fingerprint,
    notify: (uri) => server.sendResourceUpdated({ uri }),
    intervalMs: options.watchIntervalMs ?? WATCH_INTERVAL_MS,
  });
  server.setRequestHandler(SubscribeRequestSchema, async ({ params: { uri } }) => {
    try {
      await watch.subscribe(uri);
    } catch (error) {
      throw asRpcError(error, uri, await ready.catch(() => undefined));
    }
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async ({ params: { uri } }) => {
    watch.unsubscribe(uri);
    return {};
  });
  return { changed: () => void watch.check(), close: () => watch.close() };
}
