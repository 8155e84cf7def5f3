/**
 * Turns many concurrent single requests into few batched ones, without a timer. A request goes out at once while
 * fewer than `maxInFlight` batches are under way (so a lone caller waits for nothing); otherwise it waits for the
 * next batch, which leaves as soon as one under way completes and carries everything that queued meanwhile (up to
 * `maxBatch`). Under load, batches grow with the load; when idle, they are single requests.
 *
 * `run` must return one result per item, in order. If it throws, every item of that batch fails with its error.
 */
export class MicroBatcher<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly maxBatch: number,
    private readonly maxInFlight: number,
  ) {
    if (maxBatch < 1 || maxInFlight < 1) throw new Error('maxBatch and maxInFlight must be at least 1');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.drain();
    });
  }

  /** Nothing waiting and nothing under way. */
  get idle(): boolean {
    return this.inFlight === 0 && this.queue.length === 0;
  }

  /** Requests waiting for a batch (not counting those under way). */
  get waiting(): number {
    return this.queue.length;
  }

  private drain(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.execute(batch);
    }
  }

  private async execute(batch: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[]): Promise<void> {
    try {
      const results = await this.run(batch.map((b) => b.item));
      if (results.length !== batch.length) throw new Error(`batch of ${batch.length} returned ${results.length} results`);
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.inFlight--;
      this.drain();
    }
  }
}

/**
 * One MicroBatcher per key (requests batch only with requests of the same key: one share link, one rate-limit key,
 * one API key), created on first use and dropped once it has nothing to do, so idle keys cost no memory.
 */
export class KeyedMicroBatcher<I, O> {
  private readonly batchers = new Map<string, MicroBatcher<I, O>>();

  constructor(
    private readonly run: (key: string, items: I[]) => Promise<O[]>,
    private readonly maxBatch: number,
    private readonly maxInFlight = 1,
  ) {}

  async submit(key: string, item: I): Promise<O> {
    let batcher = this.batchers.get(key);
    if (!batcher) {
      batcher = new MicroBatcher<I, O>((items) => this.run(key, items), this.maxBatch, this.maxInFlight);
      this.batchers.set(key, batcher);
    }
    try {
      return await batcher.submit(item);
    } finally {
      if (batcher.idle && this.batchers.get(key) === batcher) this.batchers.delete(key);
    }
  }

  /** Keys with a batcher (waiting or under way). */
  get size(): number {
    return this.batchers.size;
  }
}
