/**
 * The MCP logging capability: once a client calls logging/setLevel it receives the desk's log
 * records at that level or above as notifications/message, the same records stderr gets and
 * redacted the same way (they come from the logger after redaction). Before that it receives
 * warnings and errors only. MCP's eight levels map onto the desk's four.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { SetLevelRequestSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { LogFeed, LogLevel, LogRecord, RecordLevel } from '../log.js';
import type { Ready } from './context.js';

const FROM_MCP: Record<LoggingLevel, LogLevel> = {
  debug: 'debug',
  info: 'info',
  notice: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  alert: 'error',
  emergency: 'error',
};

const TO_MCP: Record<RecordLevel, LoggingLevel> = { debug: 'debug', info: 'info', warn: 'warning', error: 'error' };

/** Before logging/setLevel: what a client is sent. */
const DEFAULT_LEVEL: LogLevel = 'warn';

export function registerLogging(server: Server, ready: Ready): { close(): void } {
  let unsubscribe: (() => void) | undefined;
  let closed = false;
  const follow = (feed: LogFeed | undefined, level: LogLevel): void => {
    unsubscribe?.();
    unsubscribe = closed ? undefined : feed?.subscribe(level, (record) => send(server, record));
  };
  void ready.then(
    ({ deps }) => {
      if (!unsubscribe) follow(deps.logFeed, DEFAULT_LEVEL);
    },
    () => {},
  );
  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    const { deps } = await ready;
    follow(deps.logFeed, FROM_MCP[request.params.level]);
    return {};
  });
  return {
    close: () => {
      closed = true;
      unsubscribe?.();
    },
  };
}

function send(server: Server, record: LogRecord): void {
  const { level, component } = record;
  // Not connected (yet, or any more): the record still went to stderr.
  if (!server.transport) return;
  void server
    .sendLoggingMessage({ level: TO_MCP[level], logger: typeof component === 'string' ? `cctrader.${component}` : 'cctrader', data: record })
    .catch(() => {});
}
