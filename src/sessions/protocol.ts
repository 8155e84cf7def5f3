/**
 * Wire protocol v1.1 between the SDK and `GET /ws`: JSON text frames, snake_case. See PROTOCOL.md beside this file.
 * Pure: parsing and validation only, shared by the gateway and its unit tests.
 */

/** Sent in login_ok. 1.0 servers sent the number 1; 1.1 adds cancel, ack status and edited verdicts (PROTOCOL.md). */
export const PROTOCOL_VERSION = '1.1';

/** A cancel's reason, at most (characters). */
export const MAX_CANCEL_REASON = 2000;

/**
 * Arrays and objects an event's `input` may nest, at most. Deeper inputs are refused before anything else reads them:
 * recursive code down the line (JSON.stringify among it) would overflow the stack on them.
 */
export const MAX_INPUT_DEPTH = 64;

/** WebSocket close codes Arbiter uses. */
export const CloseCode = {
  normal: 1000,
  messageTooBig: 1009,
  serverRestarting: 1012,
  slowConsumer: 1013,
  superseded: 4001,
  /** A person ended the session (POST /api/sessions/:id/end): no login claims it again. */
  sessionEnded: 4002,
  protocolError: 4400,
  unauthorized: 4401,
  loginTimeout: 4408,
  sessionInUse: 4409,
} as const;

export interface LoginFrame {
  type: 'login';
  session_id: string;
  resume_token?: string;
  api_key?: string;
  agent_id?: string;
  source?: string;
}

export interface EventFrame {
  type: 'event';
  event_id: string;
  kind: 'tool' | 'llm';
  tool?: string;
  input?: unknown;
  agent_id?: string;
}

export const ACK_STATUSES = ['received', 'discarded'] as const;
export type AckStatus = (typeof ACK_STATUSES)[number];

export interface AckFrame {
  type: 'ack';
  event_id: string;
  /** 1.1: `discarded` when the verdict came after its caller gave up. Absent means received (the 1.0 meaning). */
  status?: AckStatus;
}

/** 1.1: the agent withdraws an action it asked about (its caller gave up waiting). */
export interface CancelFrame {
  type: 'cancel';
  event_id: string;
  reason?: string;
}

/** Tools listed in one inventory, at most; a tool's description, at most (characters). */
export const MAX_INVENTORY_TOOLS = 1000;
export const MAX_TOOL_DESCRIPTION = 1000;

/**
 * 1.1: the tools the session can reach (the MCP gateway reports its server's `tools/list`), named as its events name
 * them. Replaces the session's previous inventory.
 */
export interface InventoryFrame {
  type: 'inventory';
  server: { name: string; version?: string };
  tools: Array<{ name: string; description?: string }>;
}

export type ClientFrame = LoginFrame | EventFrame | AckFrame | CancelFrame | InventoryFrame;

export interface LoginOkFrame {
  type: 'login_ok';
  session: string;
  connection_id: string;
  epoch: number;
  resume_token: string;
  mode: 'monitor' | 'block' | 'hitl';
  protocol: typeof PROTOCOL_VERSION;
}

export interface VerdictFrame {
  type: 'verdict';
  event_id: string;
  decision: 'allow' | 'block';
  reason: string;
  source: 'policy' | 'review' | 'timeout';
  review_id: string | null;
  input_sha256: string;
  /**
   * 1.1, only on an approval a reviewer edited: `input` is what to run, `input_sha256` its hash (over kind, tool and the
   * edited input) and `original_input_sha256` the hash of what the agent sent.
   */
  edited?: true;
  input?: unknown;
  original_input_sha256?: string;
}

/** The answer to a cancel: whether it withdrew a pending review. */
export interface CancelledFrame {
  type: 'cancelled';
  event_id: string;
  review_id: string | null;
  result: CancelResult;
}

/**
 * `withdrawn`: the review is withdrawn (by this cancel or an earlier one) and no verdict follows; `already_decided`:
 * the event has its verdict, which is delivered as usual; `unknown_event`: the session has no such event.
 */
export type CancelResult = 'withdrawn' | 'already_decided' | 'unknown_event';

