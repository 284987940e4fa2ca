/**
 * How long work reports how far it has got: `done` of `total` steps, with a short message naming
 * the step just finished. The MCP server turns it into notifications/progress for a client that
 * asked (a progressToken); elsewhere it is a no-op.
 */
export type Progress = (done: number, total: number, message: string) => void;

export const noProgress: Progress = () => {};

/** A counter over `total` steps: each `step(message)` reports one more done. */
export function progressCounter(report: Progress, total: number): (message: string) => void {
  let done = 0;
  return (message) => report(Math.min(++done, total), total, message);
}
