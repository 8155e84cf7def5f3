import { ArbiterBlockedError, type ArbiterClient } from '@arbiter-ai/sdk';
import { guardTool, guardTools } from '@arbiter-ai/sdk/langchain';
import { AIMessage, AIMessageChunk, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { type StructuredToolInterface, tool } from '@langchain/core/tools';
import type { ToolCall } from '@langchain/core/messages/tool';
import { FakeStreamingChatModel } from '@langchain/core/utils/testing';
import { z } from 'zod';
import { type IntegrationWorld, integrationWorld } from './support.js';

/** LangChain tools driven by LangChain's own fake tool-calling model, against a real Arbiter; no LLM. */
describe('@arbiter-ai/sdk/langchain', () => {
  let world: IntegrationWorld;
  let arbiter: ArbiterClient;
  /** What the real tools were called with. */
  let ran: { tool: string; input: unknown }[];

  const lookup = tool(async ({ q }) => { ran.push({ tool: 'lookup', input: { q } }); return `found ${q}`; }, {
    name: 'lookup',
    description: 'Looks something up',
    schema: z.object({ q: z.string() }),
  });
  const shell = tool(async ({ cmd }) => { ran.push({ tool: 'shell', input: { cmd } }); return 'done'; }, {
    name: 'shell',
    description: 'Runs a shell command',
    schema: z.object({ cmd: z.string() }),
  });
  const writeFile = tool(async ({ path, text }) => { ran.push({ tool: 'write_file', input: { path, text } }); return `wrote ${text.length} bytes to ${path}`; }, {
    name: 'write_file',
    description: 'Writes a file',
    schema: z.object({ path: z.string(), text: z.string() }),
  });

  beforeAll(async () => {
    world = await integrationWorld();
    arbiter = await world.connect('langchain');
  });
  afterAll(async () => world?.close());
  beforeEach(() => (ran = []));

  /** One agent step: the fake model answers `calls` as its tool calls, and each is invoked as an agent would. */
  async function agentStep(tools: StructuredToolInterface[], calls: ToolCall[]): Promise<BaseMessage[]> {
    const model = new FakeStreamingChatModel({ chunks: [new AIMessageChunk({ content: '', tool_calls: calls })] });
    const ai = (await model.bindTools(tools).invoke([new HumanMessage('go')])) as AIMessage;
    expect(ai.tool_calls?.map((c) => c.name)).toEqual(calls.map((c) => c.name));
    const byName = new Map(tools.map((t) => [t.name, t]));
    return Promise.all((ai.tool_calls ?? []).map((call) => byName.get(call.name)!.invoke(call) as Promise<BaseMessage>));
  }

  it('keeps the name, description and schema the model sees', () => {
    const guarded = guardTool(arbiter, writeFile);
    expect(guarded.name).toBe('write_file');
    expect(guarded.description).toBe('Writes a file');
    expect(guarded.schema).toBe(writeFile.schema);
  });

  it('runs an allowed call and answers its ToolMessage', async () => {
    const [message] = await agentStep(guardTools(arbiter, [lookup]), [{ id: 'call_1', name: 'lookup', args: { q: 'weather' }, type: 'tool_call' }]);
    expect(message).toBeInstanceOf(ToolMessage);
    expect(message).toMatchObject({ content: 'found weather', tool_call_id: 'call_1', status: 'success' });
    expect(ran).toEqual([{ tool: 'lookup', input: { q: 'weather' } }]);
  });

  it('does not run a blocked call: the model gets an error ToolMessage with the reason', async () => {
    const [message] = await agentStep(guardTools(arbiter, [shell]), [{ id: 'call_2', name: 'shell', args: { cmd: 'rm -rf /' }, type: 'tool_call' }]);
    expect(message).toMatchObject({ content: 'blocked by Arbiter: no shell here', tool_call_id: 'call_2', status: 'error' });
    expect(ran).toEqual([]);
  });

  it("with onBlocked 'throw', a blocked call rejects with ArbiterBlockedError and does not run", async () => {
    const guarded = guardTool(arbiter, shell, { onBlocked: 'throw' });
    const error = await guarded.invoke({ cmd: 'ls' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArbiterBlockedError);
    expect(error).toMatchObject({ reason: 'no shell here', source: 'policy' });
    expect(ran).toEqual([]);
  });

  it('waits for a reviewer: approved through the API, the call runs', async () => {
    const step = agentStep(guardTools(arbiter, [writeFile]), [{ id: 'call_3', name: 'write_file', args: { path: '/tmp/a.txt', text: 'hello' }, type: 'tool_call' }]);
    const review = await world.decideNextReview({ decision: 'approve' });
    expect(review.tool).toBe('write_file');
    const [message] = await step;
    expect(message).toMatchObject({ content: 'wrote 5 bytes to /tmp/a.txt', tool_call_id: 'call_3', status: 'success' });
    expect(ran).toEqual([{ tool: 'write_file', input: { path: '/tmp/a.txt', text: 'hello' } }]);
  });

  it('a denied review does not run the call', async () => {
    const step = guardTool(arbiter, writeFile).invoke({ path: '/etc/passwd', text: 'x' });
    await world.decideNextReview({ decision: 'deny', note: 'not there' });
    expect(await step).toBe('blocked by Arbiter: denied by a reviewer: not there');
    expect(ran).toEqual([]);
  });

  it("aborting the run (config.signal) withdraws the pending review; the call never runs", async () => {
    const abort = new AbortController();
    const outcome = guardTool(arbiter, writeFile).invoke({ path: '/tmp/b.txt', text: 'late' }, { signal: abort.signal }).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const reviewId = await world.nextPendingReview();
    abort.abort();
    await outcome;
    await world.reviewWithdrawn(reviewId);
    expect(ran).toEqual([]);
  });

  it("an edited approval runs the tool with the reviewer's input", async () => {
    const step = agentStep(guardTools(arbiter, [writeFile]), [{ id: 'call_4', name: 'write_file', args: { path: '/etc/hosts', text: 'evil' }, type: 'tool_call' }]);
    await world.decideNextReview({ decision: 'approve', input: { path: '/tmp/hosts', text: 'safe' }, note: 'not /etc' });
    const [message] = await step;
    expect(message).toMatchObject({ content: 'wrote 4 bytes to /tmp/hosts', status: 'success' });
    expect(ran).toEqual([{ tool: 'write_file', input: { path: '/tmp/hosts', text: 'safe' } }]);
  });
});
