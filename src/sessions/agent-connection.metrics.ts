import { Counter, Gauge, type Registry } from 'prom-client';
import type { AgentConnection, AgentConnectionRegistry } from './agent-connection.registry.js';
import type { InboundBudget } from './inbound-budget.js';
import type { TenantThrottle } from './tenant-throttle.js';

/** The agent connections' gauges on /metrics: live sessions, what waits to be read or sent, what is held and why. */
export function registerConnectionGauges(
  registry: Registry,
  connections: AgentConnectionRegistry,
  inbound: InboundBudget<AgentConnection>,
  throttle: TenantThrottle<AgentConnection>,
): void {
  new Gauge({
    name: 'arbiter_live_sessions',
    help: 'Agent sessions whose live connection is on this instance',
    registers: [registry],
    collect() {
      this.set(connections.liveSessions().length);
    },
  });
  new Gauge({
    name: 'arbiter_ws_inbound_queued_bytes',
    help: 'Bytes of received agent frames waiting to be handled on this instance (ARBITER_WS_MAX_QUEUED_BYTES_TOTAL bounds it)',
    registers: [registry],
    collect() {
      this.set(inbound.bytes);
    },
  });
  new Gauge({
    name: 'arbiter_ws_inbound_queued_bytes_peak',
    help: 'The most bytes of received agent frames that have waited at once since the instance started',
    registers: [registry],
    collect() {
      this.set(inbound.peakBytes);
    },
  });
  new Gauge({
    name: 'arbiter_ws_paused_connections',
    help: 'Agent connections not being read because they are ahead of what is handled',
    registers: [registry],
    collect() {
      this.set(inbound.pausedCount);
    },
  });
  new Gauge({
    name: 'arbiter_ws_throttled_connections',
    help: 'Agent connections not being read because their project is over ARBITER_WS_PROJECT_BYTES_PER_SECOND or ARBITER_WS_PROJECT_CPU_MS_PER_SECOND',
    registers: [registry],
    collect() {
      this.set(inbound.throttledCount);
    },
  });
  new Counter({
    name: 'arbiter_ws_project_throttles_total',
    help: 'Times a project went over its agent-frame rates on this instance and had its connections held',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(throttle.throttles);
    },
  });
  new Gauge({
    name: 'arbiter_ws_outbound_buffered_bytes',
    help: 'Bytes of frames sent to agents and not yet taken by their sockets (ARBITER_WS_MAX_BUFFERED_BYTES bounds each)',
    registers: [registry],
    collect() {
      let sum = 0;
      for (const conn of connections.connections()) sum += conn.socket.bufferedAmount;
      this.set(sum);
    },
  });
}
