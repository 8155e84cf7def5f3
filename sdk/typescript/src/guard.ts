// Running a function only when Arbiter allows it: guard() for one call, wrap() for a function called many times.
import { ArbiterBlockedError } from './errors.js';
import type { AgentAction, DecideOptions, Verdict } from './types.js';

export type Decide = (action: AgentAction, options?: DecideOptions) => Promise<Verdict>;

export interface WrapOptions extends DecideOptions {
  /** The action's kind (default `tool`). */
  kind?: 'tool' | 'llm';
  agentId?: string;
}

/**
 * Asks about `action` and runs `fn` only on allow, with `verdict.input`: the reviewer's edit when they approved an
 * edited input (validate it if your function needs a shape), else `action.input` itself. Throws
 * {@link ArbiterBlockedError} otherwise, without running `fn`.
 */
export async function guardAction<I, R>(decide: Decide, action: AgentAction & { input?: I }, fn: (input: I) => R | PromiseLike<R>, options?: DecideOptions): Promise<Awaited<R>> {
  const verdict = await decide(action, options);
  if (verdict.decision !== 'allow') throw new ArbiterBlockedError(verdict, action.tool ?? action.kind);
  return await fn(verdict.input as I);
}

/** `fn` behind Arbiter: each call asks about (tool, input) first, as guardAction does. */
export function wrapTool<I, R>(decide: Decide, tool: string, fn: (input: I) => R | PromiseLike<R>, options: WrapOptions = {}): (input: I) => Promise<Awaited<R>> {
  const { kind = 'tool', agentId, ...decideOptions } = options;
  return (input: I) => {
    const action: AgentAction & { input: I } = { kind, tool, input };
    if (agentId !== undefined) action.agent_id = agentId;
    return guardAction(decide, action, fn, decideOptions);
  };
}
