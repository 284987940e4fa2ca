/**
 * How a view gets its data and its theme. Two ways in:
 * - an MCP host (MCP Apps): the view connects with ext-apps' `App`, takes the host's theme and
 *   style variables, and draws the tool result's `_meta['cctrader/chart']` each time a result
 *   arrives (and redraws on a theme change);
 * - an HTML report: the page carries the payload inline (`<script type="application/json"
 *   id="cctrader-data">`) and follows the system's light or dark preference.
 * Either way the view fetches nothing.
 */
import { App, applyDocumentTheme, applyHostStyleVariables, type McpUiHostContext } from '@modelcontextprotocol/ext-apps';
import * as z from 'zod/v4';
import { CHART_META_KEY, type ChartPayload } from '../../../src/charts/types.js';
import { readPalette, type Palette } from './theme.js';
import { publish } from './summary.js';

/** Draws `data` into `root`; returns what undoes it (charts removed, listeners dropped). */
export type Render<T> = (data: T, root: HTMLElement, palette: Palette) => () => void;

const VERSION = '1';

// The host's CSP (and ours) allows no eval: keep zod, which ext-apps uses, from probing for it.
z.config({ jitless: true });

export function startView<T extends ChartPayload>(view: T['view'], render: Render<T>): void {
  const root = document.getElementById('app')!;
  let current: T | null = null;
  let undo: (() => void) | null = null;

  const draw = (): void => {
    undo?.();
    undo = null;
    if (!current) return;
    root.replaceChildren();
    root.dataset.state = 'ready';
    undo = render(current, root, readPalette());
  };
  const message = (state: 'empty' | 'error' | 'loading', text: string): void => {
    undo?.();
    undo = null;
    current = null;
    const p = document.createElement('p');
    p.className = 'status';
    p.textContent = text;
    root.replaceChildren(p);
    root.dataset.state = state;
    publish({ view, state, theme: themeNow(), message: text });
  };
  const accept = (payload: unknown, fallbackText: string): void => {
    if (isPayload(payload) && payload.view === view) {
      current = payload as T;
      draw();
    } else message('empty', fallbackText);
  };

  const inline = document.getElementById('cctrader-data');
  if (inline) {
    // An HTML report: follow the system's colour scheme.
    accept(JSON.parse(inline.textContent ?? 'null'), 'This report holds no chart data.');
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', draw);
    return;
  }

  const app = new App({ name: `cctrader-${view}`, version: VERSION }, {}, { autoResize: true });
  const applyContext = (ctx: McpUiHostContext | undefined): void => {
    if (ctx?.theme) applyDocumentTheme(ctx.theme);
    if (ctx?.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  };
  app.ontoolresult = (result) => {
    if (result.isError) {
      const text = result.content?.map((c) => (c.type === 'text' ? c.text : '')).join(' ') ?? '';
      return message('error', text || 'The tool failed.');
    }
    accept(result._meta?.[CHART_META_KEY], 'No chart for this answer (the desk could not gather its data); the text answer has everything.');
  };
  app.ontoolcancelled = () => message('empty', 'The tool call was cancelled.');
  app.onhostcontextchanged = (ctx) => {
    applyContext(ctx);
    if (ctx.theme || ctx.styles) draw();
  };
  message('loading', 'Waiting for the tool result…');
  app
    .connect()
    .then(() => {
      applyContext(app.getHostContext());
      draw();
    })
    .catch(() => message('error', 'Could not connect to the host.'));
}

function isPayload(x: unknown): x is ChartPayload {
  return typeof x === 'object' && x !== null && typeof (x as { view?: unknown }).view === 'string';
}

export function themeNow(): 'light' | 'dark' {
  return readPalette().dark ? 'dark' : 'light';
}
