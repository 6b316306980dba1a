/** `sparsepush topology SPEC --nodes N`: a topology's schedule, mixing weights, connectivity and spectral gap. */
import { SparsepushError } from '../errors.js';
import { createTopology, TOPOLOGY_FORMS } from '../graph/registry.js';
import { findUnreachablePair } from '../graph/connectivity.js';
import { analyzeSpectrum, DENSE_GAP_MAX_N, type SpectrumReport } from '../graph/spectral.js';
import { RESAMPLED_WINDOW } from '../graph/build.js';
import type { RoundGraph, Topology } from '../graph/types.js';

export interface CommandIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Rounds printed by default: the period, at most this many. */
const DEFAULT_MAX_ROUNDS = 64;
const MAX_ROUNDS = 1_000_000;

const TOPOLOGY_HELP = `Usage: sparsepush topology SPEC --nodes N [--rounds R] [--seed S] [--json] [--gap]

Prints a communication schedule round by round (each node's out-peers and its push-sum weight
a_i = 1/(|out-peers|+1), kept and sent to each out-peer), its period, whether it is directed,
whether the union over the period is strongly connected, and the spectral gap 1 - |lambda_2| of
the period-averaged mixing matrix (schedules resampled every round: averaged over ${RESAMPLED_WINDOW} rounds).

  SPEC         ${TOPOLOGY_FORMS.join(' | ')}
  --nodes N    number of devices (integer >= 2)
  --rounds R   rounds to print (default: the period, at most ${DEFAULT_MAX_ROUNDS})
  --seed S     seed of random topologies (random-regular, erdos-renyi; default 1)
  --json       print {"rounds":[{"round":t,"edges":[[from,to,weight],...]}],"spectralGap":g}
               (self-loops included as [i,i,a_i]; edges sorted by from, then to)
  --gap        compute the spectral gap even when it needs the dense O(n^3) solver
               (non-circulant graphs with N > ${DENSE_GAP_MAX_N}; ~4 s at N = 1024); otherwise it is skipped (null)

Exit status: 0 ok, 1 the graph is not strongly connected over its period, 2 bad input.

Examples:
  sparsepush topology exponential:1 --nodes 16
  sparsepush topology exponential:1 --nodes 16 --rounds 8 --json
  sparsepush topology torus:4x8 --nodes 32
  sparsepush topology erdos-renyi:0.2 --nodes 10 --rounds 3 --seed 7
  sparsepush topology edges:my-graph.txt --nodes 6
`;

function fail(io: CommandIO, message: string): number {
  io.stderr(`sparsepush topology: ${message}\n`);
  return 2;
}

/** Parses a flag's integer value; undefined when it is not an integer in [min, max]. */
function intValue(text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const v = Number(text);
  return Number.isSafeInteger(v) && v >= min && v <= max ? v : undefined;
}

/** Every edge of a round, self-loops included, sorted by from then to: [from, to, a_from]. */
function roundEdges(g: RoundGraph): [number, number, number][] {
  const edges: [number, number, number][] = [];
  for (let i = 0; i < g.outPeers.length; i++) {
    const a = g.selfWeight[i]!;
    let selfDone = false;
    for (const j of g.outPeers[i]!) {
      if (!selfDone && j > i) { edges.push([i, i, a]); selfDone = true; }
      edges.push([i, j, a]);
    }
    if (!selfDone) edges.push([i, i, a]);
  }
  return edges;
}

function formatWeight(a: number): string {
  const inverse = Math.round(1 / a);
  if (Math.abs(1 / inverse - a) >= 1e-15) return a.toPrecision(6);
  return inverse === 1 ? '1' : `1/${inverse}`;
}

function periodText(topo: Topology): string {
  if (!Number.isFinite(topo.period)) return `none (resampled every round; averages use the first ${RESAMPLED_WINDOW} rounds)`;
  return `${topo.period} round${topo.period === 1 ? '' : 's'}`;
}