export interface PendingFrame {
  type: 'pending';
  event_id: string;
  review_id: string;
}

export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
  event_id?: string;
}

/** The answer to an inventory: which of its tools the project's policy blocks whatever their input. */
export interface InventoryOkFrame {
  type: 'inventory_ok';
  always_blocked: string[];
}

export type ServerFrame = LoginOkFrame | VerdictFrame | PendingFrame | CancelledFrame | InventoryOkFrame | ErrorFrame;

/** The outcome of reading one frame: a frame, a fatal protocol error (close 4400), or a bad event (error frame). */
export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; fatal: true; message: string }
  | { ok: false; fatal: false; message: string; eventId?: string };

// Printable: no C0/C1 control characters.
const PRINTABLE = /^[^\u0000-\u001f\u007f-\u009f]+$/;
const LOGIN_FIELDS = new Set(['type', 'session_id', 'resume_token', 'api_key', 'agent_id', 'source']);
const EVENT_FIELDS = new Set(['type', 'event_id', 'kind', 'tool', 'input', 'agent_id']);
const ACK_FIELDS = new Set(['type', 'event_id', 'status']);
const CANCEL_FIELDS = new Set(['type', 'event_id', 'reason']);
const INVENTORY_FIELDS = new Set(['type', 'server', 'tools']);
const INVENTORY_SERVER_FIELDS = new Set(['name', 'version']);
const INVENTORY_TOOL_FIELDS = new Set(['name', 'description']);

function label(value: unknown, name: string, max = 200): string | undefined {
  if (typeof value !== 'string' || value.length < 1 || value.length > max || !PRINTABLE.test(value)) {
    return `${name} must be 1-${max} printable characters`;
  }
  return undefined;
}

function optionalLabel(value: unknown, name: string, max = 200): string | undefined {
  return value === undefined ? undefined : label(value, name, max);
}

/** Free text, so line breaks are allowed; other control characters are not. */
function optionalReason(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_CANCEL_REASON || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) {
    return `reason must be a string of at most ${MAX_CANCEL_REASON} characters without control characters other than line breaks and tabs`;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function inventoryProblem(f: Record<string, unknown>): string | undefined {
  const extra = unknownField(f, INVENTORY_FIELDS);
  if (extra) return extra;
  if (!isObject(f.server)) return 'server must be an object';
  const server = unknownField(f.server, INVENTORY_SERVER_FIELDS) ?? label(f.server.name, 'server.name') ?? optionalLabel(f.server.version, 'server.version');
  if (server) return server;
  if (!Array.isArray(f.tools) || f.tools.length > MAX_INVENTORY_TOOLS) return `tools must be an array of at most ${MAX_INVENTORY_TOOLS} tools`;
  for (const tool of f.tools as unknown[]) {
    if (!isObject(tool)) return 'each tool must be an object';
    const problem =
      unknownField(tool, INVENTORY_TOOL_FIELDS) ??
      label(tool.name, 'tool name') ??
      (tool.description === undefined || (typeof tool.description === 'string' && tool.description.length <= MAX_TOOL_DESCRIPTION && !tool.description.includes('\u0000'))
        ? undefined
        : `a tool's description must be a string of at most ${MAX_TOOL_DESCRIPTION} characters`);
    if (problem) return problem;
  }
  return undefined;
}

function unknownField(frame: Record<string, unknown>, allowed: Set<string>): string | undefined {
  const extra = Object.keys(frame).find((k) => !allowed.has(k));
  return extra === undefined ? undefined : `unknown field ${JSON.stringify(extra.slice(0, 50))}`;
}

/** Whether valid JSON text nests arrays and objects deeper than `limit`; a scan, so any depth is safe to measure. */
export function nestsDeeperThan(json: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * The string members of a JSON text's top-level object (nested values skipped), read by a scan until `type` and
 * `event_id` are found: for a frame too deep to be worth parsing, to name them.
 */
function topLevelStrings(json: string): Record<string, string> {
  const found: Record<string, string> = {};
  let depth = 0;
  let expectKey = false;
  let key: string | undefined;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) {
      let end = i + 1;
      while (end < json.length && json.charCodeAt(end) !== 0x22) end += json.charCodeAt(end) === 0x5c ? 2 : 1;
      if (depth === 1) {
        let text: string | undefined;
        try {
          text = JSON.parse(json.slice(i, end + 1)) as string;
        } catch {
          text = undefined;
        }
        if (expectKey) {
          key = text;
          expectKey = false;
        } else if (key !== undefined && text !== undefined) {
          found[key] = text;
          key = undefined;
          if (found.type !== undefined && found.event_id !== undefined) return found;
        }
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 1) expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && depth === 1) {
      expectKey = true;
      key = undefined;
    }
  }
  return found;
}

