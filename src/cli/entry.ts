/** Run the CLI from sources: `node --import tsx src/cli/entry.ts <command> ...` (bin/sparsepush.js runs dist). */
import { main } from './main.js';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
