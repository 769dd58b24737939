/** Every message the core writes, in one place. */
const list = (endpoints: readonly string[]) => endpoints.join(', ');
/** A value quoted for a message, cut to 80 characters (a value can be a megabyte). */
const quote = (value: unknown): string => {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value === null || typeof value !== 'object') text = String(value);
  else text = Array.isArray(value) ? 'an array' : 'an object';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

export const messages = {
  optionsNotObject: () => 'Registry options must be an object such as { endpoints: ["127.0.0.1:2379"] }.',
  endpointsEmpty: () =>
    'Option "endpoints" must be a non-empty array of etcd endpoints such as ["127.0.0.1:2379"] or ["https://etcd-1:2379"].',
  endpointInvalid: (value: unknown) =>
    `Option "endpoints" has an invalid entry ${JSON.stringify(value)}: use "host:port" or "http(s)://host:port".`,
  endpointsMixedScheme: () =>
    'Option "endpoints" mixes http:// and https:// endpoints: use one scheme for all of them (https:// with "tls").',
  nonNegativeInteger: (option: string, value: unknown, unit: string) =>
    `Option "${option}" must be an integer >= 0 (${unit}); got ${JSON.stringify(value)}. Use 0 to turn it off.`,
  positiveInteger: (option: string, value: unknown, unit: string) =>
    `Option "${option}" must be an integer >= 1 (${unit}); got ${JSON.stringify(value)}.`,
  stringOption: (option: string, value: unknown) =>
    `Option "${option}" must be a non-empty string; got ${typeof value === 'string' ? '""' : typeof value}.`,
  passwordWithoutUser: () => 'Option "password" is set but "username" is not: set both or neither.',
  userWithoutPassword: () => 'Option "username" is set but "password" is not: set both or neither.',
  tlsInvalid: (field: string) => `Option "tls.${field}" must be a PEM string or Buffer: read the file first, e.g. fs.readFileSync(path).`,
  tlsKeyPair: () => 'Options "tls.cert" and "tls.key" go together: set both for mutual TLS, or neither.',
  loggerInvalid: () => 'Option "logger" must have log, warn and error methods (a Nest Logger or console fit).',

  pathInvalid: (argument: string, value: unknown) =>
    `Argument "${argument}" must be a non-empty string such as "/services/user-service/instance-1"; got ${
      typeof value === 'string' ? '""' : typeof value
    }.`,
  valueInvalid: (value: unknown) =>
    `Argument "value" must be a string such as "10.0.0.5:3000" (use JSON.stringify for objects); got ${typeof value}.`,
  prefixNoSlash: (prefix: string) =>
    `Prefix ${JSON.stringify(prefix)} must end with "/": "${prefix}" would also match keys such as "${prefix}x/..." of other services. Use ${JSON.stringify(prefix + '/')}.`,
  handlerInvalid: () => 'Argument "fn" must be a function (services: ServiceMap) => void | Promise<void>.',
  tooLarge: (path: string, keyBytes: number, valueBytes: number, bytes: number, limit: number, room: number) =>
    `Key ${JSON.stringify(path)} (${keyBytes} bytes with the namespace; a registration sends it 3 times) with its value (${valueBytes} bytes) makes a request of ${bytes} bytes, over etcd's request limit of ${limit} bytes (--max-request-bytes): with this key the value may take ${room} bytes. Store a smaller value (an address, not a document) or use a shorter key.`,
  loneSurrogate: (argument: string, text: string, at: number) =>
    `Argument "${argument}" holds a lone UTF-16 surrogate (\\u${text.charCodeAt(at).toString(16).toUpperCase()}) at index ${at} of ${JSON.stringify(text.length > 80 ? text.slice(0, 80) + '...' : text)}: it has no UTF-8 form, so etcd would store U+FFFD in its place and the text would never match itself. Remove the broken character or complete its surrogate pair.`,

  // Instances and codecs: the reasons an entry is skipped (each logged once per key) and the codec arguments.
  instanceSkipped: (prefix: string, key: string, codec: string, reason: string) =>
    `Watch on ${JSON.stringify(prefix)}: skipped ${JSON.stringify(key)}, the ${codec} codec cannot read it (${reason}); the other instances are delivered.`,
  keyLayout: (layout: string) => `the key does not end with ${layout}`,
  notHostPort: (what: string, value: unknown) => `${what} ${quote(value)} is not host:port`,
  notJson: (detail: string) => `the value is not JSON (${detail})`,
  notJsonObject: () => 'the value is not a JSON object',
  fieldType: (field: string, expected: string) => `"${field}" must be ${expected}`,
  jsonFormatVersion: (v: unknown) =>
    `format version ${quote(v)} is not supported (this reader knows "v": 1): upgrade nestjs-etcd-registry on this side`,
  noAddress: () => 'it has no address: neither "address" nor an endpoint with a host and a port',
  goZeroId: (id: string) => `the id ${quote(id)} is not a decimal number (go-zero keys end with the lease id)`,
  targetNeedsNaming: (option: string, codec: string) =>
    `Option "${option}.target" applies only with codec "grpc-naming" (it names etcd's gRPC naming target); got codec ${quote(codec)}. Leave it out, or set ${option}.codec to "grpc-naming".`,
  targetShape: (name: string) =>
    `the naming target as Go dials it (grpc.Dial("etcd:///" + target)): segments joined by "/", a leading "/" or none, no trailing "/", ending with the service name ${quote(name)}, such as "foo/bar/${name}" or "/services/${name}"`,
  namingOp: (op: unknown) => `Op ${quote(op)} is not an Add (0)`,
  microNoNodes: () => '"nodes" holds no node',
  codecInvalid: (argument: string, value: unknown) =>
    `Argument "${argument}" must be one of "etcd-service", "json", "go-zero", "kratos", "go-micro", "grpc-naming", or an object with a name and a decode(entry) function; got ${quote(value)}.`,
  codecNotWriter: (option: string, name: string) =>
    `Option "${option}": the ${name} codec can be read but not written; register with "etcd-service" (plain host:port, the default), "json" or "grpc-naming".`,
  registrationField: (option: string, expected: string, value: unknown) => `Option "${option}" must be ${expected}; got ${quote(value)}.`,
  registrationFieldsNeedCodec: (option: string, fields: string[]) =>
    `Option "${option}.codec": the etcd-service codec (the default) writes plain host:port and cannot carry ${fields.map((f) => `"${option}.${f}"`).join(', ')}: set ${option}.codec to "json" (or "grpc-naming"), or leave ${fields.length > 1 ? 'them' : 'it'} out.`,

  attemptAboveTimeout: (attemptTimeoutMs: number, timeoutMs: number) =>
    `Option "attemptTimeoutMs" (${attemptTimeoutMs} ms) must not exceed "timeoutMs" (${timeoutMs} ms): an attempt is part of an operation's budget. Lower it or raise "timeoutMs".`,
  unavailable: (endpoints: readonly string[], timeoutMs: number, what: string, cause?: string) =>
    `etcd at ${list(endpoints)} did not answer ${what} within ${timeoutMs} ms${cause ? ` (${cause})` : ''}: check that etcd runs and the endpoints are right, or raise "timeoutMs".`,
  credentialsRequired: (endpoints: readonly string[]) =>
    `etcd at ${list(endpoints)} has auth enabled and no credentials were given: set "username" and "password".`,
  authFailed: (endpoints: readonly string[], username: string | undefined) =>
    `etcd at ${list(endpoints)} refused the credentials of user ${JSON.stringify(username ?? '')}: check "username" and "password".`,
  permissionDenied: (what: string, username: string | undefined) =>
    `etcd denied ${what} to user ${JSON.stringify(username ?? '')}: grant the user's role ${
      what.startsWith('read ') ? 'read (or readwrite)' : 'readwrite'
    } on that key range.`,
  tlsFailed: (endpoints: readonly string[], cause: string) =>
    `TLS connection to etcd at ${list(endpoints)} failed (${cause}): check "tls.ca" (the CA that signed etcd's certificate) and, for mutual TLS, "tls.cert"/"tls.key".`,
  noSpace: (endpoints: readonly string[], what: string) =>
    `etcd at ${list(endpoints)} refused ${what}: its database is full (NOSPACE alarm, "mvcc: database space exceeded"); until an operator frees space it takes only reads and deletes. Compact and defragment etcd (etcdctl compact <revision>, etcdctl defrag), then clear the alarm (etcdctl alarm disarm), or raise etcd's --quota-backend-bytes.`,
  tooManyTxnOps: (what: string) =>
    `etcd refused ${what}: "too many operations in txn request": etcd's --max-txn-ops is below the 2 operations per transaction this library needs. Start every etcd member with --max-txn-ops 2 or more (the default is 128).`,
  requestTooLarge: (what: string) =>
    `etcd refused ${what}: "request is too large": the request exceeds etcd's --max-request-bytes (default 1.5 MiB). Store a smaller value, or raise --max-request-bytes on every etcd member.`,
  invalidRequest: (what: string, cause: string) => `etcd rejected ${what} as invalid: ${cause}.`,
  plaintextToTls: (endpoints: readonly string[]) =>
    `etcd at ${list(endpoints)} speaks TLS but the client connects in plaintext, so etcd drops every connection: use https:// endpoints and the "tls" option ("tls.ca": the CA that signed etcd's certificate).`,
  conflict: (path: string, holder: string) =>
    holder === '0'
      ? `Key ${JSON.stringify(path)} already exists without a lease (written by another client): delete it or register under another id.`
      : `Key ${JSON.stringify(path)} is held by another live lease (${holder}): another instance registered the same path; give each instance its own id.`,
  closed: () => 'The registry is closed: create a new one with createRegistry().',

  watchRemoved: (prefix: string) =>
    `removeWatch(${JSON.stringify(prefix)}) was called while addWatch(${JSON.stringify(prefix)}) was starting: the handler was not subscribed; call addWatch again if it is still wanted.`,
  handlerStuck: (handler: string, prefix: string, ms: number) =>
    `Watch handler ${handler} on ${JSON.stringify(prefix)} has not returned after ${ms} ms: it gets no new map until it settles (other handlers are not held up); make it return sooner or raise "handlerTimeoutMs".`,
  handlerFailed: (handler: string, prefix: string, detail: string, retryInMs?: number) =>
    `Watch handler ${handler} on ${JSON.stringify(prefix)} failed: ${detail}` +
    (retryInMs === undefined ? '' : `; it gets the current map again in ${retryInMs} ms (or at the next change)`),
  watchOptions: (value: unknown) =>
    `Argument "options" of addWatch must be an object such as { name: "Users#onChange", retry: true }; got ${value === null ? 'null' : typeof value}.`,
  watchName: (value: unknown) =>
    `Option "name" of addWatch must be a non-empty string (how logs name the handler); got ${JSON.stringify(value) ?? typeof value}.`,
  watchRetry: (value: unknown) =>
    `Option "retry" of addWatch must be true, false or { initialMs, maxMs } (integers, 1 <= initialMs <= maxMs); got ${JSON.stringify(value) ?? typeof value}.`,
  watchLost: (prefix: string, reason: string) => `Watch on ${JSON.stringify(prefix)} lost (${reason}); re-reading the prefix`,
  watchResynced: (prefix: string, reason: string, size: number, revision: string) =>
    `Watch on ${JSON.stringify(prefix)} resynced (${reason}): ${size} service(s) at revision ${revision}`,
  watchDrift: (prefix: string, reason: string) => `Watch on ${JSON.stringify(prefix)} drifted from etcd (${reason}); re-reading the prefix`,
  driftCheckFailed: (prefix: string, cause: string) =>
    `Anti-entropy check of the watch on ${JSON.stringify(prefix)} got no answer (${cause}); the next check tries again`,
  watchRetrying: (prefix: string, attempt: number, cause: string) =>
    `Watch on ${JSON.stringify(prefix)} is not live: re-read or watch creation failed (attempt ${attempt}: ${cause}); retrying`,
  clusterChanged: (reason: string) =>
    `etcd behind the endpoints is a new cluster (${reason}): every watch starts again from a new read, every key is written again`,
  // Lease keeper (lib/core/lease/): `log` for registered and restored, `warn` for a lost lease or key, the rest `debug`.
  registered: (path: string, lease: string) => `Registered ${JSON.stringify(path)} under lease ${lease}`,
  valueUpdated: (path: string, lease: string) => `Updated the value of ${JSON.stringify(path)} under lease ${lease}`,
  unregistered: (path: string) => `Unregistered ${JSON.stringify(path)}`,
  leaseLingers: (id: string, ms: number) => `Lease ${id} holds no key any more: revoked in ${ms} ms unless a key is registered meanwhile`,
  leaseGranted: (id: string, ttlSeconds: number) => `Lease ${id} granted (ttl ${ttlSeconds} s)`,
  leaseLost: (id: string, cause: string, keys: number) => `Lease ${id} lost (${cause}): re-registering ${keys} key(s)`,
  leaseRestored: (keys: number, id: string) => `Lease restored: ${keys} key(s) re-registered under lease ${id}`,
  leaseRevoked: (id: string) => `Lease ${id} revoked: the registry holds no key`,
  leaseNotRevoked: (id: string, cause: string, ttlSeconds: number) =>
    `Lease ${id} not revoked (${cause}); it expires within ${ttlSeconds} s`,
  closedRevoked: (keys: number, id: string) => `Unregistered ${keys} key(s): lease ${id} revoked`,
  revokeFailed: (cause: string, ttlSeconds: number) => `Could not revoke the lease (${cause}): its keys expire within ${ttlSeconds} s`,
  revokeTimedOut: (timeoutMs: number, keys: number, ttlSeconds: number) =>
    `etcd did not answer the lease revoke within ${timeoutMs} ms: the ${keys} key(s) expire within ${ttlSeconds} s`,
  keyDeleted: (path: string) => `${JSON.stringify(path)} was deleted from etcd: putting it back`,
  keyFreeAgain: (path: string, lease: string) => `${JSON.stringify(path)} is free again: registered under lease ${lease}`,
  keyRace: (path: string, keys: number) =>
    `${JSON.stringify(path)}${keys > 1 ? ` and ${keys - 1} other key(s)` : ''} changed while being written; retrying`,
  notDeletingForeign: (path: string, holder: string) =>
    `Not deleting ${JSON.stringify(path)}: it is held by another lease (${holder}), not by this registry`,
  lateWriteRemoved: (path: string) => `Removed ${JSON.stringify(path)}: a late write had put it back after it was unregistered`,
  restoreFailed: (attempt: number, cause: string) => `Re-registration attempt ${attempt} failed (${cause}); retrying`,
  restoring: (keys: number) => `re-registration of ${keys} key(s)`,
  registering: (path: string, keys: number) =>
    keys === 1 ? `registration of ${JSON.stringify(path)}` : `registration of ${keys} keys (${JSON.stringify(path)}, ...)`,
  guardWatching: (prefix: string, start: string, ranges: number) =>
    `Ownership watch over prefix ${JSON.stringify(prefix)} from revision ${start} (${ranges} range(s))`,
  guardDisconnected: () => 'ownership watch disconnected',
  guardCancelled: (reason: string) => `ownership watch cancelled by etcd (${reason})`,
  guardGap: (reason: string, keys: number) => `${reason}: verifying ${keys} key(s)`,
  guardSplit: (prefix: string) => `etcd refused an ownership watch over prefix ${JSON.stringify(prefix)}: watching narrower ranges`,
  guardRefused: (path: string) =>
    `etcd refused to watch ${JSON.stringify(path)}: a deletion of it from outside will only be noticed by the next check; grant the user's role read on it`,

  // --- events and health ---
  eventListenerFailed: (reason: string) => `a registry event listener threw (the registry and the other listeners go on): ${reason}`,
  healthUnreachable: (reason: string) => `etcd unreachable: ${reason}`,
  healthLeaseLost: (keys: number) => `lease lost: ${keys} registered key(s) are being written again under a new lease`,
  healthRegistrationMissing: (path: string, state: string) => `registration missing: ${JSON.stringify(path)} is ${state}`,
  healthWatchStale: (prefix: string, staleMs?: number) =>
    `watch not live: ${JSON.stringify(prefix)}${staleMs === undefined ? '' : ` (stale for ${(staleMs / 1000).toFixed(1)} s)`}`,
  healthClosed: () => 'the registry is closed',

  // --- the etcd3 client's internals (lib/core/etcd/) ---
  etcd3Internals: (patch: string, version: string, tested: string, missing: string) =>
    `etcd3 ${version} does not have what ${patch} relies on (${missing}). This library was tested with etcd3 ${tested}: ` +
    `install it (npm install etcd3@${tested}), or a version that test/integration/etcd3-contract.spec.ts passes with.`,
} as const;
