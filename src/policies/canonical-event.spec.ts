import { createHash } from 'node:crypto';
import { canonicalJson, eventInputSha256, inputTexts } from './canonical-event.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('canonicalJson', () => {
  it('writes the same text whatever order the keys were inserted in', () => {
    expect(canonicalJson({ b: 1, a: 2, c: { z: 1, y: 2 } })).toBe('{"a":2,"b":1,"c":{"y":2,"z":1}}');
    expect(canonicalJson({ c: { y: 2, z: 1 }, a: 2, b: 1 })).toBe(canonicalJson({ b: 1, a: 2, c: { z: 1, y: 2 } }));
  });

  it('sorts keys by UTF-16 code units, integer-like keys included', () => {
    // A JavaScript object enumerates "9" before "10"; canonical order compares the strings.
    expect(canonicalJson({ b: 0, 9: 0, 10: 0, A: 0, _: 0 })).toBe('{"10":0,"9":0,"A":0,"_":0,"b":0}');
  });

  it('keeps array order and sorts objects nested inside arrays and arrays inside objects', () => {
    expect(canonicalJson([3, 1, { y: [{ b: 1, a: 0 }], x: [] }, [], {}])).toBe('[3,1,{"x":[],"y":[{"a":0,"b":1}]},[],{}]');
  });

  it('writes no whitespace outside strings', () => {
    expect(canonicalJson({ cmd: 'rm -rf /', args: [1, 2] })).toBe('{"args":[1,2],"cmd":"rm -rf /"}');
  });

  it('encodes undefined as null at the top level, leaves it out of objects and writes null in arrays', () => {
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
    expect(canonicalJson([undefined, null])).toBe('[null,null]');
  });

  it('keeps unicode as characters and escapes what JSON requires', () => {
    expect(canonicalJson({ 'ключ': 'ü€😀', q: 'a"b\\c\n\t\u0001' })).toBe('{"q":"a\\"b\\\\c\\n\\t\\u0001","ключ":"ü€😀"}');
    // A lone surrogate is escaped, so the text is well-formed UTF-8 when hashed.
    expect(canonicalJson('\ud800')).toBe('"\\ud800"');
  });

  it('writes numbers in their shortest round-trip form', () => {
    expect(canonicalJson([1, 1.0, -0, 0.1, 1e21, 1e-7, 123456789012345680000, -1.5, 2 ** 53])).toBe(
      '[1,1,0,0.1,1e+21,1e-7,123456789012345680000,-1.5,9007199254740992]',
    );
    expect(canonicalJson([Number.NaN, Number.POSITIVE_INFINITY])).toBe('[null,null]');
  });

  it('agrees with JSON.stringify on values whose keys are already sorted', () => {
    const value = { a: [true, false, null, 'x', 0.5, { b: 'c' }], d: { e: { f: [] } }, g: '' };
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });

  it('handles nesting far deeper than the call stack allows', () => {
    const depth = 200_000;
    const text = '['.repeat(depth) + ']'.repeat(depth);
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });

  it('refuses cycles and BigInts like JSON.stringify', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
    expect(() => canonicalJson({ n: BigInt(1) })).toThrow(TypeError);
  });

  it('writes a shared (non-cyclic) object each time it appears', () => {
    const shared = { b: 1, a: 2 };
    expect(canonicalJson([shared, { shared }])).toBe('[{"a":2,"b":1},{"shared":{"a":2,"b":1}}]');
  });
});

