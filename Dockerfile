# syntax=docker/dockerfile:1
#
# One image recipe for every service:
#   docker build --build-arg APP=orders -t fulfilment-platform/orders .
# APP is one of: orders | fulfillment | tracking | notifications | billing | gateway, or
# simulators: the local provider simulators (packages/simulators, no database) for docker-compose.
#
# Stages: base (node + openssl) -> build (pnpm install, prisma generate, tsup, pnpm deploy)
#         -> runtime (non-root, pruned node_modules, dist/, prisma/ + migrate-on-start entrypoint).

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS base
# Prisma picks its schema-engine build by the libssl version it finds (debian-openssl-3.0.x);
# the slim image ships neither openssl nor CA certificates.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# No Prisma telemetry/update checks from containers (they would also try to write to $HOME).
ENV CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1


FROM base AS build
ARG PNPM_VERSION=10.34.8
RUN npm i -g pnpm@${PNPM_VERSION}
WORKDIR /repo

# Download every package the lockfile names into the store. This layer depends on the lockfile
# only, so it is shared by all six APP builds and survives source edits.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch

COPY . .

# Declared after the shared layers: a different APP only invalidates what follows.
ARG APP
RUN case "${APP}" in \
      orders|fulfillment|tracking|notifications|billing|gateway|simulators) ;; \
      *) echo "build with --build-arg APP=<orders|fulfillment|tracking|notifications|billing|gateway|simulators> (got '${APP}')" >&2; exit 1 ;; \
    esac

# Only the app and the workspace packages it depends on ("..." = with its dependencies).
RUN pnpm install --frozen-lockfile --offline --filter "@platform/${APP}..."
# Prisma clients for the app (gateway has no generate script; --if-present skips it).
RUN pnpm --filter "@platform/${APP}..." run --if-present generate
# tsup bundles src/ and the @platform/* workspace sources into dist/main.js; npm deps stay external.
# (simulators: src/cli/serve.ts into dist/serve.js, with the root's tsup.)
RUN pnpm --filter "@platform/${APP}" run build

# Pruned production install of the app in /out. node-linker=hoisted gives a flat node_modules:
# the bundle imports npm packages of the workspace packages it inlined (pino, @nats-io/*, ...),
# which are not direct dependencies of the app and would be invisible in pnpm's isolated layout.
# The package's folder comes from pnpm: apps/<service>, or packages/simulators.
# Every image starts dist/main.js (CMD below); for the simulators that is a link to their CLI bundle.
RUN app_dir="$(pnpm --filter "@platform/${APP}" exec pwd)" \
 && pnpm --filter "@platform/${APP}" deploy --prod --legacy --offline \
      --config.node-linker=hoisted /out \
 && rm -rf /out/src /out/dist /out/node_modules/.cache \
 && cp -r "${app_dir}/dist" /out/dist \
 && if [ "${APP}" = simulators ]; then ln -s serve.js /out/dist/main.js; fi

# Apps with a database: migrations, prisma.config.ts and a working Prisma CLI.
# The CLI needs no separate install: the lockfile resolves @prisma/client's (optional) peer
# dependency `prisma` to the workspace's exact version, so `pnpm deploy --prod` keeps it in /out.
# The build fails loudly if that ever changes (then move `prisma` to the app's dependencies).
# pnpm does not run @prisma/engines' install script, so `prisma --version` downloads the native
# schema engine now, at build time: the container then migrates without network access and
# without writing to node_modules (read-only root filesystem in Kubernetes).
RUN if [ -f "apps/${APP}/prisma.config.ts" ]; then \
      test -x /out/node_modules/.bin/prisma \
        || { echo "prisma CLI missing from the production install of @platform/${APP}" >&2; exit 1; } ; \
      rm -rf /out/prisma /out/prisma.config.ts \
      && cp -r "apps/${APP}/prisma" "apps/${APP}/prisma.config.ts" /out/ \
      && (cd /out && node_modules/.bin/prisma --version) ; \
    fi


FROM base AS runtime
ARG APP
ENV NODE_ENV=production \
    APP=${APP} \
    MIGRATE_ON_START=true \
    PATH=/app/node_modules/.bin:${PATH}
WORKDIR /app

# Owned by root and not writable by the service user; the pod can also mount / read-only.
COPY --from=build /out /app

# Apply pending migrations (apps with prisma.config.ts, unless MIGRATE_ON_START=false), then
# replace the shell with the command so node runs as PID 1 and receives SIGTERM directly.
# Kubernetes runs migrations in a Job and sets MIGRATE_ON_START=false on the Deployments.
COPY --chmod=0755 <<'EOF' /usr/local/bin/platform-entrypoint
#!/bin/sh
set -eu
if [ -f prisma.config.ts ] && [ "${MIGRATE_ON_START:-true}" != "false" ]; then
  echo "platform-entrypoint: prisma migrate deploy (${APP:-app})" >&2
  prisma migrate deploy
fi
exec "$@"
EOF

# The node image's "node" user, numeric so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
ENTRYPOINT ["platform-entrypoint"]
CMD ["node", "--enable-source-maps", "dist/main.js"]
