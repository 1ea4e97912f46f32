import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventSchemaFiles } from '../src/json-schema';

/**
 * Writes `schemas/<type>.v<version>.json` for every registered event version and deletes the
 * files of versions no longer registered. Run for a new version or a compatible change; a
 * published version that changes incompatibly needs a new version beside it instead
 * (src/json-schema.test.ts says which).
 */
const dir = join(import.meta.dirname, '../schemas');
const files = eventSchemaFiles();
mkdirSync(dir, { recursive: true });
for (const name of readdirSync(dir)) {
  if (name.endsWith('.json') && !files.has(name)) {
    rmSync(join(dir, name));
    console.log(`removed schemas/${name}`);
  }
}
for (const [name, text] of files) {
  const path = join(dir, name);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
  writeFileSync(path, text);
  console.log(`wrote schemas/${name}`);
}
