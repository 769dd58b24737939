import { INSTANCE_CODECS, InstanceCodec, InstanceMap, encodeRegistration, getInstances, watchInstances } from '../../lib/core';
import { RecordingLogger, withEtcd, uniquePrefix } from '../support/registry-fixtures';
import { waitFor } from '../support/wait-for';

/** Records every instance map a handler gets. */
class InstanceRecorder {
  readonly maps: InstanceMap[] = [];
  readonly handler = (map: InstanceMap): void => {
    this.maps.push(map);
  };
  get last(): InstanceMap {
    return this.maps[this.maps.length - 1];
  }
}

describe('typed instances against a real etcd', () => {
  const t = withEtcd('shared');
  const modRevision = async (key: string) => (await t.client.get(key).exec()).kvs[0].mod_revision;

  it('etcd-service (default): plain host:port written by another client, with its key, value and mod_revision', async () => {
    const prefix = uniquePrefix();
    await t.client.put(`${prefix}user-service/go-1`).value('10.0.0.5:3000');
    await t.client.put(`${prefix}order-service/go-2`).value('10.0.0.6:4000');
    const registry = await t.pool.create(t.etcd.endpoints);
    const rec = new InstanceRecorder();
    await watchInstances(registry, prefix, rec.handler);
    expect([...rec.last.keys()]).toEqual(['order-service', 'user-service']);
    expect(rec.last.get('user-service')).toEqual([
      expect.objectContaining({
        name: 'user-service',
        id: 'go-1',
        address: '10.0.0.5:3000',
        key: `${prefix}user-service/go-1`,
        value: '10.0.0.5:3000',
        revision: await modRevision(`${prefix}user-service/go-1`),
        codec: 'etcd-service',
      }),
    ]);

    await t.client.put(`${prefix}user-service/go-3`).value('10.0.0.7:3000');
    await waitFor(() => rec.last.get('user-service')?.length === 2, { message: 'the new instance' });
    expect(rec.last.get('user-service')?.[1].revision).toBe(await modRevision(`${prefix}user-service/go-3`));
    await t.client.delete().key(`${prefix}order-service/go-2`);
    await waitFor(() => !rec.last.has('order-service'), { message: 'the service gone' });
    expect(rec.last.all().map((i) => i.id)).toEqual(['go-1', 'go-3']);
  });

  it('json: what encodeRegistration writes through register() comes back field for field', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    const fields = {
      address: '10.0.0.5:3000',
      endpoints: ['http://10.0.0.5:3000', 'grpc://10.0.0.5:5000'],
      version: '1.4.2',
      metadata: { team: 'users' },
      zone: 'eu-west-1a',
      weight: 100,
      status: 'up' as const,
    };
    const { path, value } = encodeRegistration({ prefix, name: 'users', id: 'n1', codec: 'json', ...fields });
    await registry.register(path, value);
    // A Go etcdService instance beside it, plain host:port: the json codec reads both.
    await t.client.put(`${prefix}users/go-1`).value('10.0.0.9:3000');
    const map = await getInstances(registry, prefix, { codec: 'json' });
    expect(map.get('users')).toEqual([
      expect.objectContaining({ id: 'go-1', address: '10.0.0.9:3000', codec: 'etcd-service' }),
      expect.objectContaining({ id: 'n1', ...fields, codec: 'json', revision: await modRevision(path) }),
    ]);
    expect(map.skipped).toEqual([]);
  });

  it('go-zero: {key}/{leaseID} under a real lease, plain address', async () => {
    const prefix = uniquePrefix();
    const lease = t.client.lease(10, { autoKeepAlive: false });
    const leaseId = await lease.grant();
    await lease.put(`${prefix}user.rpc/${leaseId}`).value('10.0.0.7:8080');
    try {
      const registry = await t.pool.create(t.etcd.endpoints);
      const map = await getInstances(registry, prefix, { codec: 'go-zero' });
      expect(map.get('user.rpc')).toEqual([expect.objectContaining({ id: leaseId, address: '10.0.0.7:8080', codec: 'go-zero' })]);
    } finally {
      await lease.revoke();
    }
  });

  it('kratos: /microservices/{name}/{id} with registry.ServiceInstance JSON', async () => {
    const prefix = uniquePrefix();
    const value = JSON.stringify({
      id: 'kratos-1',
      name: 'helloworld',
      version: 'v1.0.0',
      metadata: { region: 'eu' },
      endpoints: ['http://10.0.0.8:8000?isSecure=false', 'grpc://10.0.0.8:9000?isSecure=false'],
    });
    await t.client.put(`${prefix}microservices/helloworld/kratos-1`).value(value);
    const registry = await t.pool.create(t.etcd.endpoints);
    const map = await getInstances(registry, `${prefix}microservices/`, { codec: 'kratos' });
    expect(map.get('helloworld')).toEqual([
      expect.objectContaining({ id: 'kratos-1', address: '10.0.0.8:8000', version: 'v1.0.0', metadata: { region: 'eu' }, codec: 'kratos' }),
    ]);
  });

  it('go-micro: /micro/registry/{service}/{node} with registry.Service JSON', async () => {
    const prefix = uniquePrefix();
    const value = JSON.stringify({
      name: 'greeter',
      version: 'latest',
      metadata: null,
      endpoints: [{ name: 'Greeter.Hello', request: { name: 'Request', type: 'Request', values: null }, response: null, metadata: {} }],
      nodes: [{ id: 'greeter-7f1c', address: '10.0.0.9:41023', metadata: { protocol: 'grpc', registry: 'etcd' } }],
    });
    await t.client.put(`${prefix}micro/registry/greeter/greeter-7f1c`).value(value);
    const registry = await t.pool.create(t.etcd.endpoints);
    const map = await getInstances(registry, `${prefix}micro/registry/`, { codec: 'go-micro' });
    expect(map.get('greeter')).toEqual([
      expect.objectContaining({
        id: 'greeter-7f1c',
        address: '10.0.0.9:41023',
        version: 'latest',
        metadata: { protocol: 'grpc', registry: 'etcd' },
      }),
    ]);
  });

  it('grpc-naming: read what a naming client wrote, and write what it reads', async () => {
    const prefix = uniquePrefix();
    await t.client.put(`${prefix}greeter/10.0.0.5:5000`).value('{"Op":0,"Addr":"10.0.0.5:5000","Metadata":null}');
    const registry = await t.pool.create(t.etcd.endpoints);
    const { path, value } = encodeRegistration({ prefix, name: 'greeter', id: 'nest', address: '10.0.0.6:5000', codec: 'grpc-naming' });
    await registry.register(path, value);
    expect((await t.client.get(`${prefix}greeter/10.0.0.6:5000`).string()) ?? '').toBe('{"Op":0,"Addr":"10.0.0.6:5000","Metadata":null}');
    const map = await getInstances(registry, prefix, { codec: 'grpc-naming' });
    expect(map.get('greeter')?.map((i) => i.address)).toEqual(['10.0.0.5:5000', '10.0.0.6:5000']);
  });

  it('a malformed value among good ones: skipped, listed, logged once with key and reason; the rest delivered, later changes too', async () => {
    const prefix = uniquePrefix();
    await t.client.put(`${prefix}micro/registry/a/1`).value(JSON.stringify({ name: 'a', nodes: [{ id: '1', address: '10.0.0.1:1' }] }));
    await t.client.put(`${prefix}micro/registry/a/2`).value('{"name":"a","nodes":[{"id":"2"'); // cut short
    await t.client.put(`${prefix}micro/registry/b/1`).value(JSON.stringify({ name: 'b', nodes: [{ id: '1', address: '10.0.0.3:1' }] }));
    const logger = new RecordingLogger();
    const registry = await t.pool.create(t.etcd.endpoints, { logger });
    const rec = new InstanceRecorder();
    await watchInstances(registry, `${prefix}micro/registry/`, rec.handler, { codec: 'go-micro' });
    expect(rec.last.all().map((i) => i.address)).toEqual(['10.0.0.1:1', '10.0.0.3:1']);
    expect(rec.last.skipped).toEqual([{ key: `${prefix}micro/registry/a/2`, reason: expect.stringContaining('the value is not JSON') }]);
    const skippedLines = () => logger.lines.filter((l) => l.level === 'warn' && l.message.includes('skipped'));
    expect(skippedLines()).toHaveLength(1);
    expect(skippedLines()[0].message).toContain(`${prefix}micro/registry/a/2`);
    expect(skippedLines()[0].message).toContain('the go-micro codec cannot read it (the value is not JSON');

    for (let i = 2; i <= 4; i++) {
      await t.client
        .put(`${prefix}micro/registry/b/${i}`)
        .value(JSON.stringify({ name: 'b', nodes: [{ id: `${i}`, address: `10.0.0.3:${i}` }] }));
    }
    await waitFor(() => rec.last.get('b')?.length === 4, { message: 'three more b instances' });
    expect(rec.last.skipped).toHaveLength(1);
    expect(skippedLines()).toHaveLength(1);
  });

  it('one change decodes one key (counted through a codec, at 200 instances)', async () => {
    const prefix = uniquePrefix();
    for (let i = 0; i < 200; i++) await t.client.put(`${prefix}svc/${i}`).value(`10.0.0.1:${1000 + i}`);
    const decoded: string[] = [];
    const counting: InstanceCodec = { name: 'counting', decode: (e) => (decoded.push(e.key), INSTANCE_CODECS['etcd-service'].decode(e)) };
    const registry = await t.pool.create(t.etcd.endpoints);
    const rec = new InstanceRecorder();
    await watchInstances(registry, prefix, rec.handler, { codec: counting });
    expect(decoded).toHaveLength(200);
    decoded.length = 0;
    await t.client.put(`${prefix}svc/7`).value('10.0.0.2:7');
    await waitFor(() => rec.last.get('svc')?.some((i) => i.address === '10.0.0.2:7'), { message: 'the change' });
    expect(decoded).toEqual([`${prefix}svc/7`]);
  });

  it('refuses a bad codec or handler before touching etcd', async () => {
    const registry = await t.pool.create(t.etcd.endpoints);
    await expect(watchInstances(registry, '/s/', () => undefined, { codec: 'consul' as never })).rejects.toThrow(/Argument "codec"/);
    await expect(watchInstances(registry, '/s/', 'x' as never)).rejects.toThrow(/Argument "fn"/);
    await expect(watchInstances(registry, '/s', () => undefined)).rejects.toThrow(/must end with "\/"/);
    expect(registry.status().watches).toEqual([]);
  });
});
