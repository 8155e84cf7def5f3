// The SDK on its own: wrap a function, guard one call, or just ask. No framework, no LLM.
// Run: ARBITER_URL=http://localhost:3000 ARBITER_API_KEY=arb_… node examples/plain.mjs
// (examples/README.md has the project's rules this expects.)
import { ArbiterBlockedError, ArbiterClient } from '@arbiter-ai/sdk';

const arbiter = await ArbiterClient.connect({
  url: process.env.ARBITER_URL ?? 'http://localhost:3000',
  apiKey: process.env.ARBITER_API_KEY,
  sessionId: `example-plain-${process.pid}`,
});
try {
  // wrap: a function that asks Arbiter before every call and runs only on allow.
  const lookup = arbiter.wrap('lookup', async ({ q }) => `found ${q}`);
  console.log(`lookup: ${await lookup({ q: 'weather in Paris' })}`);

  // guard: one call; a block throws ArbiterBlockedError and the function does not run.
  try {
    await arbiter.guard({ kind: 'tool', tool: 'shell', input: { cmd: 'rm -rf /' } }, async () => {
      throw new Error('never runs: the policy blocks shell');
    });
  } catch (err) {
    if (!(err instanceof ArbiterBlockedError)) throw err;
    console.log(`shell: blocked (${err.source}: ${err.reason})`);
  }

  // decide: the verdict itself, to act on as you see fit.
  const verdict = await arbiter.decide({ kind: 'tool', tool: 'lookup', input: { q: 'news' } });
  console.log(`decide lookup: ${verdict.decision} (${verdict.source}: ${verdict.reason})`);
} finally {
  await arbiter.close(); // lets the program exit
}
