import { credentials } from '@grpc/grpc-js';
import { createEtcdClient } from '../../lib/core/etcd/etcd-client.factory';
import { resolveRegistryOptions } from '../../lib/core/options';

// The TLS server-name patch (lib/core/etcd/tls-server-name.ts) reaches grpc-js's secure credentials
// through one it creates, which loads the system's root certificates: tens of milliseconds of every
// application's start. A plain-text client must not pay it; a TLS client still gets the patch.
describe('createEtcdClient: the TLS server-name patch only for a TLS client (no etcd: nothing is called)', () => {
  const patched = () =>
    Boolean((Object.getPrototypeOf(credentials.createSsl()) as Record<symbol, unknown>)[Symbol.for('nestjs-etcd-registry.ip-server-name')]);

  it('leaves grpc-js untouched for http:// endpoints, patches it for https:// ones', () => {
    const plain = createEtcdClient(resolveRegistryOptions({ endpoints: ['127.0.0.1:2379'] }));
    plain.close();
    expect(patched()).toBe(false);
    const secure = createEtcdClient(resolveRegistryOptions({ endpoints: ['https://127.0.0.1:2379'] }));
    secure.close();
    expect(patched()).toBe(true);
  });
});
