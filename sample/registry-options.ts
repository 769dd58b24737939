import { ConfigService } from '@nestjs/config';
// In an application: import { EtcdRegistryModuleOptions } from 'nestjs-etcd-registry';
import type { EtcdRegistryModuleOptions } from '../lib';

/**
 * The registry options of an app of the fleet named `name`, from the environment through
 * ConfigService: ETCD_ENDPOINTS (comma-separated), ETCD_NAMESPACE (optional), ETCD_TTL_SECONDS,
 * SERVICE_ID (optional), PORT, TCP_PORT (optional: a TCP microservice port, announced as a tcp:// endpoint), DRAIN_MS (graceful drain on shutdown, default 0). The instance registers itself after `app.listen()` (autoRegister: false),
 * so it is announced only once its port answers, as JSON (codec "json") with its version and URL.
 */
export const registryOptions =
  (name: string) =>
  (config: ConfigService): EtcdRegistryModuleOptions => {
    const port = config.getOrThrow<string>('PORT');
    const tcpPort = config.get<string>('TCP_PORT');
    return {
      endpoints: config.getOrThrow<string>('ETCD_ENDPOINTS').split(','),
      namespace: config.get<string>('ETCD_NAMESPACE') || undefined,
      ttlSeconds: Number(config.get<string>('ETCD_TTL_SECONDS') ?? 5),
      timeoutMs: 3000,
      autoRegister: false,
      // Graceful drain on SIGTERM: marked draining (the gateway stops picking it), serving DRAIN_MS more, then deleted.
      drainMs: Number(config.get<string>('DRAIN_MS') ?? 0),
      service: {
        name,
        id: config.get<string>('SERVICE_ID') || undefined,
        address: `127.0.0.1:${port}`,
        // Our JSON value: the gateway's instances carry the version and the endpoint URL. (Leave
        // `codec` out to write plain host:port when Go etcdService programs read this prefix.)
        codec: 'json',
        version: '1.0.0',
        // Where each transport answers: the gateway's HTTP client dials http://, its TCP client tcp://.
        endpoints: [`http://127.0.0.1:${port}`, ...(tcpPort ? [`tcp://127.0.0.1:${tcpPort}`] : [])],
      },
    };
  };
