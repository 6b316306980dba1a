// Bad input must fail with the project's error class for it and a message that says what was wrong.
import assert from 'node:assert/strict';

/** Asserts `fn` throws an instance of `type` whose message matches `pattern`; `what` labels the case. */
export function assertThrowsError(fn: () => unknown, type: abstract new (...args: never[]) => Error, pattern: RegExp, what: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof type, `${what}: expected ${type.name}, got ${String(err)}`);
    assert.match(err.message, pattern, what);
    return true;
  }, what);
}
