// What two runs of the same config must agree on, line by line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A run directory's metrics.jsonl records without wallTimeS (the one field that moves between identical runs). */
export function metricsWithoutWall(runDir: string): unknown[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => { const o = JSON.parse(l); delete o.wallTimeS; return o; });
}
