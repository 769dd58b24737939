import 'reflect-metadata';
import { RegistryArgumentError } from '../../lib/core';
import { WATCH_SERVICES_METADATA } from '../../lib/watch-services/watch-services.constants';
import { WatchServices } from '../../lib/watch-services/watch-services.decorator';

describe('@WatchServices', () => {
  it('stores the prefixes in declaration order under a namespaced key (stackable)', () => {
    class Handlers {
      @WatchServices('/services/a/')
      @WatchServices('/services/b/')
      both() {}

      @WatchServices('/services/')
      one() {}

      none() {}
    }
    // Decorators apply bottom-up.
    expect(Reflect.getMetadata(WATCH_SERVICES_METADATA, Handlers.prototype.both)).toEqual(['/services/b/', '/services/a/']);
    expect(Reflect.getMetadata(WATCH_SERVICES_METADATA, Handlers.prototype.one)).toEqual(['/services/']);
    expect(Reflect.getMetadata(WATCH_SERVICES_METADATA, Handlers.prototype.none)).toBeUndefined();
  });

  it('rejects a missing prefix at once, with the fix', () => {
    expect(() => WatchServices('')).toThrow(RegistryArgumentError);
    expect(() => WatchServices(undefined as unknown as string)).toThrow(/ends with "\/"/);
  });
});
