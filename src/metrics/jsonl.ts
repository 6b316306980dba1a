/** Append-only JSON Lines recorder (metrics.jsonl): one JSON object per line, flushed per line. */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

export class JsonlRecorder {
  constructor(readonly file: string) {}

  /** Starts an empty file. */
  reset(): void {
    writeFileSync(this.file, '');
  }

  append(record: object): void {
    appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }

  /**
   * Keeps only the records with `round <= lastRound` (resume: drops lines a killed run wrote after
   * its last checkpoint, and a torn last line).
   */
  truncateAfterRound(lastRound: number): void {
    const kept = readJsonl(this.file).filter((r) => typeof r['round'] === 'number' && (r['round'] as number) <= lastRound);
    writeFileSync(this.file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}

/** Parses a JSON Lines file; a torn (unparseable) last line is ignored, other bad lines throw. */
export function readJsonl(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Record<string, unknown>[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch (err) {
      const last = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!last) throw new Error(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
    }
  });
  return out;
}
