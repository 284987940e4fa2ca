/** How a tool is defined: one file per tool, one `defineTool` call, listed in registry.ts. */
import type { z } from 'zod';
import type { ChartPayload, ViewName } from '../charts/types.js';
import type { Deps } from '../deps.js';
import type { Progress } from '../shared/progress.js';
import type { RunBinding } from '../signals/binding.js';

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolContext {
  /** Aborted when the client cancels the call or the connection closes. */
  signal: AbortSignal;
  /** Set on the in-process server of an unattended analysis: the run's portfolio, signal_id and coin. */
  binding?: RunBinding | undefined;
  /** notifications/progress for a call that carries a progressToken; a no-op otherwise. */
  progress: Progress;
}

export interface ToolDefinition<I extends z.ZodRawShape = z.ZodRawShape, O extends z.ZodRawShape = z.ZodRawShape> {
  /** snake_case, stable: agents see it as mcp__cctrader__<name>. */
  name: string;
  title: string;
  /** The documentation the model reads: what it does, when to use it, what comes back. */
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** Thin: call a feature function and shape its answer. Throw AppError for expected failures. */
  handler: (args: z.output<z.ZodObject<I>>, deps: Deps, ctx: ToolContext) => Promise<z.input<z.ZodObject<O>>>;
  /** An MCP App chart view (apps.ts) shown next to the answer by hosts that render views. */
  view?: ToolView<I, O>;
}

export interface ToolView<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  name: ViewName;
  /**
   * What the view draws, from the arguments and the checked answer; it goes in the result's
   * `_meta`, which hosts keep from the model. Called only for clients that render views.
   */
  data: (args: z.output<z.ZodObject<I>>, answer: z.output<z.ZodObject<O>>, deps: Deps, ctx: ToolContext) => Promise<ChartPayload>;
}

export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}

/** A tool of any shape, as the registry holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<any, any>;
