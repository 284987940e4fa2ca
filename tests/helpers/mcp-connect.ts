/** A real MCP client on the real `cctrader serve`, spawned as a child over stdio or Streamable HTTP. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, childEnv, spawnBin } from './spawn.js';

export type TransportKind = 'stdio' | 'http';

export interface ServedClient {
  client: Client;
  /** The server's stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

export async function serveAndConnect(kind: TransportKind, env: Record<string, string>, flags: string[] = []): Promise<ServedClient> {
  const client = new Client({ name: `surface-${kind}`, version: '1.0.0' });
  if (kind === 'stdio') {
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve', ...flags], env: childEnv(env), stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d) => (stderr += d));
    await client.connect(transport);
    return { client, stderr: () => stderr, close: () => client.close() };
  }
  const child = spawnBin(['serve', '--http', '--port', '0', ...flags], env);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve --http did not start: ${stderr}`)), 20_000);
    child.stderr.on('data', () => {
      const m = /MCP server on (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve --http exited ${code}: ${stderr}`)));
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return {
    client,
    stderr: () => stderr,
    async close() {
      await client.close();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
    },
  };
}
