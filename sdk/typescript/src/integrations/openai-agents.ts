// Arbiter as the approver of `@openai/agents` tool-approval interruptions (an optional peer dependency: this subpath
// only imports its types; the caller passes its Runner or `run`).
import type { Agent, AgentInputItem, NonStreamRunOptions, RunResult, RunState, RunToolApprovalItem } from '@openai/agents';
import type { ArbiterClient, Verdict } from '../index.js';
import { type ToolCallOptions, blockedMessage, decideToolCall } from './tool-call.js';

type AnyAgent = Agent<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `run` from `@openai/agents`, or a `Runner` (its `run` is called as a method). */
export type AgentsRunner =
  | (<TAgent extends AnyAgent, TContext = undefined>(agent: TAgent, input: string | AgentInputItem[] | RunState<TContext, TAgent>, options?: NonStreamRunOptions<TContext, TAgent>) => Promise<RunResult<TContext, TAgent>>)
  | { run: <TAgent extends AnyAgent, TContext = undefined>(agent: TAgent, input: string | AgentInputItem[] | RunState<TContext, TAgent>, options?: NonStreamRunOptions<TContext, TAgent>) => Promise<RunResult<TContext, TAgent>> };

export interface RunWithArbiterOptions<TContext, TAgent extends AnyAgent> extends ToolCallOptions {
  /** Passed to every `run` (not streamed). Its `signal` also withdraws the reviews still pending. */
  run?: NonStreamRunOptions<TContext, TAgent>;
  /** Called with each interruption and Arbiter's verdict, before the run resumes (logging, metrics). */
  onDecision?: (item: RunToolApprovalItem, verdict: Verdict) => void;
}

/**
 * Runs `agent` and answers every tool-approval interruption (tools with `needsApproval`) through Arbiter: each call is
 * sent as an event (kind `tool`, the tool's name, its parsed arguments as input) and the run waits for the verdict:
 * the policy's at once, or a human reviewer's when the rule says `review` (so give `timeoutMs` the review window).
 * Allow → `state.approve(item)`; block → `state.reject(item, { message: 'blocked by Arbiter: <reason>' })`, which the
 * model sees as the tool's output. Then the run resumes, until it ends without interruptions; the result is the last
 * run's. An approval a reviewer edited runs with the edited arguments (function tools: the approval item's
 * `rawItem.arguments` is the call the runner executes on resume, in @openai/agents 0.14); a hosted, shell, computer or
 * apply-patch call cannot take an edit and is rejected instead, saying so.
 */
export async function runWithArbiter<TAgent extends AnyAgent, TContext = undefined>(
  arbiter: ArbiterClient,
  runner: AgentsRunner,
  agent: TAgent,
  input: string | AgentInputItem[] | RunState<TContext, TAgent>,
  options: RunWithArbiterOptions<TContext, TAgent> = {},
): Promise<RunResult<TContext, TAgent>> {
  const run = typeof runner === 'function' ? runner : runner.run.bind(runner);
  let result = await run<TAgent, TContext>(agent, input, options.run);
  while (result.interruptions.length > 0) {
    const state = result.state;
    // All of a turn's calls are asked at once, so their reviews wait side by side.
    await Promise.all(result.interruptions.map((item) => decideInterruption(arbiter, state, item, options)));
    result = await run<TAgent, TContext>(agent, state, options.run);
  }
  return result;
}

async function decideInterruption<TContext, TAgent extends AnyAgent>(
  arbiter: ArbiterClient,
  state: RunState<TContext, TAgent>,
  item: RunToolApprovalItem,
  options: RunWithArbiterOptions<TContext, TAgent>,
): Promise<void> {
  const { run: runOptions, onDecision, ...callOptions } = options;
  const name = item.name ?? item.rawItem.type;
  const verdict = await decideToolCall(arbiter, name, callInput(item), { agentId: item.agent.name, ...callOptions }, runOptions?.signal);
  onDecision?.(item, verdict);
  if (verdict.decision !== 'allow') return state.reject(item, { message: blockedMessage(verdict) });
  if (verdict.edited) {
    if (item.rawItem.type !== 'function_call') {
      return state.reject(item, { message: `blocked by Arbiter: the reviewer edited the input of this ${item.rawItem.type}, which cannot run edited` });
    }
    item.rawItem.arguments = JSON.stringify(verdict.input);
  }
  state.approve(item);
}

/** A function call's arguments as JSON when they parse (what rules and reviewers read), else the raw item. */
function callInput(item: RunToolApprovalItem): unknown {
  const args = item.arguments;
  if (args === undefined) return item.rawItem;
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}
