/**
 * The agent port on the Claude Agent SDK. The SDK runs its bundled native `claude` binary, which
 * calls the Anthropic Messages API; our MCP server is attached in-process (the SDK's `type: 'sdk'`
 * server transport), so tool calls run in this process on the same Deps, database and caches.
 *
 * Every run is unattended and deterministic: no settings files, no built-in tools, no MCP servers
 * but ours, only our tools allowed without asking, turn and spend caps, a private config directory
 * (session transcripts, no user credentials) and a fixed working directory (transcripts are keyed
 * by it, so a later process finds the session to resume).
 *
 * The SDK module is imported on the first run: it must not slow the server's start-up.
 */
import { randomUUID } from 'node:crypto';
import { access, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as ClaudeSdkModule from '@anthropic-ai/claude-agent-sdk';
import type { McpServerConfig, Options, SDKMessage, SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../log.js';
import type { RunBinding } from '../signals/binding.js';
import type {
  AgentBackend,
  AgentErrorCode,
  AgentMessageUsage,
  AgentModelUsage,
  AgentRunRequest,
  AgentRunResult,
  AgentToolCall,
  AgentTokenUsage,
} from './types.js';

/** What the SDK needs of an MCP server instance: it only ever calls `connect(transport)`. Our
 * `createMcpServer()` (the MCP SDK's low-level `Server`) has it; so does the high-level `McpServer`. */
export interface InProcessMcpServer {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

export interface ClaudeAgentBackendOptions {
  /** ANTHROPIC_API_KEY; without it the binary answers "Not logged in" (errorCode AUTH). */
  apiKey?: string;
  /** ANTHROPIC_BASE_URL (a proxy, a gateway, or a test fake). */
  baseUrl?: string;
  /** The environment the `claude` child starts from (PATH, HOME, proxies...). Passed in by the
   * composition root; Anthropic and Claude Code variables and the desk's own secrets are removed. */
  baseEnv: Record<string, string | undefined>;
  /** CLAUDE_CONFIG_DIR of the child: transcripts live in `<configDir>/projects/`. Resuming needs the same dir. */
  configDir: string;
  /** Fixed working directory of the child (created if missing). */
  cwd: string;
  /** A fresh cctrader MCP server per run, limited to `tools` when given, with every tool marked
   * always-loaded (`_meta['anthropic/alwaysLoad']`) so none is deferred behind a tool search. */
  createMcpServer: (options: { tools?: readonly string[]; binding?: RunBinding }) => InProcessMcpServer;
  /** Tools of a run that names none (bare names); all of the server's tools when absent. */
  defaultTools?: readonly string[];
  /** CLAUDE_CODE_MAX_RETRIES of the child: retries of a 429/5xx/connection fault per model request. */
  maxRetries?: number;
  /** Hard limit of one tool call, ms (the SDK's per-server timeout). */
  toolTimeoutMs?: number;
  /** Use another `claude` executable than the SDK's bundled one. */
  pathToClaudeCodeExecutable?: string;
  log: Logger;
  /** How the SDK module is loaded (tests may count or replace it). */
  loadSdk?: () => Promise<ClaudeSdk>;
}

export type ClaudeSdk = typeof ClaudeSdkModule;

const SERVER_NAME = 'cctrader';
const TOOL_PREFIX = `mcp__${SERVER_NAME}__`;
const RESULT_TEXT_MAX = 4000;

/** Child variables we set ourselves, or that would steer the child away from a deterministic run
 * (other credentials, providers, config dirs), plus the desk's own secrets, which the child never needs. */
const DROPPED_ENV = /^(ANTHROPIC_|CLAUDE_CODE_|CLAUDE_CONFIG_DIR$|CLAUDECODE$|CLAUDE_AGENT_SDK_|AWS_BEARER_TOKEN_BEDROCK$|BYBIT_|PERPLEXITY_|CCTRADER_)/;

export function agentChildEnv(options: Pick<ClaudeAgentBackendOptions, 'baseEnv' | 'apiKey' | 'baseUrl' | 'configDir' | 'maxRetries'>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.baseEnv)) {
    if (value !== undefined && !DROPPED_ENV.test(key)) env[key] = value;
  }
  if (options.apiKey) env.ANTHROPIC_API_KEY = options.apiKey;
  if (options.baseUrl) env.ANTHROPIC_BASE_URL = options.baseUrl;
  env.CLAUDE_CONFIG_DIR = options.configDir;
  // One POST /v1/messages per model turn and nothing else: no /api/hello, no title request.
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  env.DISABLE_TELEMETRY = '1';
  env.DISABLE_AUTOUPDATER = '1';
  env.DISABLE_ERROR_REPORTING = '1';
  if (options.maxRetries !== undefined) env.CLAUDE_CODE_MAX_RETRIES = String(options.maxRetries);
  env.CLAUDE_AGENT_SDK_CLIENT_APP = 'cctrader';
  return env;
}

/** Fields of SDK messages we read; several are present on the wire but not in the SDK's types. */
interface AssistantView {
  message?: { id?: string; model?: string; content?: unknown; usage?: Record<string, unknown> };
  error?: string;
  api_error_status?: number | null;
}
interface ResultView {
  api_error_status?: number | null;
  terminal_reason?: string;
  errors?: string[];
  model_usage_since_last_result?: Record<string, Record<string, unknown>>;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function tokenUsage(u: Record<string, unknown> | undefined): AgentTokenUsage {
  return {
    inputTokens: num(u?.input_tokens),
    outputTokens: num(u?.output_tokens),
    cacheReadInputTokens: num(u?.cache_read_input_tokens),
    cacheCreationInputTokens: num(u?.cache_creation_input_tokens),
  };
}

function modelUsage(raw: Record<string, Record<string, unknown>> | undefined): Record<string, AgentModelUsage> {
  const out: Record<string, AgentModelUsage> = {};
  for (const [model, u] of Object.entries(raw ?? {})) {
    out[model] = {
      inputTokens: num(u.inputTokens),
      outputTokens: num(u.outputTokens),
      cacheReadInputTokens: num(u.cacheReadInputTokens),
      cacheCreationInputTokens: num(u.cacheCreationInputTokens),
      costUsd: num(u.costUSD),
    };
  }
  return out;
}

function blocks(content: unknown): Array<Record<string, unknown>> {
  return Array.isArray(content) ? content.filter((b): b is Record<string, unknown> => typeof b === 'object' && b !== null) : [];
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  return blocks(content)
    .map((b) => (b.type === 'text' && typeof b.text === 'string' ? b.text : ''))
    .join('');
}

function usd(n: number): string {
  return `$${n < 0.01 ? n.toFixed(4) : n.toFixed(2)}`;
}

interface Classified {
  code: AgentErrorCode;
  message: string;
}

/** Our code and sentence for an error result. Upstream text is never copied. */
export function classifyResult(result: SDKResultMessage, lastAssistantError: string | undefined, request: AgentRunRequest): Classified {
  const view = result as unknown as ResultView;
  if (result.subtype === 'error_max_budget_usd') {
    return { code: 'BUDGET_EXCEEDED', message: `Spend cap of ${usd(request.maxBudgetUsd)} for this analysis reached (${usd(result.total_cost_usd)} spent)` };
  }
  if (result.subtype === 'error_max_turns') {
    return { code: 'MAX_TURNS', message: `Turn cap of ${request.maxTurns} reached before the analysis finished` };
  }
  const status = typeof view.api_error_status === 'number' ? view.api_error_status : null;
  const kind = lastAssistantError;
  if (
    status === 401 ||
    status === 403 ||
    kind === 'authentication_failed' ||
    kind === 'oauth_org_not_allowed' ||
    kind === 'account_on_hold' ||
    kind === 'verification_required' ||
    kind === 'cloud_credential_error'
  ) {
    return status === null
      ? { code: 'AUTH', message: 'Not logged in to the Anthropic API: ANTHROPIC_API_KEY is not set' }
      : { code: 'AUTH', message: `The Anthropic API refused the credentials (HTTP ${status}): check ANTHROPIC_API_KEY` };
  }
  if (kind === 'billing_error' || status === 402) return { code: 'AUTH', message: 'The Anthropic account cannot be billed: check its plan and credit' };
  if (status === 429 || kind === 'rate_limit') return { code: 'RATE_LIMITED', message: 'The Anthropic API rate limit was hit (HTTP 429) and retries ran out' };
  if ((status !== null && status >= 500) || kind === 'overloaded' || kind === 'server_error') {
    return { code: 'UPSTREAM_UNAVAILABLE', message: `The Anthropic API is unavailable (HTTP ${status ?? 'error'}) and retries ran out` };
  }
  if (kind === 'model_not_found' || status === 404)
    return { code: 'CONFIG', message: `Model ${request.model.slice(0, 60)} is not available: check CLAUDE_MODEL` };
  if (view.terminal_reason === 'prompt_too_long' || status === 413)
    return { code: 'INVALID_INPUT', message: 'The conversation is too long for the model (start a new session)' };
  if (status === 400 || kind === 'invalid_request') return { code: 'INVALID_INPUT', message: 'The Anthropic API rejected the request as invalid (HTTP 400)' };
  if (kind === 'max_output_tokens') return { code: 'BAD_RESPONSE', message: 'The model hit its output token limit' };
  if (view.terminal_reason === 'api_error') return { code: 'UPSTREAM_UNAVAILABLE', message: 'The Anthropic API could not be reached' };
  if ((view.errors ?? []).some((e) => /no conversation found/i.test(e))) return { code: 'NOT_FOUND', message: 'The session to resume was not found' };
  return { code: 'INTERNAL', message: `The agent run failed (${String(view.terminal_reason ?? result.subtype).slice(0, 40)})` };
}

export class ClaudeAgentBackend implements AgentBackend {
  readonly name = 'claude';
  private sdk: Promise<ClaudeSdk> | undefined;
  private readonly sessionQueues = new Map<string, Promise<void>>();
  private readonly log: Logger;

  constructor(private readonly options: ClaudeAgentBackendOptions) {
    this.log = options.log.child({ component: 'agent' });
  }

  private loadSdk(): Promise<ClaudeSdk> {
    this.sdk ??= (this.options.loadSdk ?? (() => import('@anthropic-ai/claude-agent-sdk')))();
    return this.sdk;
  }

  /** Whether a transcript of the session exists in our config dir (any project folder). */
  async sessionExists(sessionId: string): Promise<boolean> {
    const projects = join(this.options.configDir, 'projects');
    let dirs: string[];
    try {
      dirs = await readdir(projects);
    } catch {
      return false;
    }
    for (const dir of dirs) {
      try {
        await access(join(projects, dir, `${sessionId}.jsonl`));
        return true;
      } catch {
        // not in this folder
      }
    }
    return false;
  }

  /** Runs of one session in this process take turns: two at once would fork its transcript. */
  run(request: AgentRunRequest): Promise<AgentRunResult> {
    const sessionId = request.session.sessionId ?? randomUUID();
    const previous = this.sessionQueues.get(sessionId) ?? Promise.resolve();
    const next = previous.then(() => this.runOnce(request, sessionId));
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.sessionQueues.set(sessionId, settled);
    void settled.then(() => {
      if (this.sessionQueues.get(sessionId) === settled) this.sessionQueues.delete(sessionId);
    });
    return next;
  }

  private async runOnce(request: AgentRunRequest, requested: string): Promise<AgentRunResult> {
    const started = performance.now();
    const resume = await this.sessionExists(requested);
    const log = this.log.child({
      operation: request.attribution.operation,
      symbol: request.attribution.symbol,
      cycleId: request.attribution.cycleId,
      session: requested,
    });
    if (resume !== (request.session.mode === 'resume')) {
      log.info(resume ? 'session already has a transcript: resuming it' : 'session transcript not found: starting it fresh');
    }
    const transcript = new RunTranscript(requested, request.model);
    const stderrTail: string[] = [];
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    if (request.signal?.aborted) abort.abort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    let server: InProcessMcpServer | undefined;
    let thrown: unknown;
    try {
      await mkdir(this.options.cwd, { recursive: true });
      await mkdir(this.options.configDir, { recursive: true });
      const sdk = await this.loadSdk();
      const tools = request.tools ?? this.options.defaultTools;
      server = this.options.createMcpServer({ ...(tools ? { tools } : {}), ...(request.binding ? { binding: request.binding } : {}) });
      const options = this.sdkOptions(request, { tools, server, abort, resume, requested, stderrTail });
      for await (const message of sdk.query({ prompt: request.prompt, options }) as AsyncIterable<SDKMessage>) transcript.take(message);
    } catch (error) {
      // After an error result the iterator throws; the result message is the truth then.
      thrown = error;
    } finally {
      request.signal?.removeEventListener('abort', onAbort);
      await server?.close().catch(() => undefined);
    }
    const durationMs = Math.round(performance.now() - started);
    const aborted = abort.signal.aborted;
    if (!transcript.result) return runWithoutResult(transcript, { resume, durationMs, aborted, thrown, log, stderr: stderrTail.join('') });
    return runWithResult(transcript, transcript.result, { resume, durationMs, aborted, request, log });
  }

  /** An unattended, deterministic run: no settings, no built-in tools, only ours allowed, caps, a private config dir. */
  private sdkOptions(
    request: AgentRunRequest,
    run: { tools: readonly string[] | undefined; server: InProcessMcpServer; abort: AbortController; resume: boolean; requested: string; stderrTail: string[] },
  ): Options {
    const mcp = {
      type: 'sdk',
      name: SERVER_NAME,
      // The SDK calls only instance.connect(transport); its type names the high-level McpServer.
      instance: run.server as unknown as Extract<McpServerConfig, { type: 'sdk' }>['instance'],
      ...(this.options.toolTimeoutMs ? { timeout: this.options.toolTimeoutMs } : {}),
    } satisfies McpServerConfig;
    return {
      model: request.model,
      systemPrompt: request.systemPrompt,
      maxTurns: request.maxTurns,
      maxBudgetUsd: request.maxBudgetUsd,
      settingSources: [],
      strictMcpConfig: true,
      tools: [],
      permissionMode: 'dontAsk',
      allowedTools: run.tools ? run.tools.map((t) => TOOL_PREFIX + t) : [`mcp__${SERVER_NAME}`],
      mcpServers: { [SERVER_NAME]: mcp },
      cwd: this.options.cwd,
      env: agentChildEnv(this.options),
      abortController: run.abort,
      persistSession: true,
      ...(run.resume ? { resume: run.requested } : { sessionId: run.requested }),
      ...(this.options.pathToClaudeCodeExecutable ? { pathToClaudeCodeExecutable: this.options.pathToClaudeCodeExecutable } : {}),
      stderr: (data: string) => {
        run.stderrTail.push(data.slice(0, 500));
        if (run.stderrTail.length > 20) run.stderrTail.shift();
      },
    };
  }
}

/** What a run's message stream said: tool calls and their answers, per-message usage, the last text, the result. */
class RunTranscript {
  readonly toolCalls: AgentToolCall[] = [];
  readonly messageUsage: AgentMessageUsage[] = [];
  private readonly byToolId = new Map<string, AgentToolCall>();
  private readonly seenMessages = new Set<string>();
  lastText = '';
  lastAssistantError: string | undefined;
  result: SDKResultMessage | undefined;

  constructor(
    public sessionId: string,
    private readonly model: string,
  ) {}

  take(message: SDKMessage): void {
    if (message.type === 'system' && message.subtype === 'init') this.sessionId = message.session_id;
    else if (message.type === 'assistant') this.assistant(message as unknown as AssistantView);
    else if (message.type === 'user') this.toolResults(message.message.content);
    else if (message.type === 'result') {
      this.result = message;
      this.sessionId = message.session_id;
    }
  }

  private assistant(view: AssistantView): void {
    const m = view.message;
    if (view.error) this.lastAssistantError = view.error;
    if (!m || m.model === '<synthetic>') return;
    if (m.id && !this.seenMessages.has(m.id)) {
      this.seenMessages.add(m.id);
      this.messageUsage.push({ messageId: m.id, model: String(m.model ?? this.model), ...tokenUsage(m.usage) });
    }
    for (const block of blocks(m.content)) {
      if (block.type === 'text' && typeof block.text === 'string') this.lastText = block.text;
      if (block.type === 'tool_use' && typeof block.id === 'string' && !this.byToolId.has(block.id)) {
        const call: AgentToolCall = { id: block.id, name: String(block.name), input: block.input, isError: null, resultText: null };
        this.byToolId.set(block.id, call);
        this.toolCalls.push(call);
      }
    }
  }

  private toolResults(content: unknown): void {
    for (const block of blocks(content)) {
      if (block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue;
      const call = this.byToolId.get(block.tool_use_id);
      if (!call) continue;
      call.isError = block.is_error === true;
      call.resultText = toolResultText(block.content).slice(0, RESULT_TEXT_MAX);
    }
  }
}

const STOPPED = { code: 'ABORTED' as const, message: 'The analysis was stopped before it finished' };

/** A run that ended without a result message (stopped, or the program could not run): usage is what the messages said. */
function runWithoutResult(
  t: RunTranscript,
  r: { resume: boolean; durationMs: number; aborted: boolean; thrown: unknown; log: Logger; stderr: string },
): AgentRunResult {
  const classified: Classified = r.aborted ? STOPPED : classifyThrown(r.thrown);
  r.log.warn('agent run ended without a result', { code: classified.code, error: r.thrown, stderr: r.stderr.slice(-2000) });
  return {
    sessionId: t.sessionId,
    resumed: r.resume,
    toolCalls: t.toolCalls,
    messageUsage: t.messageUsage,
    durationMs: r.durationMs,
    isError: true,
    errorCode: classified.code,
    errorMessage: classified.message,
    text: t.lastText,
    numTurns: t.messageUsage.length,
    usage: sumUsage(t.messageUsage),
    modelUsage: {},
    totalCostUsd: 0,
    runCostUsd: null,
    usageExact: false,
  };
}

/** A run with its result message: the exact usage and cost, and our code for a failure. */
function runWithResult(
  t: RunTranscript,
  result: SDKResultMessage,
  r: { resume: boolean; durationMs: number; aborted: boolean; request: AgentRunRequest; log: Logger },
): AgentRunResult {
  const view = result as unknown as ResultView;
  const since = view.model_usage_since_last_result;
  const runCostUsd = since ? Object.values(modelUsage(since)).reduce((s, u) => s + u.costUsd, 0) : r.resume ? null : result.total_cost_usd;
  const classified = r.aborted ? STOPPED : result.is_error ? classifyResult(result, t.lastAssistantError, r.request) : null;
  if (classified) {
    r.log.warn('agent run failed', {
      code: classified.code,
      subtype: result.subtype,
      status: view.api_error_status ?? null,
      terminal: view.terminal_reason ?? null,
    });
  } else r.log.debug('agent run done', { turns: result.num_turns, tools: t.toolCalls.length, costUsd: runCostUsd, ms: r.durationMs });
  return {
    sessionId: t.sessionId,
    resumed: r.resume,
    toolCalls: t.toolCalls,
    messageUsage: t.messageUsage,
    durationMs: r.durationMs,
    isError: result.is_error || r.aborted,
    errorCode: classified?.code ?? null,
    errorMessage: classified?.message ?? null,
    text: result.subtype === 'success' && !result.is_error ? result.result : t.lastText,
    numTurns: result.num_turns,
    usage: tokenUsage(result.usage as unknown as Record<string, unknown>),
    modelUsage: modelUsage(result.modelUsage as unknown as Record<string, Record<string, unknown>>),
    totalCostUsd: result.total_cost_usd,
    runCostUsd,
    usageExact: true,
  };
}

function sumUsage(records: readonly AgentTokenUsage[]): AgentTokenUsage {
  const total: AgentTokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 };
  for (const r of records) {
    total.inputTokens += r.inputTokens;
    total.outputTokens += r.outputTokens;
    total.cacheReadInputTokens += r.cacheReadInputTokens;
    total.cacheCreationInputTokens += r.cacheCreationInputTokens;
  }
  return total;
}

/** A run that ended without a result message: the binary could not start, or exited early. */
function classifyThrown(error: unknown): Classified {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  const text = error instanceof Error ? error.message : String(error);
  if (code === 'ENOENT' || /ENOENT|not found at|native binary|executable/i.test(text)) {
    return {
      code: 'CONFIG',
      message: 'The claude executable of the Claude Agent SDK could not be started (is @anthropic-ai/claude-agent-sdk installed with its platform package?)',
    };
  }
  if (/already in use/i.test(text)) return { code: 'CONFLICT', message: 'The session is already in use by another run' };
  return { code: 'INTERNAL', message: 'The claude process ended without a result' };
}

/** Where the analyst keeps its transcripts (`config`) and runs (`workspace`): AGENT_DIR, else an
 * `agent/` folder next to the database file, else (in-memory database) one in the temp folder. */
export function agentDirs(settings: { AGENT_DIR?: string | undefined; DB_PATH?: string | undefined }, tmp: string): { configDir: string; cwd: string } {
  const db = settings.DB_PATH;
  const root = settings.AGENT_DIR ?? (db && db !== ':memory:' && !db.startsWith('file::memory:') ? join(dirname(db), 'agent') : join(tmp, 'cctrader-agent'));
  return { configDir: join(root, 'config'), cwd: join(root, 'workspace') };
}
