import type { ModulesContainer } from '@nestjs/core';

type BootstrapHook = (...args: unknown[]) => unknown;

/**
 * Runs `fn` as the last onApplicationBootstrap hook Nest calls, so after every provider's
 * onModuleInit and onApplicationBootstrap, and before app.init() / app.listen() resolves (a
 * rejection of `fn` rejects them). Nest calls the hooks module by module, deepest first, the
 * root module's own class last; `fn` runs right after that one. When an earlier hook throws,
 * Nest stops and `fn` never runs: nothing it would open can hold the process.
 *
 * Returns false when the last hook cannot be reached (no root module instance, or one Nest would
 * not call): the caller then runs `fn` itself.
 */
export function runAfterBootstrap(modules: ModulesContainer, fn: () => Promise<void>): boolean {
  // The order Nest uses (NestApplicationContext.getModulesToTriggerHooksOn): by distance, descending, stable.
  const ordered = [...modules.values()].sort((a, b) => b.distance - a.distance);
  const last = ordered[ordered.length - 1];
  if (!last) return false;
  const host = last.getProviderByKey(last.metatype);
  const instance = host?.instance as Record<string, unknown> | undefined;
  if (!instance || typeof instance !== 'object' || !host.isDependencyTreeStatic()) return false;
  const hadOwn = Object.prototype.hasOwnProperty.call(instance, 'onApplicationBootstrap');
  const original = instance.onApplicationBootstrap as BootstrapHook | undefined;
  instance.onApplicationBootstrap = async function (this: unknown, ...args: unknown[]) {
    if (hadOwn) instance.onApplicationBootstrap = original;
    else delete instance.onApplicationBootstrap;
    if (typeof original === 'function') await original.apply(this, args);
    await fn();
  };
  return true;
}
