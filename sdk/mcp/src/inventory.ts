import type { ArbiterLink } from './arbiter-link.js';

const MAX_TOOLS = 1000;
const MAX_DESCRIPTION = 1000;
/** The server's frame limit is 64 KiB by default: leave room for the frame around the tools. */
const MAX_FRAME_CHARS = 60_000;

interface ListedTool {
  name: string;
  description?: string;
}

/**
 * The upstream server's tools as its `tools/list` answers show them, reported to Arbiter (the session's page shows
 * them). With --hide-blocked, the tools the project's policy always blocks are left out of the answers.
 */
export class ToolInventory {
  private server = { name: 'unknown', version: undefined as string | undefined };
  private readonly tools = new Map<string, string | undefined>();

  constructor(
    private readonly link: ArbiterLink,
    private readonly toolName: (name: string) => string,
    private readonly hideBlocked: boolean,
    private readonly log: (line: string) => void,
  ) {}

  /** From the initialize answer's serverInfo. */
  serverInfo(info: unknown): void {
    const i = (info ?? {}) as { name?: unknown; version?: unknown };
    if (typeof i.name === 'string' && i.name) this.server.name = i.name.slice(0, 200);
    if (typeof i.version === 'string' && i.version) this.server.version = i.version.slice(0, 200);
  }

  /** Reports one tools/list answer and returns it, without the always-blocked tools with --hide-blocked. */
  async listed(result: Record<string, unknown>): Promise<Record<string, unknown>> {
    const listed = Array.isArray(result.tools) ? (result.tools as ListedTool[]) : [];
    for (const tool of listed) {
      if (typeof tool?.name === 'string' && this.tools.size < MAX_TOOLS) this.tools.set(tool.name, typeof tool.description === 'string' ? tool.description : undefined);
    }
    const report = this.link.reportInventory(this.frame()).catch(() => null);
    if (!this.hideBlocked) {
      void report;
      return result;
    }
    const answer = await report;
    if (!answer) {
      this.log('--hide-blocked: Arbiter did not say which tools are always blocked; listing them all (calls are still decided)');
      return result;
    }
    const hidden = new Set(answer.always_blocked);
    return { ...result, tools: listed.filter((tool) => !hidden.has(this.toolName(tool.name))) };
  }

  private frame() {
    let budget = MAX_FRAME_CHARS;
    const tools = [...this.tools].map(([name, description]) => {
      const full = this.toolName(name).slice(0, 200);
      // Descriptions are shortened to keep the frame under the limit; names are what matter.
      const text = description?.replace(/\u0000/g, '').slice(0, Math.max(0, Math.min(MAX_DESCRIPTION, budget - full.length - 40)));
      budget -= full.length + 40 + (text?.length ?? 0);
      return text ? { name: full, description: text } : { name: full };
    });
    return { server: { name: this.server.name, ...(this.server.version ? { version: this.server.version } : {}) }, tools };
  }
}
