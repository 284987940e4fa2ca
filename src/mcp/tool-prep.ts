/**
 * A tool as the server serves it: its zod schemas and JSON Schema listing built once per process,
 * and one call of it (arguments checked, run inside the call's cancellation, answer checked
 * against the output schema) for tools/call and for the resources that show a tool's answer.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { withCancellation } from '../shared/cancellation.js';
import type { AnyTool, ToolContext } from './define-tool.js';

export interface PreparedTool {
  def: AnyTool;
  input: z.ZodObject;
  output: z.ZodObject;
  listing: Tool;
}

const prepared = new WeakMap<AnyTool, PreparedTool>();

function jsonSchema(schema: z.ZodObject, io: 'input' | 'output'): Tool['inputSchema'] {
  // `additionalProperties: false` is enforced by the strict zod object on every call; listing it
  // on every tool would only cost tokens.
  // String length bounds guard the server against oversized input; they tell a model nothing it
  // needs, so they stay in the zod schema and out of the listing.
  const {
    $schema: _drop,
    additionalProperties: _strict,
    ...rest
  } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override: ({ jsonSchema: node }) => {
      if (node.type === 'string') {
        delete node.minLength;
        delete node.maxLength;
      }
      // zod's .int() adds the safe-integer range; it says nothing to a model.
      if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
      if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
    },
  }) as Record<string, unknown>;
  return rest as Tool['inputSchema'];
}

type JsonSchemaNode = { type?: unknown; enum?: unknown; anyOf?: JsonSchemaNode[]; properties?: Record<string, JsonSchemaNode> };

/**
 * The output schema as listed: top-level fields with their types, nested objects and arrays named
 * by type only. tools/list is paid for in every conversation, and the full zod schema is still
 * enforced on every answer before it leaves the server, so the listing carries the shape a client
 * needs to read the answer and nothing more.
 */
export function shallowOutputSchema(full: Tool['inputSchema']): Tool['outputSchema'] {
  const properties: Record<string, JsonSchemaNode> = {};
  for (const [key, node] of Object.entries((full.properties ?? {}) as Record<string, JsonSchemaNode>)) {
    properties[key] = shallowNode(node);
  }
  return { type: 'object', properties } as Tool['outputSchema'];
}

function shallowNode(node: JsonSchemaNode): JsonSchemaNode {
  if (node.anyOf) {
    const types = [...new Set(node.anyOf.flatMap((n) => (Array.isArray(n.type) ? n.type : n.type ? [n.type] : [])))];
    return types.length ? { type: types.length === 1 ? types[0] : types } : {};
  }
  return node.type === undefined ? {} : { type: node.type };
}

/** Zod objects and JSON Schemas are built once per process, not per connection. */
export function prepareTool(def: AnyTool): PreparedTool {
  let p = prepared.get(def);
  if (!p) {
    const input = z.object(def.input).strict();
    const output = z.object(def.output);
    p = {
      def,
      input,
      output,
      listing: {
        name: def.name,
        title: def.title,
        description: def.description,
        inputSchema: jsonSchema(input, 'input'),
        outputSchema: shallowOutputSchema(jsonSchema(output, 'output')),
        annotations: { ...def.annotations },
      },
    };
    prepared.set(def, p);
  }
  return p;
}

/** A short, model-readable account of what was wrong with the arguments. */
export function describeInputError(error: z.ZodError): string {
  return error.issues
    .slice(0, 4)
    .map((issue) => {
      const path = issue.path.length ? issue.path.join('.') : 'arguments';
      return `${path}: ${issue.message}`.slice(0, 160);
    })
    .join('; ');
}

/** The error a cancelled call ends with (the client that cancelled it never sees it). */
function cancelled(): AppError {
  return new AppError('CANCELLED', 'The call was cancelled', { hint: 'call again to retry' });
}

/**
 * One call: the arguments checked, the handler run with the call's cancellation in its async
 * context (the exchange and news clients send nothing more once it is aborted) and abandoned at
 * once when it is, the answer checked against the output schema.
 */
export async function invokeTool(
  tool: PreparedTool,
  rawArgs: unknown,
  deps: Deps,
  ctx: ToolContext,
): Promise<{ args: Record<string, unknown>; data: Record<string, unknown> }> {
  const args = tool.input.safeParse(rawArgs ?? {});
  if (!args.success) {
    throw new AppError('INVALID_INPUT', `Invalid arguments for ${tool.def.name}: ${describeInputError(args.error)}`, { hint: 'see the tool input schema' });
  }
  const { signal } = ctx;
  if (signal.aborted) throw cancelled();
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    const value = await Promise.race([withCancellation(signal, () => tool.def.handler(args.data, deps, ctx)), aborted]);
    const checked = tool.output.safeParse(value);
    if (!checked.success) {
      throw new AppError('INTERNAL', `Tool ${tool.def.name} produced an answer outside its schema: ${describeInputError(checked.error)}`);
    }
    return { args: args.data as Record<string, unknown>, data: checked.data as Record<string, unknown> };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
