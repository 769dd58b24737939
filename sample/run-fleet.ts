/**
 * `npm run sample`: a small fleet that finds itself through etcd.
 *
 * Starts a local etcd (unless ETCD_ENDPOINTS is set), three user-service instances and a gateway,
 * each a Nest app in its own process configured through the environment. Then it shows discovery
 * (requests through the gateway reach every instance, round robin), a graceful leave (SIGTERM: the
 * instance is gone from the gateway's map at once) and a crash (SIGKILL mid-traffic: gone after the
 * lease TTL), while the gateway's calls by name, over HTTP (RegistryHttpModule) and over TCP
 * (RegistryClientsModule), keep being answered with zero failures; then a rolling restart of
 * user-service with graceful drain (zero failed requests, counted) and the apps' /health and
 * /metrics. Prints what happened with timings, stops
 * everything it started by PID, and exits non-zero when any expectation failed.
 */
import { ChildProcess, spawn } from 'child_process';
import { join } from 'path';
import { EtcdServer, useEtcd } from '../test/support/etcd-launcher';
import { freePort } from '../test/support/free-port';

const TTL_SECONDS = 2;
/** Graceful drain of every app on SIGTERM: marked draining at once, serving this long, then deleted. */
const DRAIN_MS = 400;
const STARTUP_TIMEOUT_MS = 40_000;
const USER_PREFIX = '/services/user-service/';

const started = Date.now();
const t = () => `${((Date.now() - started) / 1000).toFixed(2).padStart(6)} s`;
const say = (line: string) => process.stdout.write(`${t()}  ${line}\n`);

