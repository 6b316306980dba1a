/** What a model file holds, as the engine uses it (portable: no Node built-ins). */

/** A model's flat parameter and state vectors (state empty when the model has none). */
export interface ModelValues {
  readonly params: Float32Array;
  readonly state: Float32Array;
}

/** Which model, for which data: what a model's layout is built from. */
export interface ModelShape {
  /** Model spec (config key `model`). */
  readonly model: string;
  readonly inputShape: readonly number[];
  readonly classes: number;
}
