// Type-only import: the config loads without resolving `tsup` from this package (it is the root's).
import type { Options } from 'tsup';
import service from '../../tsup.service.config';

// The services' bundle recipe (../../tsup.service.config.ts) with the simulators' CLI as the entry:
// dist/serve.js, started by the simulators image (Dockerfile, APP=simulators) and docker-compose.
// Fastify and the other npm dependencies stay external, as for the services.
export default {
  ...service,
  entry: { serve: 'src/cli/serve.ts' },
} satisfies Options;
