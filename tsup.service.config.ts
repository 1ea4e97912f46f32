// Type-only import: the config loads without resolving `tsup` from the repository root.
import type { Options } from 'tsup';

// The one bundle recipe of every service (run from apps/<service>: `tsup --config ../../tsup.service.config.ts`).
// Workspace packages ship TypeScript source and are bundled in, with the npm packages they
// use; the app's own dependencies stay external. The banner gives bundled CommonJS code
// the `require` an ES module lacks.
export default {
  entry: ['src/main.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: false,
  noExternal: [/^@platform\//],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
} satisfies Options;