describe('eventInputSha256', () => {
  it('is the SHA-256 of the canonical {input, kind, tool} object', () => {
    const event = { kind: 'tool' as const, tool: 'shell.exec', input: { cmd: 'ls', cwd: '/tmp' } };
    expect(eventInputSha256(event)).toBe(sha256('{"input":{"cmd":"ls","cwd":"/tmp"},"kind":"tool","tool":"shell.exec"}'));
    expect(eventInputSha256(event)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('equals canonicalJson of the whole event, with or without the input already canonicalised', () => {
    for (const event of [
      { kind: 'tool' as const, tool: 'shell.exec', input: { z: [1, { b: 'é', a: null }], a: 'x' } },
      { kind: 'llm' as const },
      { kind: 'tool' as const, tool: null, input: 'just text' },
    ]) {
      const whole = sha256(canonicalJson({ kind: event.kind, tool: event.tool ?? null, input: event.input ?? null }));
      expect(eventInputSha256(event)).toBe(whole);
      expect(eventInputSha256(event, canonicalJson(event.input ?? null))).toBe(whole);
    }
  });

  it('does not depend on key order inside the input', () => {
    expect(eventInputSha256({ kind: 'tool', tool: 't', input: { a: 1, b: [{ d: 1, c: 2 }] } })).toBe(
      eventInputSha256({ kind: 'tool', tool: 't', input: { b: [{ c: 2, d: 1 }], a: 1 } }),
    );
  });

  it('treats a missing tool or input as null', () => {
    const expected = sha256('{"input":null,"kind":"llm","tool":null}');
    expect(eventInputSha256({ kind: 'llm' })).toBe(expected);
    expect(eventInputSha256({ kind: 'llm', tool: null, input: null })).toBe(expected);
    expect(eventInputSha256({ kind: 'llm', tool: undefined, input: undefined })).toBe(expected);
  });

  it('changes when the kind, the tool or any part of the input changes', () => {
    const base = { kind: 'tool' as const, tool: 'fs.write', input: { path: '/a', data: 'x' } };
    const hashes = new Set([
      eventInputSha256(base),
      eventInputSha256({ ...base, kind: 'llm' }),
      eventInputSha256({ ...base, tool: 'fs.read' }),
      eventInputSha256({ ...base, input: { path: '/a', data: 'y' } }),
      eventInputSha256({ ...base, input: { path: '/a', data: 'x', extra: true } }),
      eventInputSha256({ ...base, input: ['/a', 'x'] }),
    ]);
    expect(hashes.size).toBe(6);
  });

  it('hashes non-ASCII input as UTF-8', () => {
    expect(eventInputSha256({ kind: 'llm', input: 'héllo 😀' })).toBe(sha256('{"input":"héllo 😀","kind":"llm","tool":null}'));
  });
});

describe('inputTexts', () => {
  it('lists every key and scalar at any depth, strings decoded, numbers as canonicalJson writes them, each once', () => {
    const input = JSON.parse('{"cmd":"rm\\t-rf","n":[9e20,22.0,true,null,{"deep":["x","x"]}],"u":"\\u00e9"}');
    expect([...inputTexts(input, 1000)!].sort()).toEqual(['22', '900000000000000000000', 'cmd', 'deep', 'n', 'null', 'rm\t-rf', 'true', 'u', 'x', 'é'].sort());
  });

  it('tests a missing input as null, leaves out undefined members and sees nothing in empty containers', () => {
    expect([...inputTexts(undefined, 10)!]).toEqual(['null']);
    expect([...inputTexts({ a: undefined, b: [undefined] }, 10)!].sort()).toEqual(['b', 'null']);
    expect([...inputTexts({}, 10)!]).toEqual([]);
    expect([...inputTexts([[], {}], 10)!]).toEqual([]);
  });

  it('gives up (null) once the distinct texts pass the limit, rather than returning part of them', () => {
    expect(inputTexts({ ab: 'cd' }, 4)).not.toBeNull();
    expect(inputTexts({ ab: 'cde' }, 4)).toBeNull();
    expect(inputTexts(Array.from({ length: 100 }, () => 'same'), 4)).not.toBeNull();
  });

  it('walks deep nesting without recursion and a shared object once', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect([...inputTexts(deep, 100)!]).toEqual(['bottom']);
    const shared = { k: 'v' };
    expect([...inputTexts([shared, shared], 100)!].sort()).toEqual(['k', 'v']);
  });
});

describe('one source for the hash', () => {
  it('is the SDK’s own module: what the server writes into a verdict is what @arbiter-ai/sdk checks it against', async () => {
    const sdk = await import('@arbiter-ai/sdk/canonical');
    const root = await import('@arbiter-ai/sdk');
    expect(canonicalJson).toBe(sdk.canonicalJson);
    expect(eventInputSha256).toBe(sdk.eventInputSha256);
    expect(root.eventInputSha256).toBe(sdk.eventInputSha256);
  });
});
