/**
 * The one server factory. stdio and Streamable HTTP both call `createMcpServer`. Tools are our
 * own registry (define-tool.ts) served through the SDK's low-level Server, so that input errors,
 * output checks and redaction follow the house format exactly. Around them: prompts, resources
 * with subscriptions, completions, logging, and the tool selection (toolsets, read-only mode).
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { GetPromptRequestSchema, ListPromptsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { secretValues } from '../config.js';
import type { Deps } from '../deps.js';
import type { RunBinding } from '../signals/binding.js';
import { createRedactor } from '../log.js';
import { VERSION } from '../version.js';
import { rendersViews, UI_SERVER_EXTENSIONS } from './apps.js';
import { registerCompletions } from './completions.js';
import type { Ready } from './context.js';
import type { AnyTool } from './define-tool.js';
import { serverInstructions } from './instructions.js';
import { registerLogging } from './logging.js';
import { getPrompt, promptListing, promptRegistry, type McpPromptDefinition } from './prompts/registry.js';
import { selectTools, type ToolSelection } from './registry.js';
import { registerResourceHandlers } from './resources.js';
import { registerToolHandlers } from './tool-calls.js';
import { prepareTool } from './tool-prep.js';

export const SERVER_NAME = 'cctrader';
export const SERVER_VERSION = VERSION;

export interface McpServerOptions {
  /** The tools to serve (the agent runner names its own); default: the selection's. */
  tools?: readonly AnyTool[] | undefined;
  /** Toolsets and read-only mode (serve --toolsets, --read-only). */
  selection?: ToolSelection | undefined;
  prompts?: readonly McpPromptDefinition[];
  /** Mark every tool `_meta['anthropic/alwaysLoad']` so a Claude Code client never defers it behind
   * a tool search (the agent runner attaches the server in-process with this on). */
  alwaysLoad?: boolean;
  /** The context of an unattended analysis run (agent runner): bound by the code, not the model. */
  binding?: RunBinding;
  /** How often subscribed resources are compared for changes made elsewhere, ms. */
  watchIntervalMs?: number;
}

/**
 * `deps` may still be on its way (a promise): the stdio server answers `initialize` and
 * `tools/list` while the database opens and migrates, and tool calls wait for it.
 */
export function createMcpServer(deps: Deps | Promise<Deps>, options: McpServerOptions = {}): Server {
  const selection = options.selection ?? {};
  const selected = options.tools ?? selectTools(selection);
  const ready: Ready = Promise.resolve(deps).then((d) => ({
    deps: d,
    redact: createRedactor(secretValues(d.config)),
    log: d.log.child({ component: 'mcp' }),
  }));
  // A failed start is reported to whoever awaits `deps` (the serve command exits); calls made
  // meanwhile answer with a coded error instead of an unhandled rejection.
  ready.catch(() => {});

  const server = new Server(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      capabilities: {
        tools: { listChanged: false },
        prompts: { listChanged: false },
        resources: { subscribe: true, listChanged: false },
        completions: {},
        logging: {},
        extensions: UI_SERVER_EXTENSIONS,
      },
      instructions: serverInstructions(selected, selection),
    },
  );

  const resources = registerResourceHandlers(server, ready, { watchIntervalMs: options.watchIntervalMs });
  const logging = registerLogging(server, ready);
  registerToolHandlers(server, {
    tools: selected.map(prepareTool),
    ready,
    alwaysLoad: options.alwaysLoad,
    binding: options.binding,
    // Chart views (apps.ts) only for a client that declared it renders them.
    viewsOn: () => rendersViews(server.getClientCapabilities()),
    afterCall: () => resources.changed(),
  });

  const prompts = options.prompts ?? promptRegistry;
  const promptList = promptListing(prompts);
  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: promptList }));
  server.setRequestHandler(GetPromptRequestSchema, async (request) => {
    const { deps: d } = await ready;
    return getPrompt(request.params.name, request.params.arguments, d.clock.now(), prompts);
  });
  registerCompletions(server, ready, prompts);

  // The transport closing (the client left) or close() (even before any transport): stop the
  // subscription timer and the log listener.
  const release = (): void => {
    resources.close();
    logging.close();
  };
  const onclose = server.onclose;
  server.onclose = () => {
    release();
    onclose?.();
  };
  const close = server.close.bind(server);
  server.close = () => {
    release();
    return close();
  };
  return server;
}
