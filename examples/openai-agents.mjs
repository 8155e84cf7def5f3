// OpenAI Agents SDK tool approvals (needsApproval) answered by Arbiter, with a scripted model of our own (no LLM).
// Run: ARBITER_URL=http://localhost:3000 ARBITER_API_KEY=arb_… node examples/openai-agents.mjs
import { ArbiterClient } from '@arbiter-ai/sdk';
import { runWithArbiter } from '@arbiter-ai/sdk/openai-agents';
import { Agent, Runner, Usage, tool } from '@openai/agents';
import { z } from 'zod';

/** Asks for the calls it was given, then answers with their outputs. A real agent would use an OpenAI model here. */
class ScriptedModel {
  constructor(calls) {
    this.calls = calls;
  }
  async getResponse(request) {
    const results = (Array.isArray(request.input) ? request.input : []).filter((item) => item.type === 'function_call_result');
    if (results.length === 0) {
      const output = this.calls.map(([name, args], i) => ({ type: 'function_call', id: `fc_${i}`, callId: `call_${i}`, name, arguments: JSON.stringify(args), status: 'completed' }));
      return { usage: new Usage(), output };
    }
    const text = results.map((r) => `${r.name}: ${typeof r.output === 'string' ? r.output : r.output.text}`).join('\n');
    return { usage: new Usage(), output: [{ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] }] };
  }
  async *getStreamedResponse() {
    throw new Error('not streamed in this example');
  }
}

const lookup = tool({ name: 'lookup', description: 'Looks something up', parameters: z.object({ q: z.string() }), needsApproval: true, execute: async ({ q }) => `found ${q}` });
const shell = tool({ name: 'shell', description: 'Runs a command', parameters: z.object({ cmd: z.string() }), needsApproval: true, execute: async () => 'this never runs' });
const agent = new Agent({
  name: 'assistant',
  instructions: 'Use the tools.',
  model: new ScriptedModel([['lookup', { q: 'weather in Paris' }], ['shell', { cmd: 'rm -rf /' }]]),
  tools: [lookup, shell],
});

const arbiter = await ArbiterClient.connect({
  url: process.env.ARBITER_URL ?? 'http://localhost:3000',
  apiKey: process.env.ARBITER_API_KEY,
  sessionId: `example-openai-agents-${process.pid}`,
});
try {
  const result = await runWithArbiter(arbiter, new Runner({ tracingDisabled: true }), agent, 'Weather, then clean up', {
    onDecision: (item, verdict) => console.log(`approval for ${item.name}: ${verdict.decision} (${verdict.source}: ${verdict.reason})`),
  });
  console.log(result.finalOutput);
} finally {
  await arbiter.close();
}
