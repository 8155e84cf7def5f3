import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { type SignedInApp, createApiKey, createProject, signedInApp } from '../support/fixtures.js';

const run = promisify(execFile);
const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

/** examples/README.md's policy: lookup allowed, shell blocked; no example waits for a reviewer. */
const EXAMPLE_RULES = {
  default_action: 'block',
  rules: [
    { kind: 'tool', tool: 'lookup', action: 'allow', reason: 'read-only' },
    { kind: 'tool', tool: 'shell', action: 'block', reason: 'no shell here' },
  ],
};

/** Each program in examples/ runs as a user would run it (node, the installed @arbiter-ai/sdk), against a real server. */
describe('examples/', () => {
  let world: SignedInApp;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    world = await signedInApp();
    const project = await createProject(world.http, world.admin.token, { mode: 'block' });
    const rules = await world.http.put(`/api/projects/${project.id}/rules`, EXAMPLE_RULES, { token: world.admin.token });
    expect(rules.status).toBe(200);
    const key = await createApiKey(world.http, world.admin.token, project.id, 'examples');
    env = { PATH: process.env.PATH, HOME: process.env.HOME, ARBITER_URL: world.instance.url, ARBITER_API_KEY: key.key };
  });
  afterAll(async () => world?.close());

  /** Runs one example to its end: it must exit 0 by itself (a connection left open would hang it past the timeout). */
  async function example(file: string): Promise<string[]> {
    const { stdout } = await run(process.execPath, [path.join(EXAMPLES, file)], { env, timeout: 30_000 });
    return stdout.trim().split('\n');
  }

  it('plain.mjs: wrap, guard and decide', async () => {
    expect(await example('plain.mjs')).toEqual([
      'lookup: found weather in Paris',
      'shell: blocked (policy: no shell here)',
      'decide lookup: allow (policy: read-only)',
    ]);
  });

  it('langchain.mjs: guarded LangChain tools', async () => {
    expect(await example('langchain.mjs')).toEqual(['lookup: found weather in Paris [success]', 'shell: blocked by Arbiter: no shell here [error]']);
  });

  it('ai.mjs: guarded AI SDK tools in generateText', async () => {
    const lines = await example('ai.mjs');
    expect(lines[0]).toBe('lookup: found weather in Paris');
    expect(lines[1]).toBe('shell: Arbiter blocked the call of shell (policy): no shell here');
    expect(lines[2]).toBe('answer: It is sunny; I may not clean up the disk.');
  });

  it('openai-agents.mjs: tool approvals answered by Arbiter', async () => {
    const lines = await example('openai-agents.mjs');
    // Both approvals are asked at once, so they are printed in the order their verdicts came.
    expect(lines.slice(0, 2).sort()).toEqual(['approval for lookup: allow (policy: read-only)', 'approval for shell: block (policy: no shell here)']);
    expect(lines.slice(2)).toEqual(['lookup: found weather in Paris', 'shell: blocked by Arbiter: no shell here']);
  });
});
