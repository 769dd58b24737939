export { registerOpenTelemetryMetrics, OTEL_ATTRIBUTES, DELIVERY_DURATION_BUCKETS } from './opentelemetry-metrics';
export type { OpenTelemetryMetricsHandle, OpenTelemetryMetricsOptions } from './opentelemetry-metrics';
