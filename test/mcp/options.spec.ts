import { UsageError, parseOptions } from '../../sdk/mcp/src/options.js';

describe("arbiter-mcp's command line", () => {
  it('reads the flags, then the upstream command after --', () => {
    const o = parseOptions(['--url', 'ws://a:3000', '--api-key-env', 'KEY', '--session', 'me-laptop', '--name', 'fs', '--fail-open', '--hide-blocked', '--timeout', '90', '--', 'npx', '-y', 'server', '--url', 'x'], {});
    expect(o).toMatchObject({ mode: 'stdio', url: 'ws://a:3000', apiKeyEnv: 'KEY', session: 'me-laptop', name: 'fs', failOpen: true, hideBlocked: true, timeoutMs: 90_000 });
    expect(o.command).toEqual(['npx', '-y', 'server', '--url', 'x']);
  });

  it('serve takes --listen and --upstream, and the URL may come from ARBITER_URL', () => {
    const o = parseOptions(['serve', '--listen', '0.0.0.0:7000', '--upstream', 'https://mcp.internal/mcp'], { ARBITER_URL: 'http://arbiter:3000' });
    expect(o).toMatchObject({ mode: 'serve', url: 'http://arbiter:3000', listen: { host: '0.0.0.0', port: 7000 } });
    expect(o.upstream?.href).toBe('https://mcp.internal/mcp');
    expect(o.session).toMatch(/@.+\/mcp$/);
  });

  it.each([
    [['--url', 'ws://a', '--api-key', 'arb_1', '--', 'x'], /--api-key is not accepted/],
    [['--url', 'ws://a'], /command goes after --/],
    [['--', 'x'], /--url is required/],
    [['--url', 'ws://a', '--name', 'a b', '--', 'x'], /--name must be/],
    [['serve', '--url', 'ws://a', '--listen', '7000'], /--listen must be HOST:PORT/],
    [['serve', '--url', 'ws://a', '--listen', 'h:1'], /serve needs --listen HOST:PORT and --upstream URL/],
    [['--url', 'ws://a', '--bogus', '--', 'x'], /unknown option --bogus/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseOptions(argv, {})).toThrow(UsageError);
    expect(() => parseOptions(argv, {})).toThrow(message);
  });
});
