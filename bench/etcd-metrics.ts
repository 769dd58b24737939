import { request } from 'http';

/** One scrape of etcd's Prometheus endpoint, reduced to what the benchmark reads. */
export interface EtcdMetrics {
  /** Completed RPCs by gRPC method (summed over codes and services). */
  handled: Record<string, number>;
  /** Messages received by gRPC method (counts every keep-alive and watch request on streams). */
  received: Record<string, number>;
  /** Streams/RPCs started by method. */
  started: Record<string, number>;
  /** `etcd_debugging_mvcc_watcher_total`: watchers etcd holds right now. */
  watchers: number;
  /** `etcd_debugging_mvcc_watch_stream_total`: watch streams etcd holds right now. */
  watchStreams: number;
  /** `process_cpu_seconds_total` of the etcd process. */
  cpuSeconds: number;
  at: number;
}

export function fetchText(port: number, path: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on port ${port} timed out`)));
    req.end();
  });
}

function addByMethod(target: Record<string, number>, line: string, value: number): void {
  const m = /grpc_method="([^"]+)"/.exec(line);
  const s = /grpc_service="([^"]+)"/.exec(line);
  if (!m || (s && s[1].startsWith('grpc.health'))) return;
  target[m[1]] = (target[m[1]] ?? 0) + value;
}

export function parseMetrics(text: string): EtcdMetrics {
  const out: EtcdMetrics = { handled: {}, received: {}, started: {}, watchers: 0, watchStreams: 0, cpuSeconds: 0, at: Date.now() };
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const space = line.lastIndexOf(' ');
    const value = Number(line.slice(space + 1));
    if (line.startsWith('grpc_server_handled_total{')) addByMethod(out.handled, line, value);
    else if (line.startsWith('grpc_server_msg_received_total{')) addByMethod(out.received, line, value);
    else if (line.startsWith('grpc_server_started_total{')) addByMethod(out.started, line, value);
    else if (line.startsWith('etcd_debugging_mvcc_watcher_total ')) out.watchers = value;
    else if (line.startsWith('etcd_debugging_mvcc_watch_stream_total ')) out.watchStreams = value;
    else if (line.startsWith('process_cpu_seconds_total ')) out.cpuSeconds = value;
  }
  return out;
}

export async function scrapeMetrics(port: number): Promise<EtcdMetrics> {
  return parseMetrics(await fetchText(port, '/metrics'));
}

/** Per-second rates by method between two scrapes, zero rates left out. */
export function ratesByMethod(before: Record<string, number>, after: Record<string, number>, seconds: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [method, value] of Object.entries(after)) {
    const rate = (value - (before[method] ?? 0)) / seconds;
    if (rate > 0) out[method] = rate;
  }
  return out;
}
