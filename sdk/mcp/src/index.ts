export { ArbiterLink, type GateVerdict, type LinkOptions } from './arbiter-link.js';
export { type GatewaySession, apiKeyFrom, openSession } from './gateway.js';
export { ToolInventory } from './inventory.js';
export { type GatewayOptions, USAGE, UsageError, parseOptions } from './options.js';
export { McpProxy, type ProxyOptions } from './proxy.js';
export { runServe } from './serve.js';
export { runStdio } from './stdio.js';
export { type CallParams, type GateOutcome, ToolCallGate, blockedText } from './tool-call-gate.js';
