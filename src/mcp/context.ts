/** What every request handler of one MCP server shares: the desk once it is open, the redactor, the log. */
import type { Deps } from '../deps.js';
import type { Logger } from '../log.js';

export interface ServerContext {
  deps: Deps;
  /** Removes every configured secret value from text that leaves the server. */
  redact: (text: string) => string;
  log: Logger;
}

/**
 * The desk may still be opening (the stdio server answers the handshake while the database
 * migrates): handlers await this, which rejects when the desk failed to start.
 */
export type Ready = Promise<ServerContext>;
