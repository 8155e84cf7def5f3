import type { ArbiterClient, Verdict } from '@arbiter-ai/sdk';
import { runWithArbiter } from '@arbiter-ai/sdk/openai-agents';
import { Agent, type Model, type ModelRequest, type ModelResponse, Runner, Usage, tool } from '@openai/agents';
import { z } from 'zod';
import { type IntegrationWorld, integrationWorld } from './support.js';

/**
 * A model that asks for one function call, then, once it has seen the call's output, answers with that output: an
 * `@openai/agents` Model of our own, no LLM.
 */
class OneCallModel implements Model {
  constructor(
    private readonly name: string,
    private readonly args: unknown,
  ) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const items = Array.isArray(request.input) ? request.input : [];
    const result = items.find((item) => item.type === 'function_call_result');
    if (!result) {
      return { usage: new Usage(), output: [{ type: 'function_call', id: 'fc_1', callId: 'call_1', name: this.name, arguments: JSON.stringify(this.args), status: 'completed' }] };
    }
    const output = (result as { output: unknown }).output;
    const text = typeof output === 'string' ? output : ((output as { text?: string }).text ?? JSON.stringify(output));
    return { usage: new Usage(), output: [{ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] }] };
  }

  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('this test model does not stream');
  }
}

/** `@openai/agents` tool approvals (needsApproval) answered by a real Arbiter, driven by a scripted model. */
describe('@arbiter-ai/sdk/openai-agents', () => {
  let world: IntegrationWorld;
  let arbiter: ArbiterClient;
  let ran: { tool: string; input: unknown }[];
  const runner = new Runner({ tracingDisabled: true });

  const lookup = tool({
    name: 'lookup',
    description: 'Looks something up',
    parameters: z.object({ q: z.string() }),
    needsApproval: true,
    execute: async ({ q }) => {
      ran.push({ tool: 'lookup', input: { q } });
      return `found ${q}`;
    },
  });
  const shell = tool({
    name: 'shell',
    description: 'Runs a shell command',
    parameters: z.object({ cmd: z.string() }),
    needsApproval: true,
    execute: async ({ cmd }) => {
      ran.push({ tool: 'shell', input: { cmd } });
      return 'done';
    },
  });
  const writeFile = tool({
    name: 'write_file',
    description: 'Writes a file',
    parameters: z.object({ path: z.string(), text: z.string() }),
    needsApproval: true,
    execute: async ({ path, text }) => {
      ran.push({ tool: 'write_file', input: { path, text } });
      return `wrote ${text.length} bytes to ${path}`;
    },
  });

  function agentCalling(name: string, args: unknown): Agent {
    return new Agent({ name: 'assistant', instructions: 'Use the tools.', model: new OneCallModel(name, args), tools: [lookup, shell, writeFile] });
  }

  beforeAll(async () => {
    world = await integrationWorld();
    arbiter = await world.connect('openai-agents');
  });
  afterAll(async () => world?.close());
  beforeEach(() => (ran = []));

  it('approves an allowed call: the run resumes and the tool runs', async () => {
    const verdicts: Verdict[] = [];
    const result = await runWithArbiter(arbiter, runner, agentCalling('lookup', { q: 'weather' }), 'go', { onDecision: (_item, v) => verdicts.push(v) });
    expect(result.finalOutput).toBe('found weather');
    expect(result.interruptions).toEqual([]);
    expect(verdicts).toMatchObject([{ decision: 'allow', source: 'policy', reason: 'read-only' }]);
    expect(ran).toEqual([{ tool: 'lookup', input: { q: 'weather' } }]);
  });

  it('rejects a blocked call: the tool does not run and the model is told why', async () => {
    const result = await runWithArbiter(arbiter, runner, agentCalling('shell', { cmd: 'rm -rf /' }), 'go');
    expect(result.finalOutput).toBe('blocked by Arbiter: no shell here');
    expect(ran).toEqual([]);
  });

  it('a pending review pauses the run; approved through the API, it resumes and the tool runs', async () => {
    const result = runWithArbiter(arbiter, runner, agentCalling('write_file', { path: '/tmp/a.txt', text: 'hello' }), 'go', { timeoutMs: 30_000 });
    const review = await world.decideNextReview({ decision: 'approve' });
    expect(review.tool).toBe('write_file');
    expect((await result).finalOutput).toBe('wrote 5 bytes to /tmp/a.txt');
    expect(ran).toEqual([{ tool: 'write_file', input: { path: '/tmp/a.txt', text: 'hello' } }]);
  });

  it('a denied review rejects the call', async () => {
    const result = runWithArbiter(arbiter, runner, agentCalling('write_file', { path: '/etc/passwd', text: 'x' }), 'go', { timeoutMs: 30_000 });
    await world.decideNextReview({ decision: 'deny', note: 'not there' });
    expect((await result).finalOutput).toBe('blocked by Arbiter: denied by a reviewer: not there');
    expect(ran).toEqual([]);
  });

  it("aborting the run (options.run.signal) withdraws the pending review; the call never runs", async () => {
    const abort = new AbortController();
    const outcome = runWithArbiter(arbiter, runner, agentCalling('write_file', { path: '/tmp/b.txt', text: 'late' }), 'go', {
      timeoutMs: 30_000,
      run: { signal: abort.signal },
    }).catch((error: unknown) => error);
    const reviewId = await world.nextPendingReview();
    abort.abort();
    await outcome;
    await world.reviewWithdrawn(reviewId);
    expect(ran).toEqual([]);
  });

  it("an edited approval runs the tool with the reviewer's arguments", async () => {
    const result = runWithArbiter(arbiter, runner, agentCalling('write_file', { path: '/etc/hosts', text: 'evil' }), 'go', { timeoutMs: 30_000 });
    await world.decideNextReview({ decision: 'approve', input: { path: '/tmp/hosts', text: 'safe' } });
    expect((await result).finalOutput).toBe('wrote 4 bytes to /tmp/hosts');
    expect(ran).toEqual([{ tool: 'write_file', input: { path: '/tmp/hosts', text: 'safe' } }]);
  });
});
