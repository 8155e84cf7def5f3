// Arbiter for the Vercel AI SDK (`ai` 6.x, an optional peer dependency: this subpath imports its types only).
import type { Tool, ToolExecutionOptions, ToolSet } from 'ai';
import { type ArbiterClient, ArbiterBlockedError } from '../index.js';
import { type ToolCallOptions, approvedInput, blockedMessage, decideToolCall } from './tool-call.js';

export interface GuardToolsOptions extends ToolCallOptions {
  /**
   * What the model gets when Arbiter blocks a call. `'throw'` (the default): `execute` rejects with an
   * {@link ArbiterBlockedError}, which `generateText`/`streamText` turn into a `tool-error` part (the model sees the
   * reason, the step's content keeps the error with its verdict) and the run goes on. `'message'`: the tool's output
   * is the string `blocked by Arbiter: <reason>`.
   */
  onBlocked?: 'throw' | 'message';
}

type Execute = (input: unknown, options: ToolExecutionOptions) => unknown;

const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor as Function; // eslint-disable-line @typescript-eslint/no-unsafe-function-type

/**
 * The same tools map with every `execute` asking Arbiter first (kind `tool`, the map key as the tool name, the input
 * as the tool's `inputSchema` validated it). On allow the original `execute` runs with the approved input: the
 * reviewer's edit when the approval was edited (not validated against `inputSchema` again: the reviewer's word), else
 * the model's own. Tools without `execute` (answered by the client) are left as they are. The call's `abortSignal`
 * withdraws a pending review. A streaming tool (`async function*` execute) stays one.
 */
export function guardTools<TOOLS extends ToolSet>(arbiter: ArbiterClient, tools: TOOLS, options: GuardToolsOptions = {}): TOOLS {
  const guarded: Record<string, Tool> = {};
  for (const [name, tool] of Object.entries(tools)) {
    guarded[name] = tool.execute ? ({ ...tool, execute: guardExecute(arbiter, name, tool.execute as Execute, options) } as Tool) : tool;
  }
  return guarded as TOOLS;
}

function guardExecute(arbiter: ArbiterClient, name: string, execute: Execute, options: GuardToolsOptions): Execute {
  const { onBlocked = 'throw', ...askOptions } = options;
  const blocked = (verdict: Awaited<ReturnType<typeof decideToolCall>>): string => {
    if (onBlocked === 'throw') throw new ArbiterBlockedError(verdict, `the call of ${name}`);
    return blockedMessage(verdict);
  };
  if (execute instanceof AsyncGeneratorFunction) {
    // The AI SDK tells a streaming tool by the iterable its execute returns, so the guarded one returns one too.
    return async function* (input: unknown, callOptions: ToolExecutionOptions) {
      const verdict = await decideToolCall(arbiter, name, input, askOptions, callOptions.abortSignal);
      if (verdict.decision !== 'allow') {
        yield blocked(verdict);
        return;
      }
      yield* execute(approvedInput(verdict, input), callOptions) as AsyncIterable<unknown>;
    };
  }
  return async (input, callOptions) => {
    const verdict = await decideToolCall(arbiter, name, input, askOptions, callOptions.abortSignal);
    if (verdict.decision !== 'allow') return blocked(verdict);
    return execute(approvedInput(verdict, input), callOptions);
  };
}
