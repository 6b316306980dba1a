// The worker side of the engine (and the main-thread planning and driving) must run in browsers
// too: their static import graphs reach no Node built-in and no Node-only package. Node specifics
// (the Piscina pool, module loading by file path, datasets from disk) sit behind interfaces in
// pool.ts, load-module.ts and node-host.ts, which these modules do not import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const NODE_ONLY_PACKAGES = ['piscina'];

/** Specifiers of the imports and re-exports that stay at run time (not `import type`), static only. */
function staticImports(source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm;
  for (const m of source.matchAll(re)) if (!m[2]) out.push(m[3]!);
  return out;
}

/** Every module the entry reaches through static imports, with the Node-only specifiers each one imports. */
function nodeImports(entry: string): { found: Map<string, string[]>; walked: number } {
  const found = new Map<string, string[]>();
  const seen = new Set<string>();
  const stack = [resolve(ROOT, entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) stack.push(join(dirname(file), spec).replace(/\.js$/, '.ts'));
      else if (spec.startsWith('node:') || NODE_ONLY_PACKAGES.includes(spec)) {
        const key = relative(ROOT, file);
        found.set(key, [...(found.get(key) ?? []), spec]);
      }
    }
  }
  return { found, walked: seen.size };
}

for (const entry of ['src/engine/worker/runtime.ts', 'src/engine/executor.ts', 'src/engine/plan.ts', 'src/engine/simulation.ts']) {
  test(`${entry} reaches no Node built-in through static imports`, () => {
    const { found, walked } = nodeImports(entry);
    assert.deepEqual(Object.fromEntries(found), {});
    assert.ok(walked > 20, `${entry}: walked only ${walked} modules`);
  });
}

test('the import walk sees Node imports where they are (pool.ts, node-host.ts)', () => {
  assert.deepEqual(nodeImports('src/engine/pool.ts').found.get('src/engine/pool.ts'), ['node:url', 'piscina']);
  const host = nodeImports('src/engine/node-host.ts').found;
  assert.deepEqual(host.get('src/engine/node-host.ts'), ['node:os']);
  assert.ok(host.has('src/data/csv.ts'), 'the data loaders read files');
});
