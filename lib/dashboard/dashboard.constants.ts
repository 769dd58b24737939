/** Injection token of the resolved dashboard options. */
export const DASHBOARD_OPTIONS = Symbol('ETCD_REGISTRY_DASHBOARD_OPTIONS');
