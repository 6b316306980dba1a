// Spec strings: parsing, canonical forms, and SpecErrors that name the spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalSpec, createCompressor, parseCompressorSpec } from '../src/compress/index.js';
import { SpecError } from '../src/errors.js';

test('spec strings parse into structured form with canonical spellings', () => {
  const cases: [string, string][] = [
    ['topk:0.01', 'topk:0.01'],
    ['topk:1e-2', 'topk:0.01'],
    [' topk:.5 ', 'topk:0.5'],
    ['topk:1', 'topk:1'],
    ['randk:0.1', 'randk:0.1'],
    ['randk:0.1:scaled', 'randk:0.1:scaled'],
    ['threshold:1e-3', 'threshold:0.001'],
    ['threshold:0', 'threshold:0'],
    ['qsgd:8', 'qsgd:8'],
    ['qsgd:8:512', 'qsgd:8'],
    ['qsgd:8:1024', 'qsgd:8:1024'],
    ['int8', 'int8'],
    ['int8:512', 'int8'],
    ['int8:64', 'int8:64'],
    ['int4', 'int4'],
    ['sign', 'sign'],
    ['none', 'none'],
    ['topk:0.01+int8', 'topk:0.01+int8'],
    ['randk:0.1+qsgd:8', 'randk:0.1+qsgd:8'],
    ['threshold:1e-3+sign', 'threshold:0.001+sign'],
    ['topk:0.01+int4:256', 'topk:0.01+int4:256'],
  ];
  for (const [spec, canonical] of cases) {
    assert.equal(canonicalSpec(spec), canonical, spec);
    assert.equal(canonicalSpec(canonical), canonical, `${canonical} is a fixed point`);
  }
  assert.deepEqual(parseCompressorSpec('topk:0.01+int8'), {
    spec: 'topk:0.01+int8', sparsifier: { kind: 'topk', ratio: 0.01 }, quantizer: { kind: 'int8', bucket: 512 },
  });
  assert.deepEqual(parseCompressorSpec('randk:0.25:scaled+qsgd:4:64'), {
    spec: 'randk:0.25:scaled+qsgd:4:64',
    sparsifier: { kind: 'randk', ratio: 0.25, scaled: true },
    quantizer: { kind: 'qsgd', levels: 4, bucket: 64 },
  });
  assert.deepEqual(parseCompressorSpec('sign'), { spec: 'sign', sparsifier: { kind: 'dense' }, quantizer: { kind: 'sign' } });
  assert.deepEqual(parseCompressorSpec('none'), { spec: 'none', sparsifier: { kind: 'dense' }, quantizer: { kind: 'f32' } });
});

test('bad spec strings throw SpecError naming the spec', async () => {
  const bad = [
    '', '   ', 'topk', 'topk:', 'topk:0', 'topk:1.5', 'topk:-0.1', 'topk:abc', 'topk:0.1:2', 'topk:NaN', 'topk:Infinity',
    'randk:0.1:foo', 'randk:2', 'threshold', 'threshold:-1', 'threshold:inf', 'threshold:1e999', 'threshold:0x10',
    'qsgd', 'qsgd:0', 'qsgd:128', 'qsgd:1.5', 'qsgd:8:0', 'qsgd:8:1:2', 'int8:0', 'int8:1.5', 'int4:-3', 'int8:99999999',
    'sign:1', 'none:1', 'foo', 'TOPK:0.1', 'topk:0.1+topk:0.1', 'int8+topk:0.1', 'topk:0.1+int8+sign', 'topk:0.1+none',
    '+int8', 'topk:0.1+', 'int8+sign', 'none+int8',
  ];
  for (const spec of bad) {
    assert.throws(() => parseCompressorSpec(spec), (err: unknown) => {
      assert.ok(err instanceof SpecError, `${JSON.stringify(spec)}: ${String(err)}`);
      assert.equal(err.spec, spec);
      assert.ok(err.message.includes(`'${spec}'`), err.message);
      return true;
    }, JSON.stringify(spec));
    await assert.rejects(createCompressor(spec), SpecError, `createCompressor(${JSON.stringify(spec)})`);
  }
  // The messages say what is wrong.
  assert.throws(() => parseCompressorSpec('topk:1.5'), /must be in \(0, 1\]/);
  assert.throws(() => parseCompressorSpec('qsgd:128'), /outside 1\.\.127/);
  assert.throws(() => parseCompressorSpec('threshold:-1'), />= 0/);
  assert.throws(() => parseCompressorSpec('foo'), /unknown compressor 'foo'/);
  assert.throws(() => parseCompressorSpec('int8+topk:0.1'), /not a sparsifier/);
});

test('structured specs are accepted and re-validated from their parts', async () => {
  const c = await createCompressor({ spec: '', sparsifier: { kind: 'topk', ratio: 0.25 }, quantizer: { kind: 'int8', bucket: 64 } });
  assert.equal(c.spec, 'topk:0.25+int8:64');
  await assert.rejects(createCompressor({ spec: '', sparsifier: { kind: 'topk', ratio: 2 }, quantizer: { kind: 'f32' } }), SpecError);
  await assert.rejects(createCompressor({ spec: '', sparsifier: { kind: 'dense' }, quantizer: { kind: 'qsgd', levels: 0, bucket: 512 } }), SpecError);
});
