# syntax=docker/dockerfile:1
#
# One image recipe for every service, two targets, and the operators' tools:
#   docker build --build-arg APP=orders -t fulfilment-platform/orders .                        (runtime, the default)
#   docker build --build-arg APP=orders --target migrate -t fulfilment-platform/orders-migrate .
#   docker build --target tools -t fulfilment-platform/tools .                                 (no APP)
# APP is one of: orders | fulfillment | tracking | notifications | billing | gateway, or
# simulators: the local provider simulators (packages/simulators, no database) for docker-compose.
# The migrate target exists only for the apps with a database (prisma.config.ts).
#
# Stages: workspace (pnpm, `pnpm fetch` from the lockfile, the sources) ->
#         build (offline install, prisma generate, tsup, pnpm deploy from the lockfile,
#         runtime tree pruned of the migration tooling) -> runtime (node, dist/, production
#         node_modules; no pnpm, npm, prisma CLI, typescript or tests)
#         build -> migrate-build (prisma CLI + schema engine) -> migrate (prisma migrate deploy).
#         workspace -> tools-build (the operator CLIs of packages/devstack/src/cli, bundled) -> tools.
#         runtime and tools start from node-slim (the Node image without its package managers).
# deploy/test/image-install.test.ts runs this file's build-stage RUN lines outside Docker and
# compares the installed tree with pnpm-lock.yaml; docs/deploy.md explains the recipe.

# The Node major is the one of .nvmrc (development and CI); deploy/test/dockerfile.test.ts checks it.
ARG NODE_IMAGE=node:20-bookworm-slim


FROM ${NODE_IMAGE} AS workspace
ARG PNPM_VERSION=10.34.8
RUN npm i -g pnpm@${PNPM_VERSION}
ENV CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1
WORKDIR /repo

# Download every package the lockfile names into pnpm's store: the only step that uses the
# network. This layer depends on the lockfile only, so it is shared by all APP builds and
# survives source edits. Every pnpm step after it runs with --offline.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch

COPY . .


FROM workspace AS build
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

# Production tree of the app in /deploy, from the lockfile: exactly its versions, no resolution.
# `--legacy` deploy re-resolves the manifest (new versions online, ERR_PNPM_NO_OFFLINE_META
# offline); the default deploy of pnpm 10 reuses the workspace lockfile but needs
# inject-workspace-packages, given here only (the development install keeps its links).
# node-linker=hoisted gives a flat node_modules: the bundle imports npm packages of the workspace
# packages it inlined (pino, @nats-io/*, ...), which are not direct dependencies of the app.
RUN pnpm --filter "@platform/${APP}" deploy --prod --offline \
      --config.inject-workspace-packages=true --config.node-linker=hoisted /deploy

# The runtime tree: the deployed tree without what only builds, tests or migrates.
# The package's folder comes from pnpm: apps/<service>, or packages/simulators. Every image
# starts dist/main.js (CMD below); for the simulators that is a link to their CLI bundle.
# @prisma/client lists the prisma CLI (and typescript) as optional peers, which the lockfile
# resolves; scripts/prune-deploy.mjs drops them and whatever only they need, and fails if a
# runtime package depends on them for real.
RUN app_dir="$(pnpm --filter "@platform/${APP}" exec pwd)" \
 && cp -a /deploy /runtime \
 && rm -rf /runtime/src /runtime/test /runtime/dist /runtime/tsconfig.json /runtime/pnpm-lock.yaml /runtime/node_modules/.cache \
 && cp -r "${app_dir}/dist" /runtime/dist \
 && if [ "${APP}" = simulators ]; then ln -s serve.js /runtime/dist/main.js; fi \
 && node scripts/prune-deploy.mjs /runtime prisma typescript


# Migration tooling, apps with a database only: the prisma CLI the lockfile resolves for
# @prisma/client, taken from /deploy with what it needs and nothing else (prisma.config.ts
# loads without typescript), plus the migrations and prisma.config.ts.
# pnpm does not run @prisma/engines' install script, so `prisma --version` downloads the native
# schema engine now, at build time: the container then migrates without network access and
# without writing to node_modules (read-only root filesystem in Kubernetes).
FROM build AS migrate-build
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN test -f "apps/${APP}/prisma.config.ts" \
      || { echo "APP=${APP} has no database: there is no migrate image for it" >&2; exit 1; } \
 && test -x /deploy/node_modules/.bin/prisma \
      || { echo "prisma CLI missing from the production install of @platform/${APP}" >&2; exit 1; } \
 && rm -rf /migrate && mkdir /migrate \
 && cp -a /deploy/node_modules /deploy/package.json /migrate/ \
 && node scripts/prune-deploy.mjs /migrate typescript --roots prisma \
 && cp -r "apps/${APP}/prisma" "apps/${APP}/prisma.config.ts" /migrate/ \
 && (cd /migrate && node_modules/.bin/prisma --version)


# `prisma migrate deploy` against DATABASE_URL, then exit: a Kubernetes Job or a compose
# one-shot service that the service waits for. Prisma picks its schema-engine build by the
# libssl version it finds (debian-openssl-3.0.x); the slim image ships neither openssl nor CA certificates.
FROM ${NODE_IMAGE} AS migrate
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ARG APP
ENV NODE_ENV=production \
    APP=${APP} \
    CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    PATH=/app/node_modules/.bin:${PATH}
WORKDIR /app
COPY --from=migrate-build /migrate /app
USER 1000:1000
CMD ["prisma", "migrate", "deploy"]


# The operators' commands (replay, dead-letters, provision-nats: every command of
# packages/devstack/src/cli but the local-stack ones, packages/devstack/tsup.config.ts), each
# bundled with all its npm packages into one executable dist/<command>.js, linked as
# bin/<command>. No APP: one image for the whole platform.
FROM workspace AS tools-build
RUN pnpm install --frozen-lockfile --offline --filter "@platform/devstack..."
RUN pnpm --filter "@platform/devstack" run build
RUN rm -rf /tools && mkdir -p /tools/bin \
 && cp -r packages/devstack/dist /tools/dist \
 && for bundle in /tools/dist/*.js; do \
      command="$(basename "${bundle}" .js)"; chmod 755 "${bundle}"; ln -s "../dist/${command}.js" "/tools/bin/${command}"; \
    done


# node:*-slim ships npm, npx, corepack and yarn; neither the services nor the tools need them.
FROM ${NODE_IMAGE} AS node-slim
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx \
      /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*


# `kubectl run ... --image fulfilment-platform/tools -- dead-letters list`, or a Job
# (deploy/k8s/examples/). The commands read NATS_URL, NATS_USER and NATS_PASSWORD.
FROM node-slim AS tools
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    PATH=/app/bin:${PATH}
WORKDIR /app
COPY --from=tools-build /tools /app
USER 1000:1000
CMD ["ls", "/app/bin"]


# The service: last stage, so the default target.
FROM node-slim AS runtime
ARG APP
ENV NODE_ENV=production \
    APP=${APP}
WORKDIR /app

# Owned by root and not writable by the service user; the pod can also mount / read-only.
COPY --from=build /runtime /app

# The node image's "node" user, numeric so that Kubernetes can verify runAsNonRoot.
# Exec form: node is PID 1 and receives SIGTERM directly (the services drain on it).
USER 1000:1000
CMD ["node", "--enable-source-maps", "dist/main.js"]
