import { request as httpRequest, IncomingMessage } from 'http';
import { request as httpsRequest } from 'https';
import type { RegistryTlsOptions } from '../../core';

/** One probe of etcd's clock: the local times around the request and the HTTP Date header etcd sent. */
export interface ClockSample {
  /** Local epoch ms just before the request was sent. */
  readonly sentAt: number;
  /** Local epoch ms when the response headers arrived. */
  readonly receivedAt: number;
  /** etcd's Date header in epoch ms (whole seconds: HTTP dates have no fraction). */
  readonly serverDate: number;
}

/** etcd's clock minus ours, as a range in ms that holds it for certain. */
export interface SkewBounds {
  readonly low: number;
  readonly high: number;
}

/**
 * The range that certainly holds (etcd's clock - local clock). etcd wrote its Date header at some
 * local time in [sentAt, receivedAt], with its clock then in [serverDate, serverDate + 1000) (the
 * header is truncated to the second). Samples taken at different fractions of a second narrow the
 * range: their intersection is kept. When they do not intersect (a clock stepped between
 * samples) the last sample's range is returned. Pure.
 */
export function skewBounds(samples: readonly ClockSample[]): SkewBounds {
  if (samples.length === 0) throw new Error('skewBounds needs at least one sample');
  const one = (s: ClockSample): SkewBounds => ({ low: s.serverDate - s.receivedAt, high: s.serverDate + 1000 - s.sentAt });
  const all = samples.map(one).reduce((a, b) => ({ low: Math.max(a.low, b.low), high: Math.min(a.high, b.high) }));
  return all.low <= all.high ? all : one(samples[samples.length - 1]);
}

/** True when the skew is certainly larger than `maxMs` either way. */
export const skewExceeds = (bounds: SkewBounds, maxMs: number): boolean => bounds.low > maxMs || bounds.high < -maxMs;

/** `+120 ms (between +50 and +190)` */
export function describeSkew(bounds: SkewBounds): string {
  const signed = (n: number) => `${n >= 0 ? '+' : ''}${Math.round(n)}`;
  return `${signed((bounds.low + bounds.high) / 2)} ms (between ${signed(bounds.low)} and ${signed(bounds.high)} ms)`;
}

/** GET `${url}/version` once (etcd serves it on the client URL, without auth) and reads the Date header. */
function sampleOnce(url: string, tls: RegistryTlsOptions | undefined, timeoutMs: number): Promise<ClockSample> {
  return new Promise((resolve, reject) => {
    const sentAt = Date.now();
    const onResponse = (res: IncomingMessage) => {
      const receivedAt = Date.now();
      res.resume();
      const serverDate = Date.parse(res.headers.date ?? '');
      if (Number.isNaN(serverDate)) reject(new Error(`${url}/version sent no Date header`));
      else resolve({ sentAt, receivedAt, serverDate });
    };
    const target = new URL('/version', url);
    const req =
      target.protocol === 'https:'
        ? httpsRequest(target, { ca: tls?.ca, cert: tls?.cert, key: tls?.key, timeout: timeoutMs }, onResponse)
        : httpRequest(target, { timeout: timeoutMs }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`${url}/version: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * `count` samples spread over a second (so their truncated dates fall at different fractions of
 * a second and the bounds narrow to about the spacing plus the round trip).
 */
export async function sampleEtcdClock(
  url: string,
  tls: RegistryTlsOptions | undefined,
  timeoutMs: number,
  count = 6,
): Promise<ClockSample[]> {
  const samples: ClockSample[] = [];
  for (let n = 0; n < count; n++) {
    if (n > 0) await new Promise((r) => setTimeout(r, Math.floor(1000 / count) + 7));
    samples.push(await sampleOnce(url, tls, timeoutMs));
  }
  return samples;
}
