// Vercel AI SDK tools guarded by Arbiter, called through generateText by the SDK's mock model (no LLM).
// Run: ARBITER_URL=http://localhost:3000 ARBITER_API_KEY=arb_… node examples/ai.mjs
import { ArbiterClient } from '@arbiter-ai/sdk';
import { guardTools } from '@arbiter-ai/sdk/ai';
import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';

const tools = {
  lookup: tool({ description: 'Looks something up', inputSchema: z.object({ q: z.string() }), execute: async ({ q }) => `found ${q}` }),
  shell: tool({ description: 'Runs a command', inputSchema: z.object({ cmd: z.string() }), execute: async () => 'this never runs: the policy blocks shell' }),
};

// A real agent would use a provider's model here; this mock asks for two tool calls, then answers.
const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
const model = new MockLanguageModelV3({
  doGenerate: [
    {
      content: [
        { type: 'tool-call', toolCallId: 'call_1', toolName: 'lookup', input: JSON.stringify({ q: 'weather in Paris' }) },
        { type: 'tool-call', toolCallId: 'call_2', toolName: 'shell', input: JSON.stringify({ cmd: 'rm -rf /' }) },
      ],
      finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      usage,
      warnings: [],
    },
    { content: [{ type: 'text', text: 'It is sunny; I may not clean up the disk.' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] },
  ],
});

const arbiter = await ArbiterClient.connect({
  url: process.env.ARBITER_URL ?? 'http://localhost:3000',
  apiKey: process.env.ARBITER_API_KEY,
  sessionId: `example-ai-${process.pid}`,
});
try {
  const result = await generateText({ model, tools: guardTools(arbiter, tools), prompt: 'Weather, then clean up', stopWhen: stepCountIs(2) });
  for (const part of result.steps[0].content) {
    if (part.type === 'tool-result') console.log(`${part.toolName}: ${part.output}`);
    if (part.type === 'tool-error') console.log(`${part.toolName}: ${part.error.message}`);
  }
  console.log(`answer: ${result.text}`);
} finally {
  await arbiter.close();
}
