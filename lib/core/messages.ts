/** Every message the core writes, in one place. */
const list = (endpoints: readonly string[]) => endpoints.join(', ');

export const messages = {
  optionsNotObject: () => 'Registry options must be an object such as { endpoints: ["127.0.0.1:2379"] }.',
  endpointsEmpty: () =>
    'Option "endpoints" must be a non-empty array of etcd endpoints such as ["127.0.0.1:2379"] or ["https://etcd-1:2379"].',
  endpointInvalid: (value: unknown) =>
    `Option "endpoints" has an invalid entry ${JSON.stringify(value)}: use "host:port" or "http(s)://host:port".`,
  endpointsMixedScheme: () =>
    'Option "endpoints" mixes http:// and https:// endpoints: use one scheme for all of them (https:// with "tls").',
  positiveInteger: (option: string, value: unknown, unit: string) =>
    `Option "${option}" must be an integer >= 1 (${unit}); got ${JSON.stringify(value)}.`,
  stringOption: (option: string, value: unknown) =>
    `Option "${option}" must be a non-empty string; got ${typeof value === 'string' ? '""' : typeof value}.`,
  passwordWithoutUser: () => 'Option "password" is set but "username" is not: set both or neither.',
  userWithoutPassword: () => 'Option "username" is set but "password" is not: set both or neither.',
  tlsInvalid: (field: string) =>
    `Option "tls.${field}" must be a PEM string or Buffer: read the file first, e.g. fs.readFileSync(path).`,
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

  unavailable: (endpoints: readonly string[], timeoutMs: number, what: string, cause?: string) =>
    `etcd at ${list(endpoints)} did not answer ${what} within ${timeoutMs} ms${cause ? ` (${cause})` : ''}: check that etcd runs and the endpoints are right, or raise "timeoutMs".`,
  authFailed: (endpoints: readonly string[], username: string | undefined) =>
    `etcd at ${list(endpoints)} refused the credentials of user ${JSON.stringify(username ?? '')}: check "username" and "password".`,
  permissionDenied: (what: string, username: string | undefined) =>
    `etcd denied ${what} to user ${JSON.stringify(username ?? '')}: grant the user's role readwrite on that key range.`,
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
} as const;
