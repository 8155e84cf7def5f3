// Arbiter for LangChain.js tools (`@langchain/core` 1.x, an optional peer dependency: only this subpath imports it).
import type { CallbackManagerForToolRun } from '@langchain/core/callbacks/manager';
import { ToolMessage } from '@langchain/core/messages';
import { type RunnableConfig, patchConfig } from '@langchain/core/runnables';
import { DynamicStructuredTool, type StructuredToolInterface, type ToolRunnableConfig } from '@langchain/core/tools';
import { type ArbiterClient, ArbiterBlockedError } from '../index.js';
import { type ToolCallOptions, approvedInput, blockedMessage, decideToolCall } from './tool-call.js';

export interface GuardToolOptions extends ToolCallOptions {
  /**
   * What the agent gets when Arbiter blocks a call. `'message'` (the default): the tool answers
   * `blocked by Arbiter: <reason>`, as a ToolMessage with status `error` when it was called with a tool call, so the
   * model learns why and the agent loop goes on. `'throw'`: the call rejects with an {@link ArbiterBlockedError}.
   */
  onBlocked?: 'message' | 'throw';
}

/**
 * A tool with the same name, description and schema as `tool` whose every call first asks Arbiter (kind `tool`, the
 * tool's name, the arguments as its schema parsed them as `input`). On allow it runs `tool` with the approved input:
 * the reviewer's edit when the approval was edited (which `tool` parses with its schema again), else the model's own
 * arguments. The run's abort signal (`config.signal`) withdraws a pending review.
 */
export function guardTool<T extends StructuredToolInterface>(arbiter: ArbiterClient, tool: T, options: GuardToolOptions = {}): DynamicStructuredTool<T['schema']> {
  const { onBlocked = 'message', ...callOptions } = options;
  const func = async (args: unknown, runManager?: CallbackManagerForToolRun, config?: RunnableConfig): Promise<unknown> => {
    // The original runs as a child of this run and sees the tool call: with one it answers a ToolMessage (keeping a
    // content_and_artifact tool's artifact), which this tool hands on as it is.
    const childConfig: ToolRunnableConfig = patchConfig(config, { callbacks: runManager?.getChild() });
    const verdict = await decideToolCall(arbiter, tool.name, args, callOptions, config?.signal);
    if (verdict.decision === 'allow') return tool.invoke(approvedInput(verdict, args) as never, childConfig);
    if (onBlocked === 'throw') throw new ArbiterBlockedError(verdict, `the call of ${tool.name}`);
    const toolCallId = childConfig.toolCall?.id;
    if (toolCallId) return new ToolMessage({ content: blockedMessage(verdict), tool_call_id: toolCallId, name: tool.name, status: 'error' });
    return blockedMessage(verdict);
  };
  const { metadata, tags } = tool as { metadata?: Record<string, unknown>; tags?: string[] };
  return new DynamicStructuredTool<T['schema']>({
    name: tool.name,
    description: tool.description,
    schema: tool.schema,
    func: func as never,
    returnDirect: tool.returnDirect,
    // 'content' whatever the original's: the original formats its own output (and artifact).
    responseFormat: 'content',
    ...(metadata ? { metadata } : {}),
    ...(tags ? { tags } : {}),
  });
}

/** {@link guardTool} for each tool, in order. */
export function guardTools<T extends StructuredToolInterface>(arbiter: ArbiterClient, tools: readonly T[], options: GuardToolOptions = {}): DynamicStructuredTool<T['schema']>[] {
  return tools.map((tool) => guardTool(arbiter, tool, options));
}
