import { messages } from '../messages';
import type { RegistryLogger } from '../registry.interface';
import type { RegistryEvent, RegistryEventType } from './registry-event.interface';

/** An event as emitted: `at` is added by the emitter. */
export type RegistryEventInput = RegistryEvent extends infer E ? (E extends RegistryEvent ? Omit<E, 'at'> : never) : never;

export type RegistryEventListener = (event: RegistryEvent) => void;

/** Date.now() at each call (fake timers included); one function, so resolved options compare equal. */
const wallClock = (): number => Date.now();

/**
 * The registry's events: a small synchronous emitter, framework-free. A listener that throws breaks
 * nothing: the error is logged and the
 * other listeners still get the event. Emitting with no listener costs one size check.
 */
export class RegistryEvents {
  private readonly listeners = new Set<RegistryEventListener>();

  /** `now` is the clock of `at` (epoch ms): Date.now, or a test's clock (the testing kit's). */
  constructor(
    private readonly logger?: RegistryLogger,
    private readonly now: () => number = wallClock,
  ) {}

  /** Calls `listener` with every event (of `types` only, when given); returns the unsubscribe function. */
  on(listener: RegistryEventListener, types?: readonly RegistryEventType[]): () => void {
    const wanted = types ? new Set<string>(types) : undefined;
    const entry: RegistryEventListener = wanted ? (e) => wanted.has(e.type) && listener(e) : listener;
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  emit(event: RegistryEventInput): void {
    if (this.listeners.size === 0) return;
    const full = Object.freeze({ ...event, at: this.now() }) as RegistryEvent;
    for (const listener of [...this.listeners]) {
      try {
        listener(full);
      } catch (error) {
        this.logger?.error(
          messages.eventListenerFailed(error instanceof Error ? error.message : String(error)),
          error instanceof Error ? error.stack : undefined,
        );
      }
    }
  }
}
