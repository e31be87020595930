import autocannon from 'autocannon';
import type { LoadRequest, LoadResult } from './load.js';

// The HTTP load generator as its own process (pinned apart from the servers by bench/lib/load.ts):
// runs autocannon against every target at once, split evenly across `connections`, and answers
// with what it counted. Driven over IPC so one process serves a whole benchmark run.
process.on('message', async (request: LoadRequest) => {
  const perTarget = Math.max(1, Math.floor(request.connections / request.targets.length));
  const results = await Promise.all(
    request.targets.map((target) => {
      let next = 0;
      return autocannon({
        url: target.url,
        method: 'POST',
        connections: perTarget,
        duration: request.durationMs / 1000,
        ...(request.ratePerSecond ? { overallRate: request.ratePerSecond } : {}),
        headers: request.headers,
        requests: [{ setupRequest: (req) => ({ ...req, body: target.bodies[next++ % target.bodies.length] }) }],
      });
    }),
  );
  const answer: LoadResult = {
    seconds: Math.max(...results.map((r) => r.duration)),
    ok: results.reduce((n, r) => n + r['2xx'], 0),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    latencyP50Ms: results[0]!.latency.p50,
    latencyMeanMs: results[0]!.latency.mean,
    latencyP99Ms: results[0]!.latency.p99,
  };
  process.send!(answer);
});
// The benchmark process went away (finished or crashed): nothing left to generate load for.
process.on('disconnect', () => process.exit(0));
process.send!('ready');
