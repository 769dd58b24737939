export { WatchServices } from './watch-services.decorator';
