import { credentials } from '@grpc/grpc-js';
import { isIP } from 'net';

/** What this patch relies on in @grpc/grpc-js (1.8 to 1.14): the secure credentials' connector and its tls.connect options. */
interface SecureConnector {
  connectionOptions?: { servername?: string; host?: string };
}
interface SecureCredentialsPrototype {
  _createSecureConnector?: (this: unknown, ...args: unknown[]) => SecureConnector;
  [PATCHED]?: true;
}

const PATCHED = Symbol.for('nestjs-etcd-registry.ip-server-name');

/**
 * grpc-js sends the endpoint's host as the TLS server name (SNI) even when it is an IP address,
 * which RFC 6066 forbids and Node reports once per process as DEP0123. This leaves the server
 * name out for an IP endpoint (the certificate is still checked against the IP: tls.connect
 * falls back to `host`). Applied once per process, to the credentials grpc-js makes for etcd3;
 * returns whether the patch is in place (false if grpc-js changed what it relies on: then the
 * warning is back, and test/unit/tls-server-name.spec.ts fails).
 */
export function omitIpServerName(): boolean {
  const proto = Object.getPrototypeOf(credentials.createSsl()) as SecureCredentialsPrototype;
  if (proto[PATCHED]) return true;
  const original = proto._createSecureConnector;
  if (typeof original !== 'function') return false;
  proto._createSecureConnector = function (this: unknown, ...args: unknown[]): SecureConnector {
    const connector = original.apply(this, args);
    const options = connector?.connectionOptions;
    if (options?.servername !== undefined && isIP(options.servername) !== 0) delete options.servername;
    return connector;
  };
  proto[PATCHED] = true;
  return true;
}
