// The MCP gateway's inventory (protocol 1.1 `inventory` frame): what tools the agent's session can reach. The server
// stores it on the session and answers `inventory_ok` with the listed tools its policy always blocks.

/** A tool server's name and version and its tools, named as this session's events name them (e.g. `fs.write_file`). */
export interface Inventory {
  server: { name: string; version?: string };
  tools: Array<{ name: string; description?: string }>;
}

export interface InventoryAnswer {
  /** The listed tools the project's policy blocks whatever their input (safe to hide from the agent). */
  always_blocked: string[];
}

interface Waiter {
  resolve: (answer: InventoryAnswer | null) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The latest inventory, sent after every login until answered (a dropped connection may have lost it). */
export class InventoryReport {
  private frame: Record<string, unknown> | undefined;
  private answered = false;
  private readonly waiters = new Set<Waiter>();

  /** Remembers `inventory` as the one to send; resolves with the server's answer, or null after `timeoutMs`. */
  report(inventory: Inventory, timeoutMs: number, send: (frame: Record<string, unknown>) => void): Promise<InventoryAnswer | null> {
    this.frame = { type: 'inventory', server: inventory.server, tools: inventory.tools };
    this.answered = false;
    send(this.frame);
    return new Promise((resolve) => {
      const waiter: Waiter = { resolve, timer: setTimeout(() => this.finish(waiter, null), timeoutMs) };
      this.waiters.add(waiter);
    });
  }

  /** The frame to send again after a login, if the server has not answered it. */
  unanswered(): Record<string, unknown> | undefined {
    return this.answered ? undefined : this.frame;
  }

  answer(frame: Record<string, unknown>): void {
    this.answered = true;
    const blocked = Array.isArray(frame.always_blocked) ? frame.always_blocked.filter((t): t is string => typeof t === 'string') : [];
    for (const waiter of [...this.waiters]) this.finish(waiter, { always_blocked: blocked });
  }

  /** Everyone waiting gets null (closed, or the server refused the frame). */
  clear(): void {
    for (const waiter of [...this.waiters]) this.finish(waiter, null);
  }

  private finish(waiter: Waiter, answer: InventoryAnswer | null): void {
    if (!this.waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    waiter.resolve(answer);
  }
}
