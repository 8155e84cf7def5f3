import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/database/prisma.service.js';
import { PolicyCache } from '../policies/policy-cache.service.js';
import { alwaysBlockedTools } from './always-blocked.js';
import type { InventoryFrame, InventoryOkFrame } from './protocol.js';

/** The session an inventory came in on, as the connection holds it. */
export interface InventorySession {
  id: string;
  projectId: string;
  epoch: number;
}

export type InventoryOutcome = { kind: 'answer'; frame: InventoryOkFrame } | { kind: 'not_held' };

/**
 * An agent's `inventory` (protocol 1.1, sent by the MCP gateway): stored on the session, replacing the last one, and
 * answered with the listed tools the project's policy always blocks (see alwaysBlockedTools). The frame's size is
 * bounded by the parser (tool count, name and description lengths) and the WebSocket frame limit.
 */
@Injectable()
export class SessionInventory {
  constructor(
    private readonly prisma: PrismaService,
    private readonly policies: PolicyCache,
  ) {}

  async record(session: InventorySession, frame: InventoryFrame): Promise<InventoryOutcome> {
    const inventory = {
      server: { name: frame.server.name, version: frame.server.version ?? null },
      tools: frame.tools.map((t) => ({ name: t.name, description: t.description ?? null })),
      reported_at: new Date().toISOString(),
    };
    // Only while this connection holds the session, as for events (a revoked key or a takeover stores nothing).
    const { rowCount } = await this.prisma.pool.query({
      name: 'arbiter_record_inventory',
      text: `UPDATE agent_sessions s SET inventory = $3::jsonb
               FROM api_keys k
              WHERE s.id = $1 AND s.epoch = $2 AND k.id = s.api_key_id AND k.revoked_at IS NULL`,
      values: [session.id, session.epoch, JSON.stringify(inventory)],
    });
    if (!rowCount) return { kind: 'not_held' };
    const policy = await this.policies.get(session.projectId);
    const blocked = alwaysBlockedTools(policy, inventory.tools.map((t) => t.name));
    return { kind: 'answer', frame: { type: 'inventory_ok', always_blocked: blocked } };
  }
}
