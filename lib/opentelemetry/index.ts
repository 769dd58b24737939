export { registerOpenTelemetryMetrics, OTEL_ATTRIBUTES } from './opentelemetry-metrics';
export type { OpenTelemetryMetricsHandle, OpenTelemetryMetricsOptions } from './opentelemetry-metrics';
