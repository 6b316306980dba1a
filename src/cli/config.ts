/** `sparsepush config`: print the resolved config (YAML or JSON) or the generated key reference. */
import { configToYaml } from '../config/load.js';
import { configReferenceMarkdown } from '../config/reference.js';
import { ConfigError, SpecError } from '../errors.js';
import { list, parseCommandArgs, str, UsageError } from './args.js';
import type { CliIO } from './io.js';
import { configFromInputs } from './resolve.js';

const CONFIG_HELP = `Usage: sparsepush config [--config FILE] [--set key=value ...] [--json]
       sparsepush config --reference

Validates a config and prints it with every default filled in (YAML, or JSON with --json):
exactly what \`run\` would use. Errors name the key, e.g.
  algorithm.gamma: expected a number in (0, 1], got 1.5

Options:
  --config FILE       .json, .yaml or .yml config
  --set key=value     override one key (repeatable), values parsed as YAML
  --json              print JSON instead of YAML
  --reference         print the Markdown reference of every key (type, default, description)
  -h, --help          this help

Examples:
  sparsepush config                                   # all defaults
  sparsepush config --config examples/faults.yaml --set devices=64
  sparsepush config --reference > docs/config.md
`;

const OPTIONS = {
  config: { type: 'string' }, set: { type: 'string', multiple: true }, json: { type: 'boolean' },
  reference: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

export async function configCommand(argv: string[], io: CliIO): Promise<number> {
  try {
    const { values, positionals } = parseCommandArgs('config', argv, OPTIONS, true);
    if (values.help) { io.stdout(CONFIG_HELP); return 0; }
    if (values.reference) { io.stdout(configReferenceMarkdown()); return 0; }
    if (positionals.length > 1 || (positionals.length === 1 && values.config)) throw new UsageError(`unexpected argument '${positionals[positionals.length - 1]}'`);
    const config = configFromInputs({ file: str(values.config) ?? positionals[0], sets: list(values.set) });
    io.stdout(values.json ? `${JSON.stringify(config, null, 2)}\n` : configToYaml(config));
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof SpecError) {
      io.stderr(`sparsepush config: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
