import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';

/**
 * Nest's `ws` adapter with our limits: frames above `maxPayload` close the socket with 1009, and no compression (it
 * costs CPU and memory per socket for small JSON frames). Message dispatch is the gateway's own: the agent protocol
 * is typed by a `type` field and validated before any handler runs, not routed by Nest's `event` field.
 */
export class ArbiterWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly maxPayload: number,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> = {}) {
    return super.create(port, { ...options, maxPayload: this.maxPayload, perMessageDeflate: false, clientTracking: true });
  }

  override bindMessageHandlers(): void {
    // The gateway reads frames itself (see AgentGateway.handleConnection).
  }
}
