import WebSocket from 'ws';

/** The worst inputs the agent protocol allows, each sent as fast as the server takes them (src/sessions/PROTOCOL.md). */
export type HostileKind = 'max_size' | 'max_nesting' | 'regex';

const MAX_FRAME = 64 * 1024;
/** Frames a hostile socket keeps handed to its TCP connection at once: as fast as the server reads, no faster. */
const IN_FLIGHT = 8;

function frame(kind: HostileKind, eventId: string): string {
  const shell = (input: unknown) => JSON.stringify({ type: 'event', event_id: eventId, kind: 'tool', tool: kind === 'regex' ? 'shell.exec' : 'bulk.write', input });
  if (kind === 'max_nesting') {
    // Far past the 64-level limit: refused at parse time (what once overflowed JSON.stringify in a shared batch).
    return `{"type":"event","event_id":"${eventId}","kind":"tool","tool":"bulk.write","input":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
  }
  const room = MAX_FRAME - shell({ '-': '' }).length - 16;
  // For `regex`: words and spaces ending in a character no word matches, the input that makes (\w+\s?)+$ backtrack
  // exponentially on a backtracking engine; for `max_size`, the same bytes with no pattern to run.
  // Under a key the pattern does not match: keys are tested too, and `text` matched at once, sparing the value.
  return shell({ '-': 'aaaa '.repeat(Math.floor(room / 5)) + '!' });
}

/** One logged-in socket sending `kind` frames back to back until stopped; it reads (and ignores) what comes back. */
class HostileSocket {
  sent = 0;
  private running = true;
  private inFlight = 0;
  private done!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.done = resolve));

  constructor(
    private readonly socket: WebSocket,
    private readonly kind: HostileKind,
    private readonly name: string,
  ) {
    socket.on('close', () => {
      this.running = false;
      this.done();
    });
  }

  static async open(url: string, apiKey: string, kind: HostileKind, name: string): Promise<HostileSocket> {
    const socket = new WebSocket(`${url}/ws`, { headers: { authorization: `Bearer ${apiKey}` }, perMessageDeflate: false });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => socket.send(JSON.stringify({ type: 'login', session_id: name })));
      socket.once('message', (data) => (JSON.parse(data.toString()).type === 'login_ok' ? resolve() : reject(new Error(`hostile login refused: ${data}`))));
      socket.once('close', (code) => reject(new Error(`hostile socket closed ${code} before login_ok`)));
    });
    return new HostileSocket(socket, kind, name);
  }

  start(): void {
    while (this.running && this.inFlight < IN_FLIGHT) {
      this.inFlight++;
      this.socket.send(frame(this.kind, `${this.name}-${this.sent++}`), () => {
        this.inFlight--;
        this.start();
      });
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.socket.terminate();
    await this.finished;
  }
}

/** Starts `perKind` sockets of each hostile kind on `url`; `stop()` ends them and says how many frames each kind sent. */
export async function startHostileLoad(
  url: string,
  apiKey: string,
  perKind: number,
  kinds: HostileKind[] = ['max_size', 'max_nesting', 'regex'],
): Promise<{ stop(): Promise<Record<HostileKind, number>> }> {
  const sockets = await Promise.all(
    kinds.flatMap((kind) => Array.from({ length: perKind }, (_, i) => HostileSocket.open(url, apiKey, kind, `hostile-${kind}-${i}`).then((s) => ({ kind, s })))),
  );
  for (const { s } of sockets) s.start();
  return {
    async stop() {
      await Promise.all(sockets.map(({ s }) => s.stop()));
      const sent = { max_size: 0, max_nesting: 0, regex: 0 };
      for (const { kind, s } of sockets) sent[kind] += s.sent;
      return sent;
    },
  };
}