interface App {
  name: string;
  id: string;
  port: number;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const apps: App[] = [];
const failures: string[] = [];
const results: string[] = [];

function expect(ok: boolean, what: string): void {
  results.push(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
  if (!ok) failures.push(what);
  say(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then undefined). */
async function poll<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 10): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

function startApp(name: string, id: string, port: number, entry: string, env: Record<string, string>, tcpPort?: number): App {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, entry)], {
    cwd: join(__dirname, '..'),
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      ...(tcpPort ? { TCP_PORT: String(tcpPort) } : {}),
      SERVICE_ID: id,
      NO_COLOR: '1',
      TS_NODE_TRANSPILE_ONLY: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${id}]`.padEnd(10);
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      // Nest's own line prefix (pid, date) is noise here; keep the context and the message.
      const trimmed = line.replace(/^\[Nest\]\s+\d+\s+-\s+.*?(?=\s(LOG|WARN|ERROR|DEBUG|VERBOSE|FATAL)\s)/, '').trim();
      if (trimmed && !/RoutesResolver|RouterExplorer|InstanceLoader|NestFactory|NestApplication/.test(trimmed)) {
        process.stdout.write(`${t()}  ${prefix} ${trimmed}\n`);
      }
    }
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const app = { name, id, port, child, exited };
  apps.push(app);
  return app;
}

const running = (app: App) => app.child.exitCode === null && app.child.signalCode === null;

async function getJson<T>(port: number, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return (await res.json()) as T;
}

/** The gateway's live map, as its @WatchServices handler last received it. */
const gatewayMap = (gateway: App) => getJson<Record<string, string>>(gateway.port, '/services');
const userKey = (app: App) => `${USER_PREFIX}${app.id}`;

/** Stops an app by PID: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stopApp(app: App, graceMs = 5000): Promise<void> {
  if (!running(app)) return;
  app.child.kill('SIGTERM');
  const done = await Promise.race([app.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done && running(app)) {
    app.child.kill('SIGKILL');
    await app.exited;
  }
}

process.on('exit', () => {
  for (const app of apps) if (running(app)) app.child.kill('SIGKILL');
});

async function main(): Promise<void> {
  const external = process.env.ETCD_ENDPOINTS;
  say(external ? `using etcd at ${external}` : 'starting a local etcd (ETCD_ENDPOINTS is not set)');
  const etcd: EtcdServer = await useEtcd();
  say(`etcd at ${etcd.endpoints.join(', ')}`);
  try {
    const env: Record<string, string> = {
      ETCD_ENDPOINTS: etcd.endpoints.join(','),
      ETCD_TTL_SECONDS: String(TTL_SECONDS),
      DRAIN_MS: String(DRAIN_MS),
      // On a shared etcd, keep this run's keys apart from anything else under /services/.
      ...(external ? { ETCD_NAMESPACE: `/sample-fleet-${process.pid}` } : {}),
    };
    await runFleet(env);
  } finally {
    say('stopping every process the sample started (by PID)');
    await Promise.all(apps.map((a) => stopApp(a)));
    await etcd.stop();
  }
}

async function runFleet(env: Record<string, string>): Promise<void> {
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const tcpPorts = await Promise.all([freePort(), freePort(), freePort()]);
  const users = ['user-1', 'user-2', 'user-3'].map((id, i) =>
    startApp('user-service', id, ports[i], 'user-service/main.ts', env, tcpPorts[i]),
  );
  const gateway = startApp('gateway', 'gateway', ports[3], 'gateway/main.ts', env);
  const [graceful, crashing, survivor] = users;
  say(`started ${apps.map((a) => `${a.id} (pid ${a.child.pid}, port ${a.port})`).join(', ')}`);

  // 1. Discovery: the gateway sees every user-service instance.
  const allSeen = await poll(
    async () => {
      if (apps.some((a) => !running(a))) return 'exited';
      const map = await gatewayMap(gateway);
      return users.every((u) => map[userKey(u)] === `127.0.0.1:${u.port}`) && 'seen';
    },
    STARTUP_TIMEOUT_MS,
    100,
  );
  const dead = apps.filter((a) => !running(a)).map((a) => `${a.id} exited with ${a.child.exitCode ?? a.child.signalCode}`);
  expect(
    allSeen === 'seen',
    `the gateway's map lists the 3 user-service instances (after ${t().trim()} from start)${dead.length ? `; ${dead.join(', ')}` : ''}`,
  );
  if (allSeen !== 'seen') return;

  // 2. Round robin: requests through the gateway reach every instance.
  const servedBy = new Map<string, number>();
  for (let i = 0; i < 6; i++) {
    const body = await getJson<{ servedBy: string }>(gateway.port, `/users/${i}`).catch(() => ({ servedBy: 'error' }));
    servedBy.set(body.servedBy, (servedBy.get(body.servedBy) ?? 0) + 1);
  }
  const spread = [...servedBy].map(([id, n]) => `${id}×${n}`).join(', ');
  expect(
    users.every((u) => servedBy.get(u.id) === 2),
    `6 requests through the gateway, round robin: ${spread}`,
  );

  // 2b. The same by TCP microservice: the gateway's ClientProxy reaches every instance too.
  const rpcBy = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const body = await getJson<{ servedBy: string }>(gateway.port, `/rpc/users/${i}`).catch(() => ({ servedBy: 'error' }));
    rpcBy.add(body.servedBy);
  }
  expect(
    users.every((u) => rpcBy.has(u.id)),
    `6 calls through the gateway's microservice client (TCP) reach ${[...rpcBy].join(', ')}`,
  );

  // Background traffic from here on, 4 callers over HTTP and 4 over TCP: every call must be answered.
  const traffic = { sent: 0, failed: 0, by: new Map<string, number>(), stop: false, errors: new Set<string>() };
  const caller = async (path: string) => {
    while (!traffic.stop) {
      const n = ++traffic.sent;
      try {
        const body = await getJson<{ servedBy: string }>(gateway.port, `${path}${n}`);
        traffic.by.set(body.servedBy, (traffic.by.get(body.servedBy) ?? 0) + 1);
      } catch (e) {
        traffic.failed++;
        traffic.errors.add(`${path}: ${e instanceof Error ? e.message : String(e)}`);
      }
      await sleep(5);
    }
  };
  const loop = Promise.all(
    [...['/users/', '/users/', '/users/', '/users/'], ...['/rpc/users/', '/rpc/users/', '/rpc/users/', '/rpc/users/']].map(caller),
  );

  // 3. Graceful leave: SIGTERM runs app.close() (enableShutdownHooks), which deletes the key.
  const termAt = Date.now();
  graceful.child.kill('SIGTERM');
  say(`SIGTERM to ${graceful.id} (pid ${graceful.child.pid})`);
  const termGone = await poll(async () => !(userKey(graceful) in (await gatewayMap(gateway))) && Date.now(), 5000);
  const termMs = termGone ? termGone - termAt : undefined;
  expect(
    termMs !== undefined && termMs < DRAIN_MS + 1000,
    `${graceful.id} left gracefully: gone from the gateway's map ${termMs} ms after SIGTERM (drained ${DRAIN_MS} ms first, expected < ${DRAIN_MS + 1000} ms)`,
  );
  const termExit = await Promise.race([graceful.exited, sleep(5000).then(() => undefined)]);
  expect(!!termExit, `${graceful.id} exited after SIGTERM (${termExit ? (termExit.signal ?? `code ${termExit.code}`) : 'still running'})`);

  // 4. Crash mid-traffic: SIGKILL deletes nothing; the key goes when the lease expires (TTL). Meanwhile
  // calls to the dead instance are refused: retried on another instance, and it is ejected after 3.
  const killAt = Date.now();
  crashing.child.kill('SIGKILL');
  say(`SIGKILL to ${crashing.id} (pid ${crashing.child.pid}): its key stays until the lease expires (ttl ${TTL_SECONDS} s)`);
  const killGone = await poll(async () => !(userKey(crashing) in (await gatewayMap(gateway))) && Date.now(), TTL_SECONDS * 3000 + 3000);
  const killMs = killGone ? killGone - killAt : undefined;
  expect(
    killMs !== undefined && killMs >= 500 && killMs <= TTL_SECONDS * 2000 + 2000,
    `${crashing.id} crashed: gone from the gateway's map ${killMs} ms after SIGKILL (expected after about the TTL of ${TTL_SECONDS} s)`,
  );

  // 5. The survivor answers everything.
  const afterFailover = await Promise.all(
    [1, 2, 3].map((i) => getJson<{ servedBy: string }>(gateway.port, `/users/x${i}`).catch(() => undefined)),
  );
  traffic.stop = true;
  await loop;
  expect(
    afterFailover.every((b) => b?.servedBy === survivor.id),
    `after both left, ${survivor.id} answers every request`,
  );
  const during = [...traffic.by].map(([id, n]) => `${id}×${n}`).join(', ');
  expect(
    traffic.failed === 0 && traffic.sent > 0,
    `${traffic.sent} calls (HTTP and TCP) during the leave and the crash: ${traffic.failed} failed (${during})${traffic.errors.size ? `: ${[...traffic.errors].slice(0, 3).join('; ')}` : ''}`,
  );
  const clients = await getJson<{ http: { services: { service: string; instances: unknown[] }[] } }>(gateway.port, '/clients');
  say(
    `the gateway's HTTP client now holds ${clients.http.services.map((x) => `${x.service}: ${x.instances.length} instance(s)`).join(', ')}`,
  );
  const map = await gatewayMap(gateway);
  const left = Object.keys(map).filter((k) => k.startsWith(USER_PREFIX));
  expect(left.length === 1 && left[0] === userKey(survivor), `the gateway's map ends with ${left.join(', ') || 'nothing'}`);

  await rollingRestart(env, gateway, survivor);
}

