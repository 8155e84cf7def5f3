// LangChain.js tools guarded by Arbiter, called by LangChain's own fake tool-calling model (no LLM).
// Run: ARBITER_URL=http://localhost:3000 ARBITER_API_KEY=arb_… node examples/langchain.mjs
import { ArbiterClient } from '@arbiter-ai/sdk';
import { guardTools } from '@arbiter-ai/sdk/langchain';
import { AIMessageChunk, HumanMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { FakeStreamingChatModel } from '@langchain/core/utils/testing';
import { z } from 'zod';

const lookup = tool(async ({ q }) => `found ${q}`, { name: 'lookup', description: 'Looks something up', schema: z.object({ q: z.string() }) });
const shell = tool(async () => 'this never runs: the policy blocks shell', { name: 'shell', description: 'Runs a command', schema: z.object({ cmd: z.string() }) });

const arbiter = await ArbiterClient.connect({
  url: process.env.ARBITER_URL ?? 'http://localhost:3000',
  apiKey: process.env.ARBITER_API_KEY,
  sessionId: `example-langchain-${process.pid}`,
});
try {
  const tools = guardTools(arbiter, [lookup, shell]); // same names, descriptions and schemas
  // A real agent would use a chat model here; this fake one asks for two tool calls.
  const model = new FakeStreamingChatModel({
    chunks: [
      new AIMessageChunk({
        content: '',
        tool_calls: [
          { id: 'call_1', name: 'lookup', args: { q: 'weather in Paris' }, type: 'tool_call' },
          { id: 'call_2', name: 'shell', args: { cmd: 'rm -rf /' }, type: 'tool_call' },
        ],
      }),
    ],
  }).bindTools(tools);
  const reply = await model.invoke([new HumanMessage('What is the weather, and clean up the disk')]);
  for (const call of reply.tool_calls) {
    const message = await tools.find((t) => t.name === call.name).invoke(call);
    console.log(`${call.name}: ${message.content} [${message.status}]`);
  }
} finally {
  await arbiter.close();
}
