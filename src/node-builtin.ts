/**
 * A Node built-in module when running on Node, else undefined, without an `import` statement:
 * modules that also run in browsers reach the file system through this, so bundlers never see a
 * `node:` import (process.getBuiltinModule: Node >= 20.16).
 */
export function nodeBuiltin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}
