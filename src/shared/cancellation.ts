/**
 * The cancellation of the call in progress, carried with the call's async context: the MCP server
 * runs each tool call inside `withCancellation(signal, …)`, and the edges that send requests (the
 * exchange's request budget, the news client) read `currentCancellation()` so a cancelled call
 * sends nothing more, without every feature function threading a signal through.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<AbortSignal>();

/** Run `fn` with `signal` as the current call's cancellation. */
export function withCancellation<T>(signal: AbortSignal, fn: () => T): T {
  return scope.run(signal, fn);
}

/** The current call's cancellation, if it runs inside `withCancellation`. */
export function currentCancellation(): AbortSignal | undefined {
  return scope.getStore();
}

/** Run `fn` outside any call's cancellation: for work shared by every call (loading the market list). */
export function detached<T>(fn: () => T): T {
  return scope.exit(fn);
}
