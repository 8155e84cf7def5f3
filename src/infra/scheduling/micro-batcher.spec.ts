import { MicroBatcher } from './micro-batcher.js';

/** A batch runner whose batches finish only when the test says so. */
function controlledRunner() {
  const batches: { items: number[]; finish: () => void; fail: (err: Error) => void }[] = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({ items, finish: () => resolve(items.map((i) => `r${i}`)), fail: reject });
    });
  return { batches, run };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('MicroBatcher', () => {
  it('sends a lone request at once, as a batch of one', async () => {
    const { batches, run } = controlledRunner();
    const batcher = new MicroBatcher(run, 10, 1);
    const result = batcher.submit(1);
    expect(batches.map((b) => b.items)).toEqual([[1]]);
    batches[0].finish();
    await expect(result).resolves.toBe('r1');
  });

  it('gathers requests made while a batch is under way into the next one, in order, up to maxBatch', async () => {
    const { batches, run } = controlledRunner();
    const batcher = new MicroBatcher(run, 3, 1);
    const results = [1, 2, 3, 4, 5, 6].map((i) => batcher.submit(i));
    expect(batches.map((b) => b.items)).toEqual([[1]]);
    expect(batcher.waiting).toBe(5);
    batches[0].finish();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4]]);
    batches[1].finish();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4], [5, 6]]);
    batches[2].finish();
    await expect(Promise.all(results)).resolves.toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
  });

  it('keeps up to maxInFlight batches under way', async () => {
    const { batches, run } = controlledRunner();
    const batcher = new MicroBatcher(run, 10, 2);
    const results = [1, 2, 3].map((i) => batcher.submit(i));
    expect(batches.map((b) => b.items)).toEqual([[1], [2]]);
    batches[1].finish();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2], [3]]);
    batches[0].finish();
    batches[2].finish();
    await expect(Promise.all(results)).resolves.toEqual(['r1', 'r2', 'r3']);
  });

  it('fails every request of a failed batch, and only those', async () => {
    const { batches, run } = controlledRunner();
    const batcher = new MicroBatcher(run, 10, 1);
    const first = batcher.submit(1);
    const second = [batcher.submit(2), batcher.submit(3)];
    batches[0].fail(new Error('database went away'));
    await expect(first).rejects.toThrow('database went away');
    await tick();
    batches[1].finish();
    await expect(Promise.all(second)).resolves.toEqual(['r2', 'r3']);
  });

  it('fails a batch whose runner returned the wrong number of results', async () => {
    const batcher = new MicroBatcher<number, string>(async () => [], 10, 1);
    await expect(batcher.submit(1)).rejects.toThrow('batch of 1 returned 0 results');
  });
});
