import type { HttpAdapterHost } from '@nestjs/core';

type Listen = (...args: unknown[]) => unknown;

interface ListeningServer {
  listening?: boolean;
  once(event: string, fn: (...args: unknown[]) => void): unknown;
  removeListener(event: string, fn: (...args: unknown[]) => void): unknown;
  close(fn?: () => void): unknown;
}

/** The HTTP server of an application created with NestFactory.create; undefined otherwise. */
export function httpServerOf(adapterHost: HttpAdapterHost | undefined): ListeningServer | undefined {
  const server = adapterHost?.httpAdapter?.getHttpServer?.() as ListeningServer | undefined;
  return server && typeof server.once === 'function' ? server : undefined;
}

/**
 * A listen that fails (EADDRINUSE, EACCES) ends the start: `onFailedStart` runs once, so the
 * registry can close and nothing holds the process open.
 */
export function onListenFailure(server: ListeningServer, onFailedStart: (error: unknown) => void): void {
  const failed = (error: unknown) => {
    server.removeListener('listening', listening);
    onFailedStart(error);
  };
  const listening = () => server.removeListener('error', failed);
  server.once('error', failed);
  server.once('listening', listening);
}

/**
 * Registers the instance inside app.listen(), once the port is bound: app.listen() resolves
 * only after the key is in etcd, and rejects with the registration's error (the server closed,
 * `onFailedStart` run) when it fails. Nest's listen hands the adapter a callback as its last
 * argument and rejects when it gets an Error: the callback is deferred until the registration ends.
 */
export function registerOnListen(
  adapterHost: HttpAdapterHost,
  server: ListeningServer,
  register: () => Promise<void>,
  onFailedStart: (error: unknown) => Promise<void> | void,
): void {
  const adapter = adapterHost.httpAdapter as unknown as Record<string, unknown>;
  const hadOwn = Object.prototype.hasOwnProperty.call(adapter, 'listen');
  const original = adapter.listen as Listen;
  adapter.listen = function (this: unknown, ...args: unknown[]) {
    if (hadOwn) adapter.listen = original;
    else delete adapter.listen;
    const done = typeof args[args.length - 1] === 'function' ? (args.pop() as Listen) : undefined;
    return original.call(this, ...args, (...result: unknown[]) => {
      if (result[0] instanceof Error) return done?.(...result);
      register().then(
        () => done?.(...result),
        (error: unknown) => {
          server.close();
          // listen() rejects once the registry is closed: nothing is left when the caller sees the error.
          void Promise.resolve(onFailedStart(error)).finally(() => done?.(error));
        },
      );
    });
  };
}
