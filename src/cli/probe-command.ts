import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  awaitExpectations,
  describeWanted,
  describeObservation,
  systemClock,
  systemSleep,
  type Expectation,
} from '../probe/eventually.js';
import { HTTP_METHODS } from '../probe/http-methods.js';
import type { CliIo } from './index.js';

/** The expectation did not hold within the timeout: exit 1 with what was seen. */
export class ProbeUnmetError extends Error {
  override name = 'ProbeUnmetError';
}

interface ProbeOptions {
  url: string;
  method: string;
  header: Record<string, string>;
  expect?: 'allow' | 'deny';
  layer?: 'l7' | 'l4';
  timeout: number;
  consecutive: number;
  interval: number;
  json?: boolean;
}

const POLL_INTERVAL_MS = 500;

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !(n > 0) || n > 3600) {
    throw new InvalidArgumentError('expected seconds, a number above 0 and at most 3600 (e.g. 30 or 2.5)');
  }
  return n;
}

function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 20)
    throw new InvalidArgumentError('expected a whole number from 1 to 20');
  return n;
}

function parseMethod(v: string): string {
  const m = v.toUpperCase();
  if (!(HTTP_METHODS as readonly string[]).includes(m)) {
    throw new InvalidArgumentError(`expected one of ${HTTP_METHODS.join(', ')}`);
  }
  return m;
}

function parseHeader(v: string, prev: Record<string, string> = {}): Record<string, string> {
  const i = v.indexOf(':');
  const name = i > 0 ? v.slice(0, i).trim() : '';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new InvalidArgumentError(
      'expected NAME:VALUE with an HTTP header name, e.g. "Host: shop.example.com"',
    );
  }
  return { ...prev, [name.toLowerCase()]: v.slice(i + 1).trim() };
}

function parseUrl(v: string): URL {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError('expected an absolute http(s) URL, e.g. http://127.0.0.1:30080/cart');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new InvalidArgumentError('expected an http or https URL');
  return u;
}

export function registerProbeCommand(program: Command, io: CliIo): void {
  program
    .command('probe')
    .description(
      'Classify one request through an Istio gateway (allowed, denied-l7, denied-l4, unavailable); ' +
        'with --expect, poll until the expectation holds for --consecutive probes in a row or --timeout passes',
    )
    .requiredOption('--url <url>', 'full URL to request, e.g. http://127.0.0.1:30080/cart', (v) => {
      parseUrl(v);
      return v;
    })
    .addOption(new Option('--method <method>', 'HTTP method').default('GET').argParser(parseMethod))
    .option(
      '--header <name:value>',
      'request header, repeatable (Host: … picks the VirtualService host)',
      parseHeader,
      {},
    )
    .addOption(new Option('--expect <verdict>', 'expected verdict').choices(['allow', 'deny']))
    .addOption(new Option('--layer <layer>', 'with --expect deny: require this layer').choices(['l7', 'l4']))
    .option('--timeout <seconds>', 'bound on the whole command', parseSeconds, 30)
    .option('--consecutive <n>', 'agreeing probes in a row that settle --expect', parseCount, 3)
    .option(
      '--interval <seconds>',
      'time between probes with --expect',
      parseSeconds,
      POLL_INTERVAL_MS / 1000,
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: ProbeOptions, cmd: Command) => {
      if (opts.layer && opts.expect !== 'deny')
        cmd.error("error: option '--layer' needs '--expect deny'", { exitCode: 2 });
      const url = parseUrl(opts.url);
      const timeoutMs = Math.round(opts.timeout * 1000);
      // undici loads only when a probe is sent
      const { createProber, DEFAULT_PROBE_TIMEOUT_MS } = await import('../probe/prober.js');
      const prober = createProber({
        baseUrl: url.origin,
        timeoutMs: Math.min(timeoutMs, DEFAULT_PROBE_TIMEOUT_MS),
      });
      const request = {
        method: opts.method,
        path: `${url.pathname}${url.search}`,
        ...(Object.keys(opts.header).length ? { headers: opts.header } : {}),
      };
      const signal = AbortSignal.timeout(timeoutMs + DEFAULT_PROBE_TIMEOUT_MS);
      try {
        if (!opts.expect) {
          const o = await prober.probe(request, signal);
          io.out(
            opts.json
              ? `${JSON.stringify({ url: opts.url, request, observation: o }, null, 2)}\n`
              : `${describeObservation(o)} in ${o.latencyMs} ms\n`,
          );
          return;
        }
        const expectation: Expectation = {
          name: `${opts.method} ${opts.url}`,
          request,
          expected: opts.expect,
          ...(opts.layer ? { layer: opts.layer } : {}),
        };
        const started = systemClock.now();
        const [r] = await awaitExpectations(
          [expectation],
          started,
          {
            consecutive: opts.consecutive,
            timeoutMs,
            intervalMs: Math.round(opts.interval * 1000),
            holdMs: 0,
          },
          { probe: prober.probe, clock: systemClock, sleep: systemSleep, signal },
        );
        if (!r) throw new Error('no result');
        const seconds = ((systemClock.now() - started) / 1000).toFixed(1);
        if (opts.json) io.out(`${JSON.stringify({ url: opts.url, ...r }, null, 2)}\n`);
        else {
          const seen = r.observed ? describeObservation(r.observed) : 'no response';
          io.out(
            `${r.status.toUpperCase()}: expected ${describeWanted(r)}, saw ${seen} after ${r.probes} probes (${seconds} s)\n`,
          );
        }
        if (r.status !== 'pass') {
          throw new ProbeUnmetError(
            r.message ?? `expected ${describeWanted(r)} within ${opts.timeout} s; it did not hold`,
          );
        }
      } finally {
        await prober.close();
      }
    });
}
