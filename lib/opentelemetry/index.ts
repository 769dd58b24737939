export { registerOpenTelemetryMetrics, OTEL_ATTRIBUTES, DELIVERY_DURATION_BUCKETS } from './opentelemetry-metrics';
export type { OpenTelemetryMetricsOptions, RegistryMetricsHandle } from './opentelemetry-metrics';
