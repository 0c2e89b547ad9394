// Flip-detection latency and probe throughput on loopback: a real node:http "gateway" that flips from a
// bare 403 to the app at a known instant, the real undici prober and the eventual-expectation loop.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awaitExpectations, systemClock, systemSleep, type Expectation } from '../src/probe/eventually.js';
import { createProber } from '../src/probe/prober.js';

const TRIALS = 30;
const INTERVAL_MS = 50;
const THROUGHPUT_MS = 2000;

let flipAt = Infinity;
const server = createServer((_req, res) => {
  if (performance.now() >= flipAt) {
    res.writeHead(200, { server: 'istio-envoy', 'x-envoy-upstream-service-time': '1' });
    res.end('<html>ok</html>');
  } else {
    res.writeHead(403, { server: 'istio-envoy', 'content-length': '0' });
    res.end();
  }
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const prober = createProber({ baseUrl: url, timeoutMs: 2000 });
const allow: Expectation = { name: 'GET /', request: { method: 'GET', path: '/' }, expected: 'allow' };

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

// Detection lag = recorded propagation − true flip offset (0 … one interval is the ideal).
const lags: number[] = [];
for (let i = 0; i < TRIALS; i++) {
  const appliedAt = performance.now();
  const offset = 20 + Math.random() * 200;
  flipAt = appliedAt + offset;
  const [r] = await awaitExpectations(
    [allow],
    appliedAt,
    { consecutive: 3, timeoutMs: 5000, intervalMs: INTERVAL_MS, holdMs: 0 },
    { probe: prober.probe, clock: systemClock, sleep: systemSleep, signal: AbortSignal.timeout(10_000) },
  );
  if (r?.status !== 'pass' || r.propagationMs === undefined) throw new Error(`trial ${i} did not settle`);
  lags.push(r.propagationMs - offset);
}
flipAt = 0;

async function throughput(concurrency: number): Promise<number> {
  let n = 0;
  const end = performance.now() + THROUGHPUT_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const o = await prober.probe(allow.request);
        if (o.verdict !== 'allowed') throw new Error(`unexpected ${o.verdict}`);
        n++;
      }
    }),
  );
  return n / (THROUGHPUT_MS / 1000);
}
const seq = await throughput(1);
const par = await throughput(8);

await prober.close();
server.close();

const f = (x: number) => x.toFixed(1);
console.log(`flip detection lag over ${TRIALS} flips, poll interval ${INTERVAL_MS} ms, k=3:`);
console.log(`  p50 ${f(pct(lags, 50))} ms (${f(pct(lags, 50) / INTERVAL_MS)} intervals)`);
console.log(`  p95 ${f(pct(lags, 95))} ms (${f(pct(lags, 95) / INTERVAL_MS)} intervals)`);
console.log(
  `  max ${f(Math.max(...lags))} ms; bound the tests assert: interval + 50 ms = ${INTERVAL_MS + 50} ms`,
);
console.log(`probes per second on loopback (keep-alive pool):`);
console.log(`  sequential ${seq.toFixed(0)}/s, 8 in flight ${par.toFixed(0)}/s (x${(par / seq).toFixed(1)})`);
