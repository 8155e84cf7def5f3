import os from 'node:os';

/** What the command line says; see USAGE. */
export interface GatewayOptions {
  mode: 'stdio' | 'serve';
  url: string;
  /** The name of the environment variable holding the API key (never the key itself: `ps` would show it). */
  apiKeyEnv: string;
  /** The Arbiter session's label; `serve` appends `/<MCP session id>`. */
  session: string;
  /** The prefix of tool names in events: `<name>.<tool>`. */
  name: string;
  failOpen: boolean;
  hideBlocked: boolean;
  /** How long one call may wait for its verdict (a person may be deciding), in milliseconds. */
  timeoutMs: number;
  /** How often a call waiting for a reviewer sends the client a progress notification, in milliseconds. */
  progressEveryMs: number;
  /** `stdio`: the upstream server's command and arguments. */
  command: string[];
  /** `serve`: where to listen, and the upstream Streamable HTTP endpoint. */
  listen?: { host: string; port: number };
  upstream?: URL;
}

export const USAGE = `arbiter-mcp: every tools/call of an MCP server decided by Arbiter first

  arbiter-mcp [options] -- <command> [args…]          the server as a child over stdio, the agent on stdio
  arbiter-mcp serve --listen HOST:PORT --upstream URL [options]
                                                     a Streamable HTTP endpoint in front of a remote MCP server

Options:
  --url URL               Arbiter (ws://host:3000 or http(s)://…); default $ARBITER_URL
  --api-key-env NAME      the environment variable holding the API key (default ARBITER_API_KEY)
  --session LABEL         the Arbiter session label (default <user>@<host>/<name>)
  --name NAME             tool names in events are NAME.<tool> (default mcp)
  --fail-open             allow calls while Arbiter is unreachable or silent (default: refuse them)
  --hide-blocked          leave out of tools/list the tools the project's policy always blocks
  --timeout SECONDS       the longest one call waits for its verdict (default 3600)
  --progress-every SECONDS  progress notifications while a reviewer decides (default 10)
`;

export class UsageError extends Error {}

function seconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number of seconds`);
  return Math.round(n * 1000);
}

/** Parses argv (without node and the script); throws UsageError saying what is wrong. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): GatewayOptions {
  const args = [...argv];
  const mode = args[0] === 'serve' ? 'serve' : 'stdio';
  if (mode === 'serve') args.shift();
  const opts: GatewayOptions = {
    mode,
    url: env.ARBITER_URL ?? '',
    apiKeyEnv: 'ARBITER_API_KEY',
    session: '',
    name: 'mcp',
    failOpen: false,
    hideBlocked: false,
    timeoutMs: 3_600_000,
    progressEveryMs: 10_000,
    command: [],
  };
  while (args.length) {
    const flag = args.shift()!;
    if (flag === '--') {
      opts.command = args.splice(0);
      break;
    }
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = (): string => {
      const v = inline ?? args.shift();
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--url': opts.url = value(); break;
      case '--api-key-env': opts.apiKeyEnv = value(); break;
      case '--api-key': throw new UsageError('--api-key is not accepted: the command line is visible to every user (ps); put the key in an environment variable and name it with --api-key-env');
      case '--session': opts.session = value(); break;
      case '--name': opts.name = value(); break;
      case '--fail-open': opts.failOpen = true; break;
      case '--hide-blocked': opts.hideBlocked = true; break;
      case '--timeout': opts.timeoutMs = seconds(value(), name); break;
      case '--progress-every': opts.progressEveryMs = seconds(value(), name); break;
      case '--listen': {
        const v = value();
        const at = v.lastIndexOf(':');
        const port = Number(v.slice(at + 1));
        if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--listen must be HOST:PORT');
        opts.listen = { host: v.slice(0, at).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port };
        break;
      }
      case '--upstream': {
        try {
          opts.upstream = new URL(value());
        } catch {
          throw new UsageError('--upstream must be a URL');
        }
        break;
      }
      case '--help': case '-h': throw new UsageError('');
      default: throw new UsageError(`unknown option ${name}`);
    }
  }
  if (!opts.url) throw new UsageError('--url is required (or set ARBITER_URL)');
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(opts.name)) throw new UsageError('--name must be letters, digits, _ . or -');
  if (mode === 'stdio' && opts.command.length === 0) throw new UsageError('the upstream server command goes after --');
  if (mode === 'serve' && (!opts.listen || !opts.upstream)) throw new UsageError('serve needs --listen HOST:PORT and --upstream URL');
  if (mode === 'serve' && opts.command.length) throw new UsageError('serve takes no command: it forwards to --upstream');
  opts.session ||= `${safeUser()}@${os.hostname()}/${opts.name}`;
  return opts;
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'user';
  }
}
