/** Turning a handler's answer or failure into an MCP tool result. */
import { randomBytes } from 'node:crypto';
import { AppError, toAppError } from '../errors.js';
import type { Logger } from '../log.js';

export interface ToolResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** One compact JSON text block plus the same object as structuredContent. */
export function okResult(value: Record<string, unknown>, redact: (s: string) => string): ToolResult {
  const text = JSON.stringify(value);
  const safe = redact(text);
  return {
    content: [{ type: 'text', text: safe }],
    structuredContent: safe === text ? value : (JSON.parse(safe) as Record<string, unknown>),
  };
}

/**
 * `CODE: message. Hint: ...`. A failure with a known cause (a locked database file, a network
 * failure) gets its code; anything else becomes INTERNAL with a reference, the stack in the log.
 */
export function errorResult(
  error: unknown,
  tool: string,
  log: Logger,
  redact: (s: string) => string,
  context: { dbPath?: string | undefined } = {},
): ToolResult {
  let appError: AppError;
  const known = toAppError(error, context);
  if (known.code !== 'INTERNAL') {
    appError = known;
    if (known.cause !== undefined) log.debug('tool failed', { tool, code: known.code, cause: known.cause });
  } else {
    const ref = randomBytes(3).toString('hex');
    log.error('tool failed unexpectedly', { tool, ref, error });
    appError = new AppError('INTERNAL', `Unexpected failure (ref ${ref})`, {
      hint: 'this is a bug in cctrader; the server log has the details under this ref',
    });
  }
  return { content: [{ type: 'text', text: redact(appError.toLine()) }], isError: true };
}
