/** The parts of an etcd watch response that say how far it goes. */
export interface WatchProgress {
  header: { revision: string };
  events: readonly { kv: { mod_revision: string } }[];
}

/**
 * The revision up to which a watch response has delivered every event of its range: the
 * mod_revision of its last event, never its header's revision while it has events.
 *
 * A watch that catches up (started in the past, or a slow consumer etcd moved back to its
 * "unsynced" set) gets the backlog in responses of at most 1,000 revisions each, every one stamped
 * in its header with the store's CURRENT revision: the first response of a catch-up 2,000
 * revisions back ends at event 1,002 with header 2,002. Taking that header as "applied up to"
 * would drop the next responses' events as old. etcd never splits one revision's events between
 * two responses, so the last event's revision is complete.
 *
 * An event-less response is a progress notification, which etcd (3.4) sends only to a watch that
 * has caught up: its header revision is then safe to take. (The 'created' response is not a
 * 'data' response and must never come here: its header is the store's revision at creation.)
 */
export function appliedThrough(res: WatchProgress): bigint {
  const n = res.events.length;
  return BigInt(n > 0 ? res.events[n - 1].kv.mod_revision : res.header.revision);
}
