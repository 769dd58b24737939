export { WatchServices } from './watch-services.decorator';
export type { WatchServicesOptions } from './watch-services.decorator';
