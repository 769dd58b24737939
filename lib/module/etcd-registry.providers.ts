import type { Provider } from '@nestjs/common';
import { RegistryShutdown } from '../lifecycle/registry-shutdown';
import { RegistryStartup } from '../lifecycle/registry-startup';
import { RegistryServiceState } from '../service/registry-service.state';
import { RegistryService } from '../service/registry.service';
import { RegistryMetadataAccessor } from '../watch-services/registry-metadata.accessor';
import { WatchServicesExplorer } from '../watch-services/watch-services.explorer';

/**
 * The Nest face over whatever Registry sits behind ETCD_REGISTRY: the same in EtcdRegistryModule
 * and in the testing kit's module, so a test runs the real start-up, explorer and shutdown.
 */
export const registryFaceProviders: Provider[] = [
  RegistryServiceState,
  RegistryService,
  RegistryStartup,
  RegistryShutdown,
  RegistryMetadataAccessor,
  WatchServicesExplorer,
];
