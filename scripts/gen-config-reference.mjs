// Prints the config reference generated from src/config/schema.ts, or (--write) replaces the block
// between the config-reference markers in README.md. Run: node --import tsx scripts/gen-config-reference.mjs [--write]
import { readFileSync, writeFileSync } from 'node:fs';

const { configReferenceBlock, replaceReferenceBlock } = await import('../src/config/reference.ts');

if (process.argv.includes('--write')) {
  const readme = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', replaceReferenceBlock(readme));
  console.error('README.md: config reference updated');
} else {
  process.stdout.write(`${configReferenceBlock()}\n`);
}
