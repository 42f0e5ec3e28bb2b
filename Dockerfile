# syntax=docker/dockerfile:1
# One image, three modes: `controller`, `producer`, `consumer` (the first argument).
#   docker build -t ratings-operator:dev .
#   docker run --rm ratings-operator:dev controller

# Same Node major as the project's toolchain (package.json engines and devDependency `node`).
ARG NODE_MAJOR=24

FROM node:${NODE_MAJOR}-bookworm AS build
WORKDIR /src
# Dependencies first, so that source edits reuse the cached install layer.
COPY package.json package-lock.json ./
# npm ci's postinstall patches kafkajs (patches/kafkajs-negative-timeout.mjs).
COPY patches/ patches/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src/ src/
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# Distroless: no shell, no package manager; `nonroot` is uid/gid 65532.
FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# package.json carries "type": "module", which the compiled ESM in dist/ needs.
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
# Numeric, so that runAsNonRoot can be verified by the kubelet.
USER 65532:65532
EXPOSE 8080
# The distroless image keeps node at /nodejs/bin/node, outside PATH: name it absolutely.
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli.js"]
