/** The MCP server on stdio: stdout carries only JSON-RPC; logs go to stderr. */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Deps } from '../deps.js';
import { createMcpServer, type McpServerOptions } from './server.js';

export interface StdioHandle {
  /** Resolves when the client closes stdin or the transport closes. */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** `deps` may be a promise: the server answers the handshake and tools/list at once, and tool
 * calls wait until the desk (database, migrations) is ready. */
export async function serveStdio(deps: Deps | Promise<Deps>, stdin: Readable, stdout: Writable, options: McpServerOptions = {}): Promise<StdioHandle> {
  const server = createMcpServer(deps, options);
  const transport = new StdioServerTransport(stdin, stdout);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const onclose = server.onclose;
  server.onclose = () => {
    onclose?.();
    resolveClosed();
  };
  stdin.once('end', () => void server.close());
  await server.connect(transport);
  void Promise.resolve(deps).then(
    (d) => d.log.info('mcp server listening on stdio'),
    () => {},
  );
  return { closed, close: () => server.close() };
}
