/** Turning a handler's answer or failure into an MCP tool result. */
import { randomBytes } from 'node:crypto';
import { AppError, isAppError } from '../errors.js';
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

/** `CODE: message. Hint: ...`. Unexpected errors become INTERNAL with a reference; the stack goes to the log. */
export function errorResult(error: unknown, tool: string, log: Logger, redact: (s: string) => string): ToolResult {
  let appError: AppError;
  if (isAppError(error) && error.code !== 'INTERNAL') {
    appError = error;
    if (error.cause !== undefined) log.debug('tool failed', { tool, code: error.code, cause: error.cause });
  } else {
    const ref = randomBytes(3).toString('hex');
    log.error('tool failed unexpectedly', { tool, ref, error });
    appError = new AppError('INTERNAL', `Unexpected failure (ref ${ref})`, {
      hint: 'this is a bug in cctrader; the server log has the details under this ref',
    });
  }
  return { content: [{ type: 'text', text: redact(appError.toLine()) }], isError: true };
}
