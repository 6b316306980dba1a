/** `sparsepush dagc`: plan DAGC-R ratios or DAGC-A thresholds for given worker data volumes. */
import { dagcRatios, dagcThresholds, volumeShares } from '../algorithms/dagc-plan.js';
import { SparsepushError } from '../errors.js';

export interface CommandIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const DAGC_HELP = `Usage: sparsepush dagc --volumes V1,V2,... (--ratio R | --threshold L) [--json]

Plans data-volume-aware compression (DAGC, arXiv 2311.07324) without training:
  --ratio R       DAGC-R: per-worker top-k kept fractions with mean R (0 < R <= 1)
  --threshold L   DAGC-A: per-worker hard thresholds from the mean threshold L (> 0)
  --volumes       samples held by each worker, comma separated (positive numbers)
  --json          print JSON instead of a table

Examples:
  sparsepush dagc --volumes 5000,1200,800,300 --ratio 0.001
  sparsepush dagc --volumes 5000,1200,800,300 --threshold 0.05 --json
`;

function fail(io: CommandIO, message: string): number {
  io.stderr(`sparsepush dagc: ${message}\n`);
  return 2;
}

export async function dagcCommand(argv: string[], io: CommandIO): Promise<number> {
  let volumesText: string | undefined;
  let ratio: number | undefined;
  let threshold: number | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--help': case '-h': io.stdout(DAGC_HELP); return 0;
      case '--json': json = true; break;
      case '--volumes': volumesText = value(); break;
      case '--ratio': { const v = value(); ratio = v === undefined ? NaN : Number(v); break; }
      case '--threshold': { const v = value(); threshold = v === undefined ? NaN : Number(v); break; }
      default: return fail(io, `unknown argument '${arg}' (see --help)`);
    }
  }
  if (volumesText === undefined) return fail(io, '--volumes is required (e.g. --volumes 5000,1200,800)');
  if ((ratio === undefined) === (threshold === undefined)) return fail(io, 'give exactly one of --ratio and --threshold');
  const volumes = volumesText.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  const bad = volumes.findIndex((v) => !Number.isFinite(v) || v <= 0);
  if (bad >= 0) return fail(io, `--volumes: entry ${bad + 1} ('${volumesText.split(',')[bad]}') is not a positive number`);
  if (ratio !== undefined && !(ratio > 0 && ratio <= 1)) return fail(io, `--ratio: expected a number in (0, 1], got '${ratio}'`);
  if (threshold !== undefined && !(threshold > 0 && Number.isFinite(threshold))) return fail(io, `--threshold: expected a positive number, got '${threshold}'`);

  try {
    const shares = volumeShares(volumes);
    const values = ratio !== undefined ? dagcRatios(volumes, ratio) : dagcThresholds(volumes, threshold!);
    const kind = ratio !== undefined ? 'ratios' : 'thresholds';
    if (json) {
      io.stdout(JSON.stringify({ method: ratio !== undefined ? 'dagc-r' : 'dagc-a', volumes, shares, [kind]: values,
        ...(ratio !== undefined ? { meanRatio: ratio } : { lambdaBar: threshold }) }, null, 2) + '\n');
      return 0;
    }
    const head = ratio !== undefined ? 'kept fraction' : 'threshold';
    const lines = [`${'worker'.padStart(6)}  ${'volume'.padStart(10)}  ${'share p_i'.padStart(10)}  ${head.padStart(14)}`];
    values.forEach((v, i) => {
      lines.push(`${String(i).padStart(6)}  ${String(volumes[i]).padStart(10)}  ${shares[i]!.toFixed(5).padStart(10)}  ${v.toPrecision(5).padStart(14)}`);
    });
    lines.push(ratio !== undefined
      ? `DAGC-R: mean kept fraction ${(values.reduce((s, v) => s + v, 0) / values.length).toPrecision(5)} (budget ${ratio})`
      : `DAGC-A: sum 1/lambda_i = ${values.reduce((s, v) => s + 1 / v, 0).toPrecision(6)} (= n / lambdaBar = ${(values.length / threshold!).toPrecision(6)})`);
    io.stdout(lines.join('\n') + '\n');
    return 0;
  } catch (err) {
    if (err instanceof SparsepushError) return fail(io, err.message);
    throw err;
  }
}