/**
 * 6. Rolling restart of user-service under load: a new instance starts, the gateway sees it, the
 * old one gets SIGTERM and drains (readiness down, marked draining: the gateway stops picking it,
 * it keeps answering for DRAIN_MS), then leaves. Four clients send requests all along; none may fail.
 * Then the operations endpoints: /health (readiness) and /metrics of the new instance and the gateway.
 */
async function rollingRestart(env: Record<string, string>, gateway: App, old: App): Promise<void> {
  const traffic = { sent: 0, failed: 0, by: new Map<string, number>(), stop: false };
  const client = async () => {
    while (!traffic.stop) {
      traffic.sent++;
      try {
        const body = await getJson<{ servedBy: string }>(gateway.port, `/users/r${traffic.sent}`);
        traffic.by.set(body.servedBy, (traffic.by.get(body.servedBy) ?? 0) + 1);
      } catch {
        traffic.failed++;
      }
    }
  };
  const clients = [client(), client(), client(), client()];
  const fresh = startApp('user-service', 'user-4', await freePort(), 'user-service/main.ts', env);
  say(`rolling restart: started ${fresh.id} (pid ${fresh.child.pid}) to replace ${old.id}`);
  const seen = await poll(
    async () => running(fresh) && (await gatewayMap(gateway))[userKey(fresh)] === `127.0.0.1:${fresh.port}`,
    STARTUP_TIMEOUT_MS,
    50,
  );
  expect(!!seen, `${fresh.id} is in the gateway's map`);
  const termAt = Date.now();
  old.child.kill('SIGTERM');
  const notReady = await poll(
    async () => {
      const res = await fetch(`http://127.0.0.1:${old.port}/health`, { signal: AbortSignal.timeout(1000) });
      return (
        res.status === 503 &&
        ((await res.json()) as { details: Record<string, { draining: boolean }> }).details['etcd-registry'].draining &&
        Date.now()
      );
    },
    DRAIN_MS,
    10,
  );
  expect(
    !!notReady,
    `${old.id} draining after SIGTERM: /health (readiness) answers 503 with draining: true${notReady ? ` after ${notReady - termAt} ms` : ''}`,
  );
  const exited = await Promise.race([old.exited, sleep(DRAIN_MS + 5000).then(() => undefined)]);
  const exitMs = Date.now() - termAt;
  expect(!!exited && exitMs >= DRAIN_MS, `${old.id} exited ${exitMs} ms after SIGTERM (drained ${DRAIN_MS} ms first)`);
  // Keep the load on the new instance alone for a moment, then stop.
  const until = traffic.sent + 20;
  await poll(async () => traffic.sent >= until, 5000);
  traffic.stop = true;
  await Promise.all(clients);
  const spread = [...traffic.by].map(([id, n]) => `${id}×${n}`).join(', ');
  expect(
    traffic.failed === 0 && (traffic.by.get(fresh.id) ?? 0) > 0,
    `rolling restart: ${traffic.sent} requests from 4 clients, ${traffic.failed} failed (${spread})`,
  );

  const health = await fetch(`http://127.0.0.1:${fresh.port}/health`).then(async (r) => ({
    code: r.status,
    body: (await r.json()) as { details?: Record<string, { registration?: unknown }> },
  }));
  expect(
    health.code === 200,
    `${fresh.id} GET /health: ${health.code} ${JSON.stringify(health.body.details?.['etcd-registry']?.registration ?? {})}`,
  );
  const userMetrics = await fetch(`http://127.0.0.1:${fresh.port}/metrics`).then((r) => r.text());
  expect(/^etcd_registry_registrations_total 1$/m.test(userMetrics), `${fresh.id} GET /metrics: etcd_registry_registrations_total 1`);
  const gatewayMetrics = await fetch(`http://127.0.0.1:${gateway.port}/metrics`).then((r) => r.text());
  const instancesLine = gatewayMetrics
    .split('\n')
    .find((l) => l.startsWith('etcd_registry_instances{') && l.includes('service="user-service",status="up"'));
  expect(
    instancesLine?.endsWith(' 1') === true,
    `gateway GET /metrics: ${instancesLine ?? 'no etcd_registry_instances line for user-service'}`,
  );
}

main()
  .catch((e) => {
    failures.push(e instanceof Error ? e.message : String(e));
    say(`error: ${e instanceof Error ? e.stack : e}`);
  })
  .finally(() => {
    const leftovers = apps.filter(running).map((a) => `${a.id} (pid ${a.child.pid})`);
    if (leftovers.length) failures.push(`processes still running: ${leftovers.join(', ')}`);
    process.stdout.write(`\n== sample fleet summary (${((Date.now() - started) / 1000).toFixed(1)} s)\n${results.join('\n')}\n`);
    process.stdout.write(failures.length ? `\n${failures.length} expectation(s) failed\n` : '\nall expectations met\n');
    process.exit(failures.length ? 1 : 0);
  });
