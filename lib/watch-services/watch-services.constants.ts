/** Metadata key of @WatchServices: an array of prefixes on the decorated method. */
export const WATCH_SERVICES_METADATA = 'etcd-registry:watch-services';

/** Metadata key of @WatchServices options given with `as: 'instances'`: prefix -> { codec }. */
export const WATCH_INSTANCES_METADATA = 'etcd-registry:watch-instances';
