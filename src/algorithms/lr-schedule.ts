/**
 * Learning-rate schedules (config `algorithm.lrSchedule`), a pure function of (lr, round, rounds):
 * - `constant`: lr every round.
 * - `cosine`: lr (1 + cos(pi t / T)) / 2 at round t of T = config.rounds (Loshchilov & Hutter's
 *   SGDR without restarts). It never reaches 0: the last round gets lr (1 + cos(pi (T-1)/T)) / 2.
 * - `step:f1[,f2,...]`: lr times 0.1 for every fraction f_i <= t / T, 0 < f_1 < f_2 < ... < 1 (the
 *   step decay of Goyal et al.; step:0.5,0.75 divides by 10 at half and at three quarters).
 *
 * Why a decay for compressed gossip: the public copies of Sparse-Push / CHOCO lag the models by the
 * progress top-k has not yet carried, a lag that scales with lr. The default stays constant: a
 * cosine decay did not close Sparse-Push's gap to SGP on LeNet (docs/results/tune/discussion.md,
 * "A decaying learning rate").
 *
 * The schedule depends on the round and config.rounds only (not on the worker count or the
 * device), so runs stay deterministic.
 */
import { SpecError } from '../errors.js';
import type { RunConfig } from '../config/types.js';

export type LrSchedule =
  | { readonly kind: 'constant' }
  | { readonly kind: 'cosine' }
  | { readonly kind: 'step'; readonly fractions: readonly number[] };

export function parseLrSchedule(spec: string): LrSchedule {
  const s = String(spec).trim();
  if (s === 'constant' || s === 'cosine') return { kind: s };
  const colon = s.indexOf(':');
  if (colon > 0 && s.slice(0, colon) === 'step') {
    const parts = s.slice(colon + 1).split(',');
    const fractions = parts.map((p) => {
      const f = Number(p);
      if (p.trim() === '' || !Number.isFinite(f) || f <= 0 || f >= 1) {
        throw new SpecError(spec, `each step fraction of the rounds must be a number in (0, 1), got '${p}'`);
      }
      return f;
    });
    for (let i = 1; i < fractions.length; i++) {
      if (!(fractions[i]! > fractions[i - 1]!)) throw new SpecError(spec, `step fractions must increase, got ${fractions[i - 1]} then ${fractions[i]}`);
    }
    return { kind: 'step', fractions };
  }
  throw new SpecError(spec, 'expected constant, cosine or step:f1[,f2,...] (fractions of the rounds in (0, 1))');
}

/** The step size of round `round` (0-based) of a run of `rounds` rounds. */
export function scheduledLr(schedule: LrSchedule, lr: number, round: number, rounds: number): number {
  switch (schedule.kind) {
    case 'constant':
      return lr;
    case 'cosine':
      return rounds > 0 ? lr * 0.5 * (1 + Math.cos((Math.PI * round) / rounds)) : lr;
    case 'step': {
      let out = lr;
      for (const f of schedule.fractions) if (round >= f * rounds) out *= 0.1;
      return out;
    }
  }
}

const parsed = new Map<string, LrSchedule>();

/** algorithm.lr under algorithm.lrSchedule at `round` of config.rounds (specs parsed once). */
export function lrAt(config: RunConfig, round: number): number {
  const { lr, lrSchedule } = config.algorithm;
  if (lrSchedule === 'constant') return lr;
  let schedule = parsed.get(lrSchedule);
  if (!schedule) {
    schedule = parseLrSchedule(lrSchedule);
    parsed.set(lrSchedule, schedule);
  }
  return scheduledLr(schedule, lr, round, config.rounds);
}

/**
 * Sum of the step sizes of rounds from - span + 1 .. from (rounds before 0 count as round 0's):
 * the total step a device took over the last `span` rounds, per local step. lr * span exactly for
 * the constant schedule.
 */
export function lrSum(config: RunConfig, round: number, span: number): number {
  if (config.algorithm.lrSchedule === 'constant') return config.algorithm.lr * span;
  let sum = 0;
  for (let s = round - span + 1; s <= round; s++) sum += lrAt(config, Math.max(0, s));
  return sum;
}
