/**
 * The MCP prompts: the analyst's templates from prompts/, published so a Claude Desktop or Claude
 * Code user gets the same analysis as the unattended runner. Each prompt answers one user message:
 * the analyst's standing instructions (prompts/system.md) followed by the rendered task.
 * Names are snake_case like the tools; arguments are the templates' own.
 */
import { ErrorCode as McpErrorCode, type GetPromptResult, type Prompt } from '@modelcontextprotocol/sdk/types.js';
import { PROMPT_TEMPLATES, renderPrompt, type PromptName } from '../../agent/prompts.js';
import { isAppError } from '../../errors.js';
import { rpcError } from '../rpc-error.js';

export interface McpPromptDefinition {
  /** snake_case, stable. */
  name: string;
  template: PromptName;
  /** Template arguments a client may pass (others stay for the runner). */
  arguments: readonly string[];
  /** Values computed when the client gives none (e.g. today's date). */
  defaults?: (now: number) => Record<string, string>;
}

export const promptRegistry: readonly McpPromptDefinition[] = [
  { name: 'mover_analysis', template: 'mover-analysis', arguments: ['symbol', 'direction', 'change', 'timeframes'] },
  { name: 'symbol_analysis', template: 'symbol-analysis', arguments: ['symbol', 'timeframes', 'question'] },
  {
    name: 'daily_session_preamble',
    template: 'daily-session-preamble',
    arguments: ['date', 'operation'],
    defaults: (now) => ({ date: new Date(now).toISOString().slice(0, 10) }),
  },
];

/** The prompts/list entries. */
export function promptListing(registry: readonly McpPromptDefinition[] = promptRegistry): Prompt[] {
  return registry.map((def) => {
    const template = PROMPT_TEMPLATES[def.template];
    const computed = def.defaults ? Object.keys(def.defaults(0)) : [];
    return {
      name: def.name,
      title: template.title,
      description: template.description,
      arguments: template.arguments
        .filter((a) => def.arguments.includes(a.name))
        .map((a) => ({ name: a.name, description: a.description, required: a.required && !computed.includes(a.name) })),
    };
  });
}

/** A JSON-RPC InvalidParams error (rpc-error.ts). */
function invalidParams(message: string): Error & { code: number } {
  return rpcError(McpErrorCode.InvalidParams, message);
}

/** prompts/get: render one prompt. Unknown names and bad arguments are InvalidParams errors. */
export async function getPrompt(
  name: string,
  args: Record<string, string> | undefined,
  now: number,
  registry: readonly McpPromptDefinition[] = promptRegistry,
): Promise<GetPromptResult> {
  const def = registry.find((p) => p.name === name);
  if (!def) {
    throw invalidParams(`No prompt named ${String(name).slice(0, 60)}; prompts/list shows the available prompts`);
  }
  const given = args ?? {};
  const extra = Object.keys(given).filter((k) => !def.arguments.includes(k));
  if (extra.length > 0) {
    throw invalidParams(`Prompt ${def.name} has no argument ${extra.slice(0, 3).join(', ').slice(0, 80)}; its arguments: ${def.arguments.join(', ')}`);
  }
  const values: Record<string, string | undefined> = { ...def.defaults?.(now) };
  for (const [k, v] of Object.entries(given)) if (v.trim() !== '') values[k] = v;
  try {
    const [system, task] = await Promise.all([renderPrompt('system'), renderPrompt(def.template, values, def.name)]);
    const template = PROMPT_TEMPLATES[def.template];
    return {
      description: template.description,
      messages: [{ role: 'user', content: { type: 'text', text: `${system}\n\n---\n\n${task}` } }],
    };
  } catch (error) {
    if (isAppError(error) && error.code === 'INVALID_INPUT') throw invalidParams(error.toLine());
    throw error;
  }
}
