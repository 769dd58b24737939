/**
 * What a metrics wing's `register...Metrics(registry)` returns (Prometheus, OpenTelemetry): one
 * name and one shape for both.
 */
export interface RegistryMetricsHandle {
  /** Stops counting this registry's events; what was reported stays where it was reported to. */
  stop(): Promise<void>;
  /** Stops, and removes what the wing created where it can (a prom-client registry's metrics; an OTel meter's callbacks). */
  close(): Promise<void>;
}
