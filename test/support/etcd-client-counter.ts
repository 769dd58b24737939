import { ConnectionPool } from 'etcd3/lib/connection-pool';

/**
 * Counts the etcd3 clients created from now on in this spec file (every client builds its
 * connection pool, which builds its credentials). Jest loads etcd3 afresh for each spec file, so
 * clients a previous spec left behind in the same worker are not counted. Call restore() after.
 */
export function countEtcdClients(): jest.SpyInstance {
  return jest.spyOn(ConnectionPool.prototype as unknown as { buildAuthentication(): unknown }, 'buildAuthentication');
}
