/** `sparsepush compare DIR...`: one report overlaying several runs. */
import { join, resolve } from 'node:path';
import { SparsepushError } from '../errors.js';
import { buildReport } from '../report/index.js';
import { finalMetrics } from '../report/read.js';
import { displayPath, parseCommandArgs, str, timestamp, UsageError } from './args.js';
import type { CliIO } from './io.js';
import { packageVersion } from '../package.js';
import { formatBits, formatPercent } from '../output/format.js';

const COMPARE_HELP = `Usage: sparsepush compare DIR... [--out FILE] [--title TEXT]

Builds one self-contained HTML report over several run directories (each holding metrics.jsonl,
and summary.json once finished): accuracy and loss vs rounds, vs bits sent (log scale) and vs
simulated time, consensus distance, bits per device, energy, a summary table and each run's
resolved config. One colour per run; the legend shows run names.

Options:
  --out FILE      where to write the report (default: runs/compare-<timestamp>.html)
  --title TEXT    page title (default: the run names)
  -h, --help      this help

Examples:
  sparsepush compare runs/*-sgp runs/*-sparse-push
  sparsepush compare runs/demo/sgp runs/demo/sparse-push runs/demo/sc-sparse-push --out demo.html
`;

const OPTIONS = { out: { type: 'string' }, title: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

export async function compareCommand(argv: string[], io: CliIO): Promise<number> {
  const fail = (message: string, code: number): number => { io.stderr(`sparsepush compare: ${message}\n`); return code; };
  try {
    const { values, positionals } = parseCommandArgs('compare', argv, OPTIONS, true);
    if (values.help) { io.stdout(COMPARE_HELP); return 0; }
    if (positionals.length === 0) throw new UsageError('give at least one run directory (see sparsepush compare --help)');
    const out = resolve(str(values.out) ?? join('runs', `compare-${timestamp()}.html`));
    const report = await buildReport(positionals, out, { title: str(values.title), version: packageVersion() });
    for (const run of report.runs) {
      const f = finalMetrics(run);
      const acc = formatPercent(f?.accuracy, 2, 'n/a');
      const bits = formatBits(f?.bitsSent, 'n/a');
      io.stdout(`${run.label.padEnd(24)} accuracy ${acc.padStart(7)}  bits sent ${bits}${run.summary ? '' : run.error ? '  (failed)' : '  (unfinished)'}\n`);
    }
    io.stdout(`report: ${displayPath(report.file)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof SparsepushError) return fail(err.message, 2);
    return fail(err instanceof Error ? err.message : String(err), 1);
  }
}
