/** No etcd binary: names ETCD_BIN, PATH and how to install etcd. */
export class EtcdBinaryNotFoundError extends Error {
  override readonly name = 'EtcdBinaryNotFoundError';
}

/** A fault or an operation the test server cannot do as it was set up (e.g. killing a member of an etcd it attached to). */
export class EtcdTestServerError extends Error {
  override readonly name = 'EtcdTestServerError';
}
