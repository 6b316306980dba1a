// Config inputs a careless or hostile user may give: prototype keys, duplicate keys, YAML merge
// keys and alias bombs, repeated --config, structured compressor specs of an unknown kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configError } from './support/assert-error.js';
import { runCli } from './support/cli.js';
import { configFromInputs } from '../src/cli/resolve.js';
import { createCompressor } from '../src/compress/registry.js';
import type { CompressorSpec } from '../src/compress/types.js';
import { applySet, DEFAULT_CONFIG, loadConfigFile, readConfigFile, resolveConfig } from '../src/config/index.js';
import { duplicateJsonKey } from '../src/config/load.js';
import { SpecError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sp-config-edge-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('__proto__ keys are refused in YAML, JSON, --set values and library input, naming the key path and the file', () => {
  const yaml = file('proto.yaml', '__proto__:\n  devices: 3\n');
  assert.throws(() => configFromInputs({ file: yaml }), configError('__proto__', new RegExp(`'__proto__' is not a config key and is refused \\(in ${yaml}\\)`)));
  const json = file('proto.json', '{"algorithm": {"__proto__": {"lr": 3}}}');
  assert.throws(() => readConfigFile(json), configError('algorithm.__proto__', /refused/));
  assert.throws(() => applySet({}, 'algorithm={__proto__: {lr: 3}}'), configError('algorithm.__proto__', /refused/));
  assert.throws(() => applySet({}, '__proto__.devices=3'), configError('__proto__', /unknown key \(expected one of: name, seed, devices/));
  // A library caller handing over parsed JSON directly.
  assert.throws(() => resolveConfig(JSON.parse('{"__proto__": {"devices": 3}}')), configError('__proto__', /refused/));
  // An object whose prototype was already replaced (e.g. by a careless merge) is not a plain mapping.
  assert.throws(() => resolveConfig(Object.create({ devices: 3 }) as object), configError('(config)', /expected a plain mapping/));
  assert.equal(DEFAULT_CONFIG.devices, 16, 'nothing leaked into the defaults');
});

test('duplicate keys in a JSON config are refused with the key path and the line', () => {
  const dup = file('dup.json', '{\n  "devices": 3,\n  "algorithm": {"lr": 0.1, "name": "sgp",\n "lr": 0.2}\n}\n');
  assert.throws(() => readConfigFile(dup), configError(dup, /invalid JSON at line 4: key 'algorithm\.lr' appears twice/));
  assert.deepEqual(duplicateJsonKey('{"a": {"b": 1}, "c": [{"b": 1}, {"b": 2}], "s": "{\\"a\\": 1, \\"a\\": 2}"}'), null);
  assert.deepEqual(duplicateJsonKey('{"a": 1, "b": [1, {"x": 1, "x": 2}]}'), { path: 'b.x', line: 1 });
  assert.deepEqual(duplicateJsonKey('{"a": 1,\n"a": 2}'), { path: 'a', line: 2 });
});

test('YAML merge keys (<<) are merged into the mapping that holds them', () => {
  const merged = file('merge.yaml', 'compressor: &c topk:0.1\nalgorithm:\n  <<: {name: sgp, lr: 0.2, momentum: 0.1}\n  momentum: 0.5\n');
  const config = loadConfigFile(merged);
  assert.equal(config.algorithm.name, 'sgp');
  assert.equal(config.algorithm.lr, 0.2);
  assert.equal(config.algorithm.momentum, 0.5, 'the mapping\'s own key wins over the merged one');
  assert.equal(config.compressor, 'topk:0.1');
});

test('a YAML alias bomb fails fast, naming the file', () => {
  const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f'], ['h', 'g']]) {
    rows.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const bomb = file('bomb.yaml', `${rows.join('\n')}\n`);
  assert.throws(() => readConfigFile(bomb), configError(bomb, /invalid YAML: .*alias/i));
});

test('--config given twice is a usage error naming both files (exit 2), for run and config', async () => {
  const a = file('a.yaml', 'devices: 4\n');
  const b = file('b.yaml', 'devices: 8\n');
  for (const command of ['run', 'config']) {
    const r = await runCli([command, '--config', a, '--config', b, ...(command === 'run' ? ['--out', join(dir, 'never')] : [])]);
    assert.equal(r.code, 2, r.err);
    assert.equal(r.err, `sparsepush ${command}: option --config given more than once (${JSON.stringify(a)}, ${JSON.stringify(b)}); give it once (see sparsepush ${command} --help)\n`);
    assert.equal(r.out, '');
  }
});

test('a structured compressor spec of an unknown kind is a SpecError, not a silent none', async () => {
  const bogusSparsifier = { spec: 'x', sparsifier: { kind: 'bottomk', ratio: 0.1 }, quantizer: { kind: 'f32' } } as unknown as CompressorSpec;
  await assert.rejects(createCompressor(bogusSparsifier), (err) => err instanceof SpecError && /unknown sparsifier kind/.test(err.message) && err.message.includes('bottomk'));
  const bogusQuantizer = { spec: 'x', sparsifier: { kind: 'dense' }, quantizer: { kind: 'int2', bucket: 64 } } as unknown as CompressorSpec;
  await assert.rejects(createCompressor(bogusQuantizer), (err) => err instanceof SpecError && /unknown quantizer kind/.test(err.message) && err.message.includes('int2'));
  // Known kinds still work.
  const ok = await createCompressor({ spec: 'topk:0.5', sparsifier: { kind: 'topk', ratio: 0.5 }, quantizer: { kind: 'f32' } });
  assert.equal(ok.parsed.spec, 'topk:0.5');
});