const TOO_DEEP = `input must not nest arrays and objects deeper than ${MAX_INPUT_DEPTH} levels`;

export function parseClientFrame(data: string): ParseResult {
  // Measured before parsing: V8's JSON.parse takes tens of milliseconds over 20,000 levels of nesting (a 40 KB frame),
  // time the event loop would not spend on anyone else's frames. The frame is one level around its input.
  if (nestsDeeperThan(data, MAX_INPUT_DEPTH + 1)) {
    const fields = topLevelStrings(data);
    if (fields.type !== 'event') return { ok: false, fatal: true, message: `frame must not nest arrays and objects deeper than ${MAX_INPUT_DEPTH + 1} levels` };
    const eventId = label(fields.event_id, 'event_id') ? undefined : fields.event_id;
    return { ok: false, fatal: false, message: `event: ${TOO_DEEP}`, eventId };
  }
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return { ok: false, fatal: true, message: 'frame is not JSON' };
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    return { ok: false, fatal: true, message: 'frame must be a JSON object' };
  }
  const f = frame as Record<string, unknown>;
  switch (f.type) {
    case 'login': {
      const problem =
        unknownField(f, LOGIN_FIELDS) ??
        label(f.session_id, 'session_id') ??
        optionalLabel(f.resume_token, 'resume_token') ??
        optionalLabel(f.api_key, 'api_key', 500) ??
        optionalLabel(f.agent_id, 'agent_id') ??
        optionalLabel(f.source, 'source');
      return problem ? { ok: false, fatal: true, message: `login: ${problem}` } : { ok: true, frame: f as unknown as LoginFrame };
    }
    case 'event': {
      const idProblem = label(f.event_id, 'event_id');
      const eventId = idProblem ? undefined : (f.event_id as string);
      const problem =
        idProblem ??
        unknownField(f, EVENT_FIELDS) ??
        (f.kind === 'tool' || f.kind === 'llm' ? undefined : 'kind must be "tool" or "llm"') ??
        optionalLabel(f.tool, 'tool') ??
        optionalLabel(f.agent_id, 'agent_id');
      return problem ? { ok: false, fatal: false, message: `event: ${problem}`, eventId } : { ok: true, frame: f as unknown as EventFrame };
    }
    case 'ack': {
      const problem =
        unknownField(f, ACK_FIELDS) ??
        label(f.event_id, 'event_id') ??
        (f.status === undefined || (ACK_STATUSES as readonly unknown[]).includes(f.status) ? undefined : 'status must be "received" or "discarded"');
      return problem ? { ok: false, fatal: false, message: `ack: ${problem}` } : { ok: true, frame: f as unknown as AckFrame };
    }
    case 'cancel': {
      const idProblem = label(f.event_id, 'event_id');
      const problem = idProblem ?? unknownField(f, CANCEL_FIELDS) ?? optionalReason(f.reason);
      const eventId = idProblem ? undefined : (f.event_id as string);
      return problem ? { ok: false, fatal: false, message: `cancel: ${problem}`, eventId } : { ok: true, frame: f as unknown as CancelFrame };
    }
    case 'inventory': {
      const problem = inventoryProblem(f);
      return problem ? { ok: false, fatal: false, message: `inventory: ${problem}` } : { ok: true, frame: f as unknown as InventoryFrame };
    }
    default:
      return { ok: false, fatal: true, message: `unknown frame type ${JSON.stringify(String(f.type).slice(0, 50))}` };
  }
}
