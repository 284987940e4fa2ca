/**
 * A minimal MCP Apps host page for the browser tests (not shipped): it puts a view in a sandboxed
 * iframe, as hosts do, speaks to it through ext-apps' AppBridge, and hands it a tool's input and
 * result. The tests drive it through `window.cctraderHost`.
 */
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';
import type { McpUiHostContext } from '@modelcontextprotocol/ext-apps';
import * as z from 'zod/v4';

z.config({ jitless: true });

export interface ShowRequest {
  view: string;
  tool: string;
  input: Record<string, unknown>;
  result: { content: Array<{ type: 'text'; text: string }>; structuredContent?: Record<string, unknown>; _meta?: Record<string, unknown>; isError?: boolean };
  theme: 'light' | 'dark';
  /** Host style variables (MCP Apps theming), e.g. `--color-background-primary`. */
  variables?: Record<string, string>;
}

let bridge: AppBridge | null = null;
let context: McpUiHostContext = {};

async function show(req: ShowRequest): Promise<void> {
  document.body.dataset.theme = req.theme;
  const frame = document.createElement('iframe');
  frame.id = 'view';
  frame.setAttribute('sandbox', 'allow-scripts');
  frame.style.cssText = 'width: 960px; height: 760px; border: 0; display: block';
  document.body.replaceChildren(frame);
  context = {
    theme: req.theme,
    displayMode: 'inline',
    platform: 'desktop',
    toolInfo: { tool: { name: req.tool, inputSchema: { type: 'object' } } },
    ...(req.variables ? { styles: { variables: req.variables as NonNullable<McpUiHostContext['styles']>['variables'] } } : {}),
  };
  bridge = new AppBridge(null, { name: 'cctrader-test-host', version: '1.0.0' }, {}, { hostContext: context });
  const ready = new Promise<void>((resolve) => {
    bridge!.oninitialized = () => {
      void bridge!
        .sendToolInput({ arguments: req.input })
        .then(() => bridge!.sendToolResult(req.result))
        .then(() => resolve());
    };
  });
  bridge.onsizechange = ({ height }) => {
    if (height) frame.style.height = `${Math.ceil(height)}px`;
  };
  // Listen before the view loads: it says ui/initialize as soon as its script runs.
  const win = frame.contentWindow!;
  await bridge.connect(new PostMessageTransport(win, win));
  frame.src = `/view/${req.view}.html`;
  await ready;
}

function setTheme(theme: 'light' | 'dark'): void {
  document.body.dataset.theme = theme;
  context = { ...context, theme };
  bridge?.setHostContext(context);
}

declare global {
  interface Window {
    cctraderHost: { show: typeof show; setTheme: typeof setTheme };
  }
}

window.cctraderHost = { show, setTheme };
