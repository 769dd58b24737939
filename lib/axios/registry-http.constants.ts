export const REGISTRY_HTTP_OPTIONS = Symbol('etcd-registry:http-options');
