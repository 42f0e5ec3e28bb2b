# syntax=docker/dockerfile:1
# One image, three modes: `controller`, `producer`, `consumer` (the first argument).
#   docker build -t ratings-operator:dev .
#   docker run --rm ratings-operator:dev controller

# Same Node major as the project's toolchain (package.json engines and devDependency `node`).
ARG NODE_MAJOR=24

# The base images: Debian 13 (trixie) for the build, distroless on Debian 13 for the runtime.
# The tags say what they are; a release pins each by digest. No digest is written here, because
# none could be read from a registry where this file was written: the release pipeline resolves
# the tags once (`skopeo inspect --format '{{.Digest}}' docker://node:24-trixie`, likewise the
# runtime) and passes --build-arg BUILD_BASE_DIGEST=sha256:… --build-arg RUNTIME_BASE_DIGEST=sha256:…,
# so that a rebuild of the release gets the very same bases. Empty digests build from the tags
# (development, and the local stack, whose stand-in bases have no registry digest).
ARG BUILD_BASE=node:${NODE_MAJOR}-trixie
ARG BUILD_BASE_DIGEST=
ARG RUNTIME_BASE=gcr.io/distroless/nodejs${NODE_MAJOR}-debian13:nonroot
ARG RUNTIME_BASE_DIGEST=

FROM ${BUILD_BASE}${BUILD_BASE_DIGEST:+@}${BUILD_BASE_DIGEST} AS build
WORKDIR /src
# Dependencies first, so that source edits reuse the cached install layer.
COPY package.json package-lock.json ./
# npm ci's postinstall patches kafkajs (patches/kafkajs.mjs).
COPY patches/ patches/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src/ src/
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# Distroless: no shell, no package manager; `nonroot` is uid/gid 65532.
FROM ${RUNTIME_BASE}${RUNTIME_BASE_DIGEST:+@}${RUNTIME_BASE_DIGEST}
ARG RUNTIME_BASE
ARG RUNTIME_BASE_DIGEST
# package.json "version"; REVISION the commit and CREATED the RFC 3339 build time, from CI.
ARG VERSION=0.1.0
ARG REVISION=
ARG CREATED=
LABEL org.opencontainers.image.title="ratings-operator" \
      org.opencontainers.image.description="A Kubernetes operator that runs rating experiments on Kafka (Strimzi): controller, producer and consumer in one image." \
      org.opencontainers.image.vendor="Conglombo Corp" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/conglombo/ratings-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${RUNTIME_BASE}" \
      org.opencontainers.image.base.digest="${RUNTIME_BASE_DIGEST}"
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
