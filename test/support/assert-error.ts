// Bad input must fail with the project's error class for it and a message that says what was wrong.
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';

/** Asserts `fn` throws an instance of `type` whose message matches `pattern`; `what` labels the case. */
export function assertThrowsError(fn: () => unknown, type: abstract new (...args: never[]) => Error, pattern: RegExp, what: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof type, `${what}: expected ${type.name}, got ${String(err)}`);
    assert.match(err.message, pattern, what);
    return true;
  }, what);
}

/**
 * A validator for assert.throws / assert.rejects: a ConfigError naming `key`, its message one line
 * matching `pattern`.
 */
export function configError(key: string, pattern: RegExp): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.key, key);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  };
}
