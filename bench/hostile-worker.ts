/**
 * A load-generator process for figure 6 (forked by bench/run.ts), so that building and sending the hostile frames
 * does not delay the measured agents' own event loop. Messages in: {type:'start', url, apiKey, perKind, kinds};
 * {type:'stop'}. Out: {type:'started'}; {type:'stopped', sent}; {type:'failed', message}.
 */
import { type HostileKind, startHostileLoad } from './lib/hostile.js';

let load: Awaited<ReturnType<typeof startHostileLoad>> | undefined;

process.on('message', (m: { type: string; url?: string; apiKey?: string; perKind?: number; kinds?: HostileKind[] }) => {
  if (m.type === 'start') {
    startHostileLoad(m.url!, m.apiKey!, m.perKind!, m.kinds)
      .then((started) => {
        load = started;
        process.send?.({ type: 'started' });
      })
      .catch((err: Error) => process.send?.({ type: 'failed', message: err.message }));
  } else if (m.type === 'stop') {
    void (load?.stop() ?? Promise.resolve({})).then((sent) => {
      process.send?.({ type: 'stopped', sent });
      process.disconnect();
    });
  }
});
