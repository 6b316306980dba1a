/**
 * The controls: each field edits one key of the raw config, shown in full (JSON) below them. The
 * JSON is the source of truth, so keys without a field (faults, clock, ...) travel with the run,
 * and a config from the URL shows up both in the fields and in the JSON.
 */

import { getPath, setPath, type RawConfig } from '../../src/config/paths.js';

export interface Field {
  readonly path: string;
  readonly label: string;
  readonly kind: 'number' | 'text' | 'select';
  readonly options?: readonly string[];
  /** Suggestions for text fields (any spec string is allowed). */
  readonly suggestions?: readonly string[];
  readonly title?: string;
}

export function fields(algorithms: readonly string[]): Field[] {
  return [
    { path: 'devices', label: 'devices', kind: 'number' },
    { path: 'rounds', label: 'rounds', kind: 'number' },
    { path: 'evalEvery', label: 'evaluate every', kind: 'number' },
    { path: 'topology', label: 'topology', kind: 'text', suggestions: ['exponential:1', 'ring', 'directed-ring', 'torus', 'complete', 'random-regular:3', 'erdos-renyi:0.2'] },
    { path: 'algorithm.name', label: 'algorithm', kind: 'select', options: algorithms },
    { path: 'compressor', label: 'compressor', kind: 'text', suggestions: ['none', 'topk:0.01+int8', 'topk:0.001', 'topk:0.1+int4', 'randk:0.05', 'qsgd:8', 'sign', 'int8'] },
    { path: 'data.partition', label: 'partition', kind: 'text', suggestions: ['iid', 'dirichlet:0.5', 'dirichlet:0.1', 'skew:0.8', 'shards:2'] },
    { path: 'model', label: 'model', kind: 'text', suggestions: ['logistic', 'mlp', 'mlp:32', 'lenet'] },
    { path: 'data.train', label: 'data', kind: 'text', suggestions: ['mnist', 'synthetic:4000,32,10', 'synthetic:20000,64,10,linear'], title: 'mnist (the package\'s 8,000 / 2,000 digits, shipped with the page) or synthetic:N,D,C[,blobs|linear[,NOISE]]' },
    { path: 'algorithm.lr', label: 'learning rate', kind: 'number' },
    { path: 'algorithm.batchSize', label: 'batch size', kind: 'number' },
    { path: 'seed', label: 'seed', kind: 'number' },
  ];
}

/**
 * Builds the fields into `host` and keeps them and the JSON textarea in step. `onChange` gets the
 * raw config after every edit, or the JSON syntax error.
 */
export class ConfigForm {
  private readonly inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();

  constructor(
    host: HTMLElement,
    private readonly json: HTMLTextAreaElement,
    private readonly list: readonly Field[],
    defaults: (path: string) => unknown,
    private readonly onChange: (config: RawConfig | null, error?: string) => void,
  ) {
    for (const f of list) {
      const label = document.createElement('label');
      label.textContent = f.label;
      if (f.title) label.title = f.title;
      let input: HTMLInputElement | HTMLSelectElement;
      if (f.kind === 'select') {
        input = document.createElement('select');
        for (const o of f.options ?? []) input.append(new Option(o, o));
      } else {
        input = document.createElement('input');
        input.type = f.kind === 'number' ? 'number' : 'text';
        if (f.kind === 'number') input.step = 'any';
        if (f.suggestions) {
          const id = `suggest-${f.path.replace('.', '-')}`;
          const dl = document.createElement('datalist');
          dl.id = id;
          for (const s of f.suggestions) dl.append(new Option(s));
          input.setAttribute('list', id);
          label.append(dl);
        }
      }
      input.name = f.path;
      input.dataset.default = String(defaults(f.path) ?? '');
      input.addEventListener('change', () => this.fieldChanged(f, input));
      label.append(input);
      host.append(label);
      this.inputs.set(f.path, input);
    }
    json.addEventListener('input', () => {
      const parsed = this.parse();
      if (parsed.config) this.showFields(parsed.config);
      this.onChange(parsed.config, parsed.error);
    });
  }

  /** Shows `config` in the JSON and the fields (a key the config leaves out shows its default, greyed). */
  set(config: RawConfig): void {
    this.json.value = JSON.stringify(config, null, 2);
    this.showFields(config);
    this.onChange(config);
  }

  /** The raw config in the JSON box, or the syntax error. */
  parse(): { config: RawConfig | null; error?: string } {
    try {
      const value: unknown = JSON.parse(this.json.value || '{}');
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { config: null, error: '(config): expected a JSON object of config keys' };
      return { config: value as RawConfig };
    } catch (err) {
      return { config: null, error: `(config): invalid JSON: ${(err as Error).message}` };
    }
  }

  setDisabled(disabled: boolean): void {
    for (const input of this.inputs.values()) input.disabled = disabled;
    this.json.readOnly = disabled;
  }

  private showFields(config: RawConfig): void {
    for (const f of this.list) {
      const input = this.inputs.get(f.path)!;
      const v = getPath(config, f.path);
      input.value = v === undefined ? input.dataset.default ?? '' : String(v);
      input.classList.toggle('defaulted', v === undefined);
    }
  }

  private fieldChanged(f: Field, input: HTMLInputElement | HTMLSelectElement): void {
    const parsed = this.parse();
    if (!parsed.config) { this.onChange(null, parsed.error); return; }
    // Numbers stay numbers when they parse (the schema reports the key otherwise).
    const text = input.value.trim();
    const value = f.kind === 'number' && text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    this.set(setPath(parsed.config, f.path, value));
  }
}
