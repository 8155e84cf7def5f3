// What the framework integrations share: one tool call asked of Arbiter, and what each outcome hands back.
import { randomUUID } from 'node:crypto';
import type { ArbiterClient, DecideOptions, Verdict } from '../index.js';

/** The options every integration takes besides its own. */
export interface ToolCallOptions extends Omit<DecideOptions, 'signal'> {
  /** The tool name Arbiter sees and its rules match, from the framework's name. Default: the name as it is. */
  arbiterTool?: (name: string) => string;
  /** Sent as the event's `agent_id`. */
  agentId?: string;
}

/** Asks Arbiter about one call of `name` with `input` (a fresh event id each time); resolves its verdict. */
export function decideToolCall(arbiter: ArbiterClient, name: string, input: unknown, options: ToolCallOptions, signal?: AbortSignal): Promise<Verdict> {
  const { arbiterTool, agentId, ...decideOptions } = options;
  return arbiter.decide(
    { event_id: randomUUID(), kind: 'tool', tool: arbiterTool ? arbiterTool(name) : name, input, ...(agentId === undefined ? {} : { agent_id: agentId }) },
    { ...decideOptions, ...(signal ? { signal } : {}) },
  );
}

/** The input an allowed call runs with: the reviewer's edit when the approval was edited, else the caller's own. */
export function approvedInput(verdict: Verdict, original: unknown): unknown {
  return verdict.edited ? verdict.input : original;
}

/** What a blocked call answers when the integration reports a block as the tool's output. */
export function blockedMessage(verdict: Verdict): string {
  return `blocked by Arbiter: ${verdict.reason}`;
}
