import { credentials } from '@grpc/grpc-js';
import { omitIpServerName } from '../../lib/core/etcd/tls-server-name';

// What lib/core/etcd/tls-server-name.ts relies on in @grpc/grpc-js: the secure credentials make a
// connector whose tls.connect options carry the endpoint's host as `servername`. If grpc-js
// changes that, this fails (and the CLI's DEP0123 warning would be back).
describe('omitIpServerName (grpc-js TLS server name for IP endpoints)', () => {
  type Connector = { connectionOptions: { servername?: string; host?: string } };
  const connectorFor = (target: string): Connector => {
    const creds = credentials.createSsl() as unknown as {
      _createSecureConnector(target: unknown, options: object, callCredentials?: unknown): Connector;
    };
    return creds._createSecureConnector({ scheme: 'dns', path: target }, {});
  };

  it('leaves the server name out for an IP host, keeps it for a name', () => {
    expect(omitIpServerName()).toBe(true);
    expect(omitIpServerName()).toBe(true); // idempotent
    expect(connectorFor('127.0.0.1:2379').connectionOptions).toEqual(expect.objectContaining({ host: '127.0.0.1' }));
    expect(connectorFor('127.0.0.1:2379').connectionOptions.servername).toBeUndefined();
    expect(connectorFor('[::1]:2379').connectionOptions.servername).toBeUndefined();
    expect(connectorFor('etcd.example:2379').connectionOptions.servername).toBe('etcd.example');
  });
});
