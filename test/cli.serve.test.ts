// `sparsepush serve` as a child process on a free port: the page and its files with the headers
// that make it cross-origin isolated (or without them, --no-isolation), nothing outside the served
// folder, and clear usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from './support/cli.js';
import { startServeProcess } from './support/browser.js';

function pageDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sparsepush-serve-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>page</title>');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'k.wasm'), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(join(tmpdir(), 'sparsepush-serve-secret.txt'), 'outside');
  return dir;
}

/** A raw GET (fetch would normalise `..` away). */
function rawGet(origin: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((done, fail) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('serve: the page and its files, cross-origin isolated; nothing outside the folder', { timeout: 60_000 }, async () => {
  const served = await startServeProcess(['--dir', pageDir()]);
  try {
    const page = await rawGet(served.origin, '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>page<\/title>/);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(page.headers['cross-origin-embedder-policy'], 'require-corp');
    const wasm = await rawGet(served.origin, '/assets/k.wasm');
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers['content-type'], 'application/wasm');
    assert.equal(wasm.headers['cross-origin-resource-policy'], 'same-origin');
    for (const path of ['/../sparsepush-serve-secret.txt', '/%2e%2e/sparsepush-serve-secret.txt', '/..%2fsparsepush-serve-secret.txt', '/assets/..%2f..%2fsparsepush-serve-secret.txt', '/missing.js']) {
      assert.equal((await rawGet(served.origin, path)).status, 404, path);
    }
  } finally {
    await served.close();
  }
});

test('serve --no-isolation sends no isolation headers', { timeout: 60_000 }, async () => {
  const served = await startServeProcess(['--dir', pageDir(), '--no-isolation']);
  try {
    const page = await rawGet(served.origin, '/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['cross-origin-opener-policy'], undefined);
    assert.equal(page.headers['cross-origin-embedder-policy'], undefined);
  } finally {
    await served.close();
  }
});

test('serve: usage errors name the option or the missing page', async () => {
  const run = (argv: string[]): Promise<CliResult> => runCli(['serve', ...argv]);
  const badPort = await run(['--port', '70000']);
  assert.equal(badPort.code, 2);
  assert.match(badPort.err, /--port: expected an integer in 0\.\.65535, got '70000'/);
  const empty = mkdtempSync(join(tmpdir(), 'sparsepush-serve-empty-'));
  const noPage = await run(['--dir', empty, '--port', '0']);
  assert.equal(noPage.code, 2);
  assert.match(noPage.err, /no page to serve: .*index\.html is missing/);
});
