import { InboundBudget } from './inbound-budget.js';

function budget(perConnection: number, perInstance: number) {
  const calls: string[] = [];
  const b = new InboundBudget<string>(perConnection, perInstance, {
    pause: (c) => calls.push(`pause ${c}`),
    resume: (c) => calls.push(`resume ${c}`),
  });
  return { b, calls };
}

describe('InboundBudget', () => {
  it('pauses a connection whose backlog reaches its bound and resumes it at half', () => {
    const { b, calls } = budget(100, 10_000);
    b.take('a', 60);
    expect(calls).toEqual([]);
    b.take('a', 40);
    expect(calls).toEqual(['pause a']);
    expect(b.isPaused('a')).toBe(true);
    b.give('a', 40);
    expect(calls).toEqual(['pause a']);
    b.give('a', 10);
    expect(calls).toEqual(['pause a', 'resume a']);
    expect(b.bytes).toBe(50);
    expect(b.peakBytes).toBe(100);
  });

  it('pauses a connection that brings the instance to its bound with other frames waiting, and resumes them under half of it', () => {
    const { b, calls } = budget(1000, 100);
    b.take('a', 40);
    b.take('b', 40);
    b.take('a', 30);
    expect(calls).toEqual(['pause a']);
    // A lone frame (nothing else waiting on its connection) is let through: that agent is not ahead of anyone.
    b.take('c', 30);
    expect(calls).toEqual(['pause a']);
    b.take('c', 10);
    expect(calls).toEqual(['pause a', 'pause c']);
    // 120 bytes are still over half of 100.
    b.give('b', 40);
    expect(calls).toEqual(['pause a', 'pause c']);
    b.give('a', 70);
    expect(calls).toEqual(['pause a', 'pause c', 'resume a', 'resume c']);
    expect(b.pausedCount).toBe(0);
    expect(b.bytes).toBe(40);
  });

  it('keeps a connection over its own half paused when the instance is relieved', () => {
    const { b, calls } = budget(100, 250);
    b.take('a', 100);
    b.take('b', 75);
    b.take('b', 75);
    expect(calls).toEqual(['pause a', 'pause b']);
    b.give('b', 150);
    expect(calls).toEqual(['pause a', 'pause b', 'resume b']);
    b.give('a', 50);
    expect(calls).toEqual(['pause a', 'pause b', 'resume b', 'resume a']);
  });

  it('drops what a forgotten connection had waiting', () => {
    const { b } = budget(100, 1000);
    b.take('a', 150);
    b.forget('a');
    expect(b.bytes).toBe(0);
    expect(b.isPaused('a')).toBe(false);
    // Its frames still being handled when it went are not given back twice.
    b.take('b', 30);
    b.give('a', 150);
    expect(b.bytes).toBe(30);
  });

  it('reads a connection held for its backlog and for its tenant again only when neither holds it', () => {
    const { b, calls } = budget(100, 10_000);
    b.take('a', 100);
    b.throttle('a');
    b.throttle('a');
    expect(calls).toEqual(['pause a']);
    expect(b.throttledCount).toBe(1);
    b.give('a', 100);
    expect(calls).toEqual(['pause a']);
    expect(b.isPaused('a')).toBe(true);
    b.unthrottle('a');
    expect(calls).toEqual(['pause a', 'resume a']);
    b.throttle('a');
    b.take('a', 100);
    b.unthrottle('a');
    expect(calls).toEqual(['pause a', 'resume a', 'pause a']);
    b.forget('a');
    expect(b.throttledCount).toBe(0);
  });
});
