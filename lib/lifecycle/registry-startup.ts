import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { runAfterBootstrap } from './bootstrap-completion';
import { ETCD_REGISTRY_LOGGER_CONTEXT, ETCD_REGISTRY_RESOLVED_OPTIONS } from '../options/etcd-registry.constants';
import type { ResolvedEtcdRegistryModuleOptions } from '../options/etcd-registry.options';
import { nestMessages } from '../options/messages';
import { httpServerOf, onListenFailure, registerOnListen } from './listen-registration';
import { RegistryService } from '../service/registry.service';
import { startupCheckPrefixes } from './startup-check';
import { FoundHandler, WatchServicesExplorer } from '../watch-services/watch-services.explorer';

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The start of the registry within the application's start, so that a start that fails leaves
 * nothing in etcd and nothing that holds the process open:
 * - onModuleInit: the start-up check reads only what the application uses (its own key space,
 *   the prefixes it watches), failing fast when etcd does not answer or refuses;
 * - after the last onApplicationBootstrap (every provider initialised): @WatchServices handlers
 *   get their first map, then the service is registered: in app.listen() once the port is bound
 *   for an HTTP application, at once otherwise (application context, microservice);
 * - a start that fails after the registry opened anything (listen refused, registration refused)
 *   closes the registry: the key deleted or never written, the lease revoked, the client closed.
 * A hook of another provider that throws stops Nest before the registry opened anything.
 */
@Injectable()
export class RegistryStartup implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(ETCD_REGISTRY_LOGGER_CONTEXT);
  private handlers: FoundHandler[] = [];

  constructor(
    @Inject(ETCD_REGISTRY_RESOLVED_OPTIONS) private readonly options: ResolvedEtcdRegistryModuleOptions,
    private readonly registry: RegistryService,
    private readonly explorer: WatchServicesExplorer,
    private readonly modules: ModulesContainer,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  async onModuleInit(): Promise<void> {
    this.handlers = this.explorer.discover();
    const prefixes = startupCheckPrefixes(this.options.service, [...new Set(this.handlers.map((h) => h.prefix))]);
    try {
      await Promise.all(prefixes.map((prefix) => this.registry.getServices(prefix)));
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!runAfterBootstrap(this.modules, () => this.start())) await this.start();
  }

  private get registersOnStart(): boolean {
    return this.options.autoRegister && this.options.service !== undefined;
  }

  private async start(): Promise<void> {
    try {
      await this.explorer.subscribe(this.handlers);
      this.handlers = [];
      const server = httpServerOf(this.adapterHost);
      if (!server || server.listening) {
        if (this.registersOnStart) await this.registry.registerService();
        return;
      }
      onListenFailure(server, (error) => void this.failedStart(error));
      if (this.registersOnStart) {
        registerOnListen(
          this.adapterHost!,
          server,
          () => this.registry.registerService(),
          (error) => this.failedStart(error),
        );
      }
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  private async failedStart(error: unknown): Promise<void> {
    this.logger.warn(nestMessages.startFailed(reason(error)));
    await this.abort();
  }

  private async abort(): Promise<void> {
    this.explorer.stop();
    await this.registry.close();
  }
}
