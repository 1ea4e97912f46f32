import { fileURLToPath } from 'node:url';

/** Absolute path of the monorepo root (this file is packages/devstack/src/paths.ts). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
