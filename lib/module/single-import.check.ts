import type { Module } from '@nestjs/core/injector/module';
import type { ModulesContainer } from '@nestjs/core';
import { RegistryOptionsError } from '../core';
import { nestMessages } from '../options/messages';

/**
 * One registry per application: EtcdRegistryModule.forRoot() in two modules would register the
 * process twice (two ids, two leases, two clients). Nest 11 makes one module per forRoot() call
 * even with equal options, and two option sets cannot be merged without picking one silently, so
 * a second copy is refused, naming the modules that import each copy and the fix.
 */
export function assertImportedOnce(modules: ModulesContainer, moduleClass: Function): void {
  const copies = [...modules.values()].filter((m) => m.metatype === moduleClass);
  if (copies.length < 2) return;
  const importers = copies.map((copy) => importersOf(modules, copy));
  throw new RegistryOptionsError('forRoot', nestMessages.importedTwice(importers));
}

function importersOf(modules: ModulesContainer, target: Module): string {
  const names = [...modules.values()].filter((m) => m.imports.has(target)).map((m) => m.metatype?.name ?? '?');
  return names.length > 0 ? names.join(', ') : '?';
}
