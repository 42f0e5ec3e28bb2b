#!/usr/bin/env bash
# The images of what runs on the kind cluster besides Kubernetes, as archives for
# `kind load image-archive`:
#
#   the project's image   built from the Dockerfile by the local stack's image build (one place
#                         for it; e2e/stack/image.ts), exported from its buildah store
#   kafka                 a Debian rootfs with a JRE and the Kafka jars the stack fetched
#                         (e2e/stack/kafka/pom.xml pins them), started by kafka-start.sh
#   stand-ins             Node (the npm package `node` the repository pins), src/ and
#                         e2e/standins with the production node_modules: Strimzi's topic operator
#                         stand-in runs from it as a pod
#
# Cached like build.sh, by a hash of the inputs, under $RATINGS_CACHE/kind. Prints the path of an
# env file: PRODUCT_IMAGE, PRODUCT_ARCHIVE, KAFKA_IMAGE, KAFKA_ARCHIVE, STANDINS_IMAGE,
# STANDINS_ARCHIVE.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../.." && pwd)"
stack_cache="${RATINGS_CACHE:-$HOME/.cache/ratings-operator}"
cache="$stack_cache/kind"
# shellcheck source=e2e/kind/images/steps.sh
source "$here/steps.sh"
# The repository's own Node (the npm package `node`), which runs .ts files.
node="$repo_root/node_modules/.bin/node"

# --- the project's image: the stack builds it; its buildah store is the stack's own ---------
product_names="$("$node" --input-type=module -e "
  const { projectImageNames } = await import('$repo_root/e2e/stack/image.ts');
  console.log(projectImageNames()[0]);")"
say "building the project's image with the local stack's image build (log $logs/product.log)"
mkdir -p "$repo_root/.local/logs" # where the stack's image build writes its own log
"$node" --input-type=module -e "
  const { buildProjectImage } = await import('$repo_root/e2e/stack/image.ts');
  const ids = await buildProjectImage();
  console.log([...ids.values()][0]);" >"$logs/product.log" 2>&1 || {
  tail -20 "$logs/product.log" >&2
  exit 1
}
product_id="$(tail -1 "$logs/product.log")"
stack_buildah=(buildah --root "$stack_cache/containers/storage" --runroot "$stack_cache/containers/run" --storage-driver overlay)
export_product() { "${stack_buildah[@]}" push --quiet "$product_names" "docker-archive:$out/image.tar:$product_names"; }
step product "$(hash_of "$product_names" "$product_id")" export_product
product_archive="$out/image.tar"

# --- Kafka: a JRE and the jars; the broker's settings are in kafka-start.sh -----------------
kafka_libs="$stack_cache/kafka/libs"
[[ -d $kafka_libs ]] || {
  say "no Kafka jars in $kafka_libs: the local stack's install fetches them (npm run stack:up, or its install step)"
  exit 1
}
java_packages=openjdk-17-jre-headless,ca-certificates
step java-rootfs "$(hash_of "$debian_suite" "$java_packages")" debian_rootfs "$java_packages"
java_rootfs="$out/rootfs.tar"
build_kafka() {
  rootfs_image "$java_rootfs" "localhost/ratings-kind/kafka:$1" '["/opt/kafka/kafka-start.sh"]' \
    "$here/kafka-start.sh:/opt/kafka/kafka-start.sh" "$kafka_libs:/opt/kafka/libs"
}
kafka_hash="$(hash_of "$java_rootfs" file:"$here/kafka-start.sh" dir:"$kafka_libs")"
kafka_image="localhost/ratings-kind/kafka:$kafka_hash"
step kafka "$kafka_hash" build_kafka "$kafka_hash"
kafka_archive="$out/image.tar"

# --- the stand-ins: Node, src/, e2e/standins and the production dependencies ----------------
node_binary="$repo_root/node_modules/node/bin/node"
[[ -x $node_binary ]] || {
  say "no $node_binary: run npm ci first"
  exit 1
}
base_packages=ca-certificates
step base-rootfs "$(hash_of "$debian_suite" "$base_packages")" debian_rootfs "$base_packages"
base_rootfs="$out/rootfs.tar"
standins_tree() { # the files the stand-ins run from, as they lie in the repository
  (cd "$repo_root" && {
    echo package.json
    git ls-files src e2e/standins | grep -v '\.test\.ts$'
    npm ls --omit=dev --all --parseable 2>/dev/null | sed "s|^$repo_root/||" | grep '^node_modules/'
  })
}
build_standins() {
  local app="$out/app"
  mkdir -p "$app"
  standins_tree | (cd "$repo_root" && xargs cp -a --parents -t "$app")
  rootfs_image "$base_rootfs" "localhost/ratings-kind/standins:$1" '["/usr/local/bin/node"]' \
    "$node_binary:/usr/local/bin/node" "$app:/app"
  rm -rf "$app"
}
# The sources by content; the dependencies by the lockfile that decides them.
standins_hash="$(hash_of "$base_rootfs" file:"$node_binary" file:"$repo_root/package-lock.json" \
  "$(cd "$repo_root" && standins_tree | grep -v '^node_modules/' | xargs sha256sum)")"
standins_image="localhost/ratings-kind/standins:$standins_hash"
step standins "$standins_hash" build_standins "$standins_hash"
standins_archive="$out/image.tar"

env_file="$cache/product.env"
{
  echo "PRODUCT_IMAGE=$product_names"
  echo "PRODUCT_ARCHIVE=$product_archive"
  echo "KAFKA_IMAGE=$kafka_image"
  echo "KAFKA_ARCHIVE=$kafka_archive"
  echo "STANDINS_IMAGE=$standins_image"
  echo "STANDINS_ARCHIVE=$standins_archive"
} >"$env_file.tmp"
mv "$env_file.tmp" "$env_file"
echo "$env_file"
