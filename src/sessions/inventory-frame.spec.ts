import { MAX_INVENTORY_TOOLS, MAX_TOOL_DESCRIPTION, parseClientFrame } from './protocol.js';

const inventory = (fields: Record<string, unknown>) => JSON.stringify({ type: 'inventory', server: { name: 'fs', version: '1.0' }, tools: [{ name: 'fs.read', description: 'Reads' }], ...fields });

describe('the inventory frame', () => {
  it('accepts a server and its tools, version and descriptions optional', () => {
    expect(parseClientFrame(inventory({})).ok).toBe(true);
    expect(parseClientFrame(JSON.stringify({ type: 'inventory', server: { name: 'fs' }, tools: [] })).ok).toBe(true);
  });

  it.each([
    ['an unknown field', { extra: 1 }, 'inventory: unknown field "extra"'],
    ['no server', { server: undefined }, 'inventory: server must be an object'],
    ['a server with an unknown field', { server: { name: 'fs', url: 'x' } }, 'inventory: unknown field "url"'],
    ['a server name with a control character', { server: { name: 'f\u0007s' } }, 'inventory: server.name must be 1-200 printable characters'],
    ['tools not an array', { tools: {} }, `inventory: tools must be an array of at most ${MAX_INVENTORY_TOOLS} tools`],
    ['too many tools', { tools: Array.from({ length: MAX_INVENTORY_TOOLS + 1 }, (_, i) => ({ name: `t${i}` })) }, `inventory: tools must be an array of at most ${MAX_INVENTORY_TOOLS} tools`],
    ['a tool without a name', { tools: [{ description: 'x' }] }, 'inventory: tool name must be 1-200 printable characters'],
    ['a description too long', { tools: [{ name: 't', description: 'x'.repeat(MAX_TOOL_DESCRIPTION + 1) }] }, `inventory: a tool's description must be a string of at most ${MAX_TOOL_DESCRIPTION} characters`],
    ['a description with \\u0000', { tools: [{ name: 't', description: 'a\u0000b' }] }, `inventory: a tool's description must be a string of at most ${MAX_TOOL_DESCRIPTION} characters`],
  ])('refuses %s with an error frame, not a close', (_what, fields, message) => {
    expect(parseClientFrame(inventory(fields))).toEqual({ ok: false, fatal: false, message });
  });
});
