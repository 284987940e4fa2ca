/**
 * A JSON-RPC error whose message is ours alone. The SDK's McpError puts "MCP error <code>:" into
 * its message and the client puts it in front again; an error with a `code` is sent as it is.
 */
export function rpcError(code: number, message: string, data?: Record<string, unknown>): Error & { code: number; data?: Record<string, unknown> } {
  return Object.assign(new Error(message), { code }, data ? { data } : {});
}
