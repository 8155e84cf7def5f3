import type { Logger } from '@nestjs/common';

/**
 * Work every instance repeats on a timer (sweepers, clean-ups). It starts once `ready` resolves (the database is
 * migrated), runs one pass at a time (a tick while a pass is still going is skipped), logs failures instead of
 * throwing, and `stop()` waits for the pass in progress, so shutdown never closes the database under it.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private halted = false;

  constructor(
    private readonly what: string,
    private readonly everyMs: number,
    private readonly work: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  /** True once stop() was called: long passes check it between batches. */
  get stopped(): boolean {
    return this.halted;
  }

  /** Ticks every `everyMs` from when `ready` resolves, with a first pass right then. */
  start(ready: Promise<void>): void {
    void ready.then(() => {
      if (this.halted) return;
      this.timer = setInterval(() => this.tick(), this.everyMs);
      this.timer.unref();
      this.tick();
    });
  }

  async stop(): Promise<void> {
    this.halted = true;
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.halted || this.running) return;
    this.running = this.work()
      .then(() => undefined)
      .catch((err: Error) => this.logger.warn(`${this.what} failed: ${err.message}`))
      .finally(() => (this.running = undefined));
  }
}