export async function topologyCommand(argv: string[], io: CommandIO): Promise<number> {
  let spec: string | undefined;
  let nodes: number | undefined;
  let rounds: number | undefined;
  let seed = 1;
  let json = false;
  let forceGap = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--help': case '-h': io.stdout(TOPOLOGY_HELP); return 0;
      case '--json': json = true; break;
      case '--gap': forceGap = true; break;
      case '--nodes': case '-n': {
        const text = value();
        nodes = intValue(text, 2, 2 ** 31);
        if (nodes === undefined) return fail(io, `--nodes: expected an integer >= 2, got '${text ?? ''}'`);
        break;
      }
      case '--rounds': {
        const text = value();
        rounds = intValue(text, 1, MAX_ROUNDS);
        if (rounds === undefined) return fail(io, `--rounds: expected an integer in 1..${MAX_ROUNDS}, got '${text ?? ''}'`);
        break;
      }
      case '--seed': {
        const text = value();
        const s = intValue(text, 0, 0xffffffff);
        if (s === undefined) return fail(io, `--seed: expected an integer in 0..4294967295, got '${text ?? ''}'`);
        seed = s;
        break;
      }
      default:
        if (arg.startsWith('-')) return fail(io, `unknown flag '${arg}' (see --help)`);
        if (spec !== undefined) return fail(io, `unexpected argument '${arg}': SPEC was already given as '${spec}'`);
        spec = arg;
    }
  }
  if (spec === undefined) return fail(io, 'missing SPEC (e.g. sparsepush topology exponential:1 --nodes 16; see --help)');
  if (nodes === undefined) return fail(io, '--nodes is required (e.g. --nodes 16)');

  let topo: Topology;
  try {
    topo = createTopology(spec, nodes, { seed });
  } catch (err) {
    if (err instanceof SparsepushError) return fail(io, `SPEC '${spec}' with --nodes ${nodes}: ${err.message}`);
    throw err;
  }

  const shown = rounds ?? Math.min(topo.period, DEFAULT_MAX_ROUNDS);
  const unreachable = findUnreachablePair(topo);
  let spectrum: SpectrumReport | undefined;
  let gapNote = '';
  try {
    spectrum = analyzeSpectrum(topo, { allowLarge: forceGap });
  } catch (err) {
    if (!(err instanceof SparsepushError)) throw err;
    gapNote = err.message;
  }

  if (json) {
    const out: { rounds: { round: number; edges: [number, number, number][] }[]; spectralGap: number | null } = { rounds: [], spectralGap: spectrum?.gap ?? null };
    for (let t = 0; t < shown; t++) out.rounds.push({ round: t, edges: roundEdges(topo.round(t)) });
    io.stdout(JSON.stringify(out) + '\n');
  } else {
    const width = Math.max(4, String(nodes - 1).length);
    const lines: string[] = [];
    for (let t = 0; t < shown; t++) {
      const g = topo.round(t);
      lines.push(`round ${t}`);
      lines.push(`  ${'node'.padStart(width)}  ${'weight'.padStart(8)}  out-peers`);
      for (let i = 0; i < nodes; i++) {
        const peers = g.outPeers[i]!;
        lines.push(`  ${String(i).padStart(width)}  ${formatWeight(g.selfWeight[i]!).padStart(8)}  ${peers.length === 0 ? '-' : peers.join(' ')}`);
      }
    }
    lines.push('');
    lines.push(`topology            ${topo.spec} on ${nodes} nodes${/^(random-regular|erdos-renyi)/.test(spec) ? ` (seed ${seed})` : ''}`);
    lines.push(`period              ${periodText(topo)}`);
    lines.push(`directed            ${topo.directed ? 'yes' : 'no (every edge has its reverse in the same round)'}`);
    const union = Number.isFinite(topo.period) ? 'the union over the period' : `the union of the first ${RESAMPLED_WINDOW} rounds`;
    lines.push(`strongly connected  ${unreachable ? `NO: no path from node ${unreachable.from} to node ${unreachable.to} in ${union}` : `yes (${union})`}`);
    lines.push(spectrum
      ? `spectral gap        ${spectrum.gap.toPrecision(6)} (|lambda_2| = ${spectrum.secondModulus.toPrecision(6)}, ${spectrum.method === 'circulant' ? 'circulant closed form' : 'dense QR'}, averaged over ${spectrum.roundsAveraged} round${spectrum.roundsAveraged === 1 ? '' : 's'})`
      : `spectral gap        skipped: ${gapNote}`);
    io.stdout(lines.join('\n') + '\n');
  }
  if (unreachable) {
    io.stderr(`sparsepush topology: '${topo.spec}' with --nodes ${nodes} is not strongly connected over its period: no path from node ${unreachable.from} to node ${unreachable.to}\n`);
    return 1;
  }
  return 0;
}
