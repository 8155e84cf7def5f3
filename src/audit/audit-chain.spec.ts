import { type ChainEntry, ChainWalker, GENESIS_HASH, entryHash } from './audit-chain.js';

function chain(n: number): ChainEntry[] {
  const out: ChainEntry[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const e: ChainEntry = { id: String(i), seq: String(i), prev_hash: prev, hash: '', actor_type: 'system', actor_id: null, action: `a.${i}`, target_type: null, target_id: null, details: '{}', at: '2026-11-30T05:00:00.000Z', request_id: null };
    e.hash = entryHash(e);
    prev = e.hash;
    out.push(e);
  }
  return out;
}

function walk(entries: ChainEntry[], head = { seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash }) {
  const walker = new ChainWalker({ seq: '0', hash: GENESIS_HASH }, head);
  for (const e of entries) if (!walker.push(e)) break;
  return walker.finish();
}

describe('the audit chain', () => {
  it('hashes fields with their lengths, so moving text across a field boundary changes the hash', () => {
    const [e] = chain(1);
    expect(entryHash({ ...e, actor_id: 'ab', action: 'c' })).not.toBe(entryHash({ ...e, actor_id: 'a', action: 'bc' }));
    expect(entryHash({ ...e, actor_id: null })).not.toBe(entryHash({ ...e, actor_id: '' }));
  });

  it('accepts an intact chain', () => {
    expect(walk(chain(5))).toBeUndefined();
  });

  it('names an altered entry, a deleted one and an inserted one', () => {
    const altered = chain(5);
    altered[2] = { ...altered[2], action: 'changed' };
    expect(walk(altered)).toMatchObject({ seq: '3', problem: 'altered' });

    const deleted = chain(5);
    const head = { seq: deleted[4].seq, hash: deleted[4].hash };
    expect(walk([...deleted.slice(0, 2), ...deleted.slice(3)], head)).toMatchObject({ seq: '3', id: null, problem: 'deleted' });

    const base = chain(4);
    const stranger: ChainEntry = { ...base[1], id: '99', seq: '3', prev_hash: base[1].hash, action: 'forged' };
    stranger.hash = entryHash(stranger);
    const shifted = base.slice(2).map((e) => ({ ...e, seq: String(Number(e.seq) + 1) }));
    expect(walk([base[0], base[1], stranger, ...shifted], { seq: '5', hash: base[3].hash })).toMatchObject({ seq: '3', id: '99', problem: 'inserted' });
  });
});
