import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_ADMIN } from '../support/app.js';
import { freePort } from '../../src/infra/database/embedded-postgres.js';
import { projectRoot } from '../../src/infra/database/project-root.js';

/** Every process's output goes to a file under here, so a failing test can show what the server said. */
export const LOG_DIR = path.join(os.tmpdir(), `arbiter-topology-${process.pid}`);

export interface StartOptions {
  /** Used for ARBITER_INSTANCE_ID (with the start count) and the log file. */
  name: string;
  databaseUrl: string;
  /** A fixed port, e.g. to restart an instance where the balancer expects it. Default: a free one. */
  port?: number;
  /** Per-test settings on top of the defaults below. */
  env?: Record<string, string>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the signal to the exit. */
  ms: number;
}

const all = new Set<ArbiterProcess>();
let starts = 0;

/** One `node dist/src/main.js`, as `npm start` runs it, with its output in a log file (dist/ is built by the tests' global setup). */
export class ArbiterProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly options: StartOptions,
    readonly child: ChildProcess,
    readonly port: number,
    readonly instanceId: string,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits for GET /readyz = 200. */
  static async start(options: StartOptions): Promise<ArbiterProcess> {
    const port = options.port ?? (await freePort());
    const n = ++starts;
    const instanceId = `${options.name}-${n}`;
    mkdirSync(LOG_DIR, { recursive: true });
    const logFile = path.join(LOG_DIR, `${instanceId}.log`);
    const out = openSync(logFile, 'a');
    const child = spawn(process.execPath, [path.join(projectRoot(), 'dist/src/main.js')], {
      cwd: projectRoot(),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATABASE_URL: options.databaseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        ARBITER_ADMIN_EMAIL: TEST_ADMIN.email,
        ARBITER_ADMIN_PASSWORD: TEST_ADMIN.password,
        ARBITER_INSTANCE_ID: instanceId,
        ARBITER_DATA_DIR: path.join(LOG_DIR, `data-${instanceId}`),
        ARBITER_WEBHOOK_ALLOW_PRIVATE: 'true',
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    const proc = new ArbiterProcess(options, child, port, instanceId, logFile);
    all.add(proc);
    try {
      await proc.waitReady();
    } catch (err) {
      proc.child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${proc.tail()}`);
    }
    return proc;
  }

  /** A new process on the same port and database, with the same settings (a deploy of the next version). */
  restart(): Promise<ArbiterProcess> {
    return ArbiterProcess.start({ ...this.options, port: this.port });
  }

  async readyStatus(): Promise<number> {
    try {
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(3000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive) throw new Error(`${this.instanceId} exited before it was ready (${this.child.exitCode ?? this.child.signalCode})`);
      if ((await this.readyStatus()) === 200) return;
      if (Date.now() > deadline) throw new Error(`${this.instanceId} was not ready within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `timeoutMs`, which then shows in the result). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<Exit> {
    const started = Date.now();
    if (this.alive) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    all.delete(this);
    return { ...exit, ms: Date.now() - started };
  }

  /** Resident memory of the process, from /proc/<pid>/status. */
  rssBytes(): number {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (!match) throw new Error(`no VmRSS for ${this.instanceId}`);
    return Number(match[1]) * 1024;
  }

  tail(lines = 40): string {
    let text = '';
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return `(no output from ${this.instanceId})`;
    }
    const last = text.trimEnd().split('\n').slice(-lines).join('\n');
    return `--- last ${lines} lines of ${this.instanceId} (pid ${this.pid}, ${this.logFile}) ---\n${last}`;
  }
}

/** Kills every process started here that is still running (afterAll, and after a failure). */
export async function killAll(): Promise<void> {
  await Promise.all([...all].map((p) => p.stop('SIGKILL')));
}

/** The tails of the given processes' logs, for a failure message. */
export function tails(procs: Iterable<ArbiterProcess>): string {
  return [...procs].map((p) => p.tail()).join('\n');
}

/**
 * Runs a test body and, if it fails, prints what the server processes said before rethrowing (the output of a
 * process killed by the test stays in its log file too).
 */
export async function withServerLogs<T>(procs: () => Iterable<ArbiterProcess>, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    failures++;
    process.stderr.write(`\n${tails(procs())}\n`);
    throw err;
  }
}

let failures = 0;

/** Whether a test failed and showed server logs (then LOG_DIR is worth keeping). */
export function serverLogsShown(): boolean {
  return failures > 0;
}
