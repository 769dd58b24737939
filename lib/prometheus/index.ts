export { registerPrometheusMetrics, DEFAULT_LATENCY_BUCKETS } from './prometheus-metrics';
export type { PrometheusMetricsOptions, RegistryMetricsHandle } from './prometheus-metrics';
export { EtcdRegistryPrometheusModule, EtcdRegistryPrometheusMetrics } from './etcd-registry-prometheus.module';
