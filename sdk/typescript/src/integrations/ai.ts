// Arbiter for the Vercel AI SDK (`ai` 6.x, an optional peer dependency: only this subpath imports it).
import { type Tool, type ToolExecutionOptions, type ToolSet, asSchema } from 'ai';
import { type ArbiterClient, ArbiterBlockedError, type Verdict } from '../index.js';
import { type ToolCallOptions, blockedMessage, decideToolCall } from './tool-call.js';

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
 * reviewer's edit when the approval was edited (validated by `inputSchema` like the model's; an edit it refuses fails
 * the call, which does not run), else the model's own. Tools without `execute` (answered by the client) are left as
 * they are. The call's `abortSignal` withdraws a pending review. A streaming tool (`async function*` execute) stays
 * one.
 */
export function guardTools<TOOLS extends ToolSet>(arbiter: ArbiterClient, tools: TOOLS, options: GuardToolsOptions = {}): TOOLS {
  const guarded: Record<string, Tool> = {};
  for (const [name, tool] of Object.entries(tools)) {
    guarded[name] = tool.execute ? ({ ...tool, execute: guardExecute(arbiter, name, tool, options) } as Tool) : tool;
  }
  return guarded as TOOLS;
}

function guardExecute(arbiter: ArbiterClient, name: string, tool: Tool, options: GuardToolsOptions): Execute {
  const { onBlocked = 'throw', ...askOptions } = options;
  const execute = tool.execute as Execute;
  /** The input to run: the model's as the SDK validated it, or the reviewer's edit, validated the same way. */
  const inputToRun = async (verdict: Verdict, input: unknown): Promise<unknown> => {
    if (!verdict.edited) return input;
    const checked = await asSchema(tool.inputSchema).validate?.(verdict.input);
    if (!checked) return verdict.input;
    if (!checked.success) throw new Error(`the reviewer's edited input for ${name} does not match its inputSchema: ${checked.error.message}`, { cause: checked.error });
    return checked.value;
  };
  const blocked = (verdict: Verdict): string => {
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
      yield* execute(await inputToRun(verdict, input), callOptions) as AsyncIterable<unknown>;
    };
  }
  return async (input, callOptions) => {
    const verdict = await decideToolCall(arbiter, name, input, askOptions, callOptions.abortSignal);
    if (verdict.decision !== 'allow') return blocked(verdict);
    return execute(await inputToRun(verdict, input), callOptions);
  };
}
