import { ArbiterBlockedError, type ArbiterClient } from '@arbiter-ai/sdk';
import { guardTools } from '@arbiter-ai/sdk/ai';
import { type ToolSet, generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { type IntegrationWorld, integrationWorld } from './support.js';

const USAGE = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/** A model that calls `toolName` with `input` once, then answers "done": the AI SDK's own mock, no LLM. */
function callingModel(toolName: string, input: unknown): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    doGenerate: [
      {
        content: [{ type: 'tool-call', toolCallId: 'call_1', toolName, input: JSON.stringify(input) }],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: USAGE,
        warnings: [],
      },
      { content: [{ type: 'text', text: 'done' }], finishReason: { unified: 'stop', raw: 'stop' }, usage: USAGE, warnings: [] },
    ],
  });
}

/** Vercel AI SDK tools driven by `generateText` with the SDK's mock model, against a real Arbiter. */
describe('@arbiter-ai/sdk/ai', () => {
  let world: IntegrationWorld;
  let arbiter: ArbiterClient;
  let ran: { tool: string; input: unknown }[];

  const tools = {
    lookup: tool({
      description: 'Looks something up',
      inputSchema: z.object({ q: z.string() }),
      execute: async ({ q }) => {
        ran.push({ tool: 'lookup', input: { q } });
        return `found ${q}`;
      },
    }),
    shell: tool({
      description: 'Runs a shell command',
      inputSchema: z.object({ cmd: z.string() }),
      execute: async ({ cmd }) => {
        ran.push({ tool: 'shell', input: { cmd } });
        return 'done';
      },
    }),
    write_file: tool({
      description: 'Writes a file',
      inputSchema: z.object({ path: z.string(), text: z.string() }),
      execute: async ({ path, text }) => {
        ran.push({ tool: 'write_file', input: { path, text } });
        return `wrote ${text.length} bytes to ${path}`;
      },
    }),
  } satisfies ToolSet;

  beforeAll(async () => {
    world = await integrationWorld();
    arbiter = await world.connect('ai');
  });
  afterAll(async () => world?.close());
  beforeEach(() => (ran = []));

  function run(toolName: string, input: unknown, options?: Parameters<typeof guardTools>[2]) {
    return generateText({ model: callingModel(toolName, input), tools: guardTools(arbiter, tools, options), prompt: 'go', stopWhen: stepCountIs(2) });
  }

  it('runs an allowed call; its result is the tool result', async () => {
    const result = await run('lookup', { q: 'weather' });
    expect(result.steps[0].toolResults).toMatchObject([{ toolName: 'lookup', output: 'found weather' }]);
    expect(result.text).toBe('done');
    expect(ran).toEqual([{ tool: 'lookup', input: { q: 'weather' } }]);
  });

  it('does not run a blocked call: the step has a tool-error with the ArbiterBlockedError', async () => {
    const result = await run('shell', { cmd: 'rm -rf /' });
    const errors = result.steps[0].content.filter((part) => part.type === 'tool-error');
    expect(errors).toHaveLength(1);
    expect(errors[0].error).toBeInstanceOf(ArbiterBlockedError);
    expect(errors[0].error).toMatchObject({ reason: 'no shell here', source: 'policy' });
    expect(ran).toEqual([]);
  });

  it("with onBlocked 'message', a blocked call's output is the reason", async () => {
    const result = await run('shell', { cmd: 'ls' }, { onBlocked: 'message' });
    expect(result.steps[0].toolResults).toMatchObject([{ toolName: 'shell', output: 'blocked by Arbiter: no shell here' }]);
    expect(ran).toEqual([]);
  });

  it('waits for a reviewer: approved through the API, the call runs', async () => {
    const result = run('write_file', { path: '/tmp/a.txt', text: 'hello' });
    await world.decideNextReview({ decision: 'approve' });
    expect((await result).steps[0].toolResults).toMatchObject([{ toolName: 'write_file', output: 'wrote 5 bytes to /tmp/a.txt' }]);
    expect(ran).toEqual([{ tool: 'write_file', input: { path: '/tmp/a.txt', text: 'hello' } }]);
  });

  it("an edited approval runs execute with the reviewer's input", async () => {
    const result = run('write_file', { path: '/etc/hosts', text: 'evil' });
    await world.decideNextReview({ decision: 'approve', input: { path: '/tmp/hosts', text: 'safe' } });
    expect((await result).steps[0].toolResults).toMatchObject([{ toolName: 'write_file', output: 'wrote 4 bytes to /tmp/hosts' }]);
    expect(ran).toEqual([{ tool: 'write_file', input: { path: '/tmp/hosts', text: 'safe' } }]);
  });

  it('aborting generateText (abortSignal) withdraws the pending review; the call never runs', async () => {
    const abort = new AbortController();
    const outcome = generateText({
      model: callingModel('write_file', { path: '/tmp/b.txt', text: 'late' }),
      tools: guardTools(arbiter, tools),
      prompt: 'go',
      stopWhen: stepCountIs(2),
      abortSignal: abort.signal,
    }).catch((error: unknown) => error);
    const reviewId = await world.nextPendingReview();
    abort.abort();
    await outcome;
    await world.reviewWithdrawn(reviewId);
    expect(ran).toEqual([]);
  });

  it("an edited input the tool's inputSchema refuses fails the call, which does not run", async () => {
    const result = run('write_file', { path: '/etc/hosts', text: 'evil' });
    await world.decideNextReview({ decision: 'approve', input: { path: '/tmp/hosts' } });
    const errors = (await result).steps[0].content.filter((part) => part.type === 'tool-error');
    expect(errors).toHaveLength(1);
    expect(String((errors[0].error as Error).message)).toMatch(/^the reviewer's edited input for write_file does not match its inputSchema/);
    expect(ran).toEqual([]);
  });

  it('a streaming tool stays one, and is guarded too', async () => {
    const streaming = {
      write_file: tool({
        inputSchema: z.object({ path: z.string(), text: z.string() }),
        async *execute({ path, text }) {
          ran.push({ tool: 'write_file', input: { path, text } });
          yield 'writing';
          yield `wrote ${path}`;
        },
      }),
    };
    const result = generateText({ model: callingModel('write_file', { path: '/tmp/s', text: 'x' }), tools: guardTools(arbiter, streaming), prompt: 'go', stopWhen: stepCountIs(2) });
    await world.decideNextReview({ decision: 'approve' });
    expect((await result).steps[0].toolResults).toMatchObject([{ toolName: 'write_file', output: 'wrote /tmp/s' }]);
    expect(ran).toEqual([{ tool: 'write_file', input: { path: '/tmp/s', text: 'x' } }]);
  });
});
