import type { Provider } from '@nestjs/common';
import { RegistryMetadataAccessor } from './registry-metadata.accessor';
import { RegistryStartup } from './registry-startup';
import { RegistryService } from './registry.service';
import { WatchServicesExplorer } from './watch-services.explorer';

/**
 * The Nest face over whatever Registry sits behind ETCD_REGISTRY: the same in EtcdRegistryModule
 * and in the testing kit's module, so a test runs the real start-up, explorer and shutdown.
 */
export const registryFaceProviders: Provider[] = [RegistryService, RegistryStartup, RegistryMetadataAccessor, WatchServicesExplorer];
