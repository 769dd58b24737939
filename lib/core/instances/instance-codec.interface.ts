import type { InstanceRegistration, ServiceInstance } from './service-instance';

/** One key under a watched prefix, as etcd holds it. */
export interface InstanceEntry {
  readonly key: string;
  readonly value: string;
  /** etcd's mod_revision of the key, when known. */
  readonly revision?: string | undefined;
}

/**
 * Reads (and, for writer codecs, writes) one fleet's layout of instances in etcd. `decode` throws
 * (any Error; its message is the reason) when the entry is not an instance of this format: the
 * entry is then skipped, counted and logged once, and the rest is delivered.
 */
export interface InstanceCodec {
  /** Short name, used in logs and on each instance (`instance.codec`). */
  readonly name: string;
  /** The instances one key holds (usually one). Pure: called again only when the key's value changes. */
  decode(entry: InstanceEntry): readonly ServiceInstance[];
  /** Writer codecs only: the key and value that announce `registration`. */
  encode?(registration: InstanceRegistration): { path: string; value: string };
}

/** The codecs this library ships. */
export type InstanceCodecName = 'etcd-service' | 'json' | 'go-zero' | 'kratos' | 'go-micro' | 'grpc-naming';

/** A shipped codec by name, or your own. */
export type InstanceCodecChoice = InstanceCodecName | InstanceCodec;
