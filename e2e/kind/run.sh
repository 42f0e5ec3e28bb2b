#!/usr/bin/env bash
# End-to-end on a real cluster: kind + Strimzi + a KRaft Kafka + this repository's image and
# chart + the sample experiment of ops/, then checks that the experiment becomes Ready and that
# its totals rise. Needs a Docker engine and the network (see README.md beside this file).
#
#   e2e/kind/run.sh                 # create, test, delete the cluster
#   KEEP_CLUSTER=1 e2e/kind/run.sh  # leave the cluster up afterwards to look around
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cluster="${CLUSTER_NAME:-ratings-e2e}"
image="${IMAGE:-ratings-operator:e2e}"
# Strimzi's chart from its OCI registry, at the release ops/infrastructure pins (one place for it).
strimzi_chart=oci://quay.io/strimzi-helm/strimzi-kafka-operator
strimzi_version="${STRIMZI_CHART_VERSION:-$(awk '$1 == "tag:" {print $2}' \
  "$repo_root/ops/infrastructure/controllers/strimzi/ocirepository.yaml")}"
keep_cluster="${KEEP_CLUSTER:-0}"
wait_timeout="${WAIT_TIMEOUT:-10m}"
kube=(kubectl --context "kind-${cluster}")
helm_kube=(--kube-context "kind-${cluster}")

log() { printf '\n==> %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (see e2e/kind/README.md)"
  done
  docker info >/dev/null 2>&1 || fail 'no Docker engine answers (docker info failed)'
}

# On failure, show what a person would look at first, then remove the cluster (unless kept).
on_exit() {
  local status=$?
  if [[ $status -ne 0 ]] && "${kube[@]}" version >/dev/null 2>&1; then
    log "diagnostics after failure (exit $status)"
    "${kube[@]}" get ratingexperiments -A -o wide || true
    "${kube[@]}" describe ratingexperiment erb-voices -n appdev || true
    "${kube[@]}" get pods,deployments,services -A || true
    "${kube[@]}" get kafka,kafkanodepool,kafkatopic -n queuing || true
    "${kube[@]}" logs -n ratings-operator-system -l app.kubernetes.io/component=controller --tail=100 || true
  fi
  if [[ $keep_cluster == 1 ]]; then
    log "cluster kind-${cluster} kept (delete it with: kind delete cluster --name ${cluster})"
  else
    log "deleting cluster ${cluster}"
    kind delete cluster --name "$cluster" || true
  fi
  exit "$status"
}

# The experiment's fields through a kubectl JSONPath template (empty while a field is unset).
experiment_jsonpath() {
  "${kube[@]}" get ratingexperiment erb-voices -n appdev -o "jsonpath=$1"
}

sum() {
  local total=0 n
  for n in "$@"; do total=$((total + n)); done
  echo "$total"
}

require kind kubectl helm docker
trap on_exit EXIT

log "creating kind cluster ${cluster}"
kind create cluster --name "$cluster" --config "$repo_root/e2e/kind/cluster.yaml" \
  ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 5m

log "installing Strimzi ${strimzi_version} and a single-node KRaft Kafka (ops/infrastructure)"
helm upgrade --install strimzi-kafka-operator "$strimzi_chart" "${helm_kube[@]}" \
  --version "$strimzi_version" \
  --namespace queuing --create-namespace --wait --timeout "$wait_timeout"
"${kube[@]}" apply -f "$repo_root/ops/infrastructure/configs/kafka/kafka.yaml"

log "building ${image} and loading it into the cluster (while Kafka starts)"
docker build --tag "$image" "$repo_root"
kind load docker-image "$image" --name "$cluster"

"${kube[@]}" wait kafka/kafka -n queuing --for=condition=Ready --timeout="$wait_timeout"

log "installing the ratings-operator chart (namespace enforcing the restricted Pod Security Standard)"
"${kube[@]}" apply -f "$repo_root/ops/apps/ratings-operator/namespace.yaml"
helm upgrade --install ratings-operator "$repo_root/charts/ratings-operator" "${helm_kube[@]}" \
  --namespace ratings-operator-system \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --set image.pullPolicy=Never \
  --wait --timeout "$wait_timeout"

log "applying the sample experiment (ops/experiments)"
"${kube[@]}" apply -k "$repo_root/ops/experiments"
"${kube[@]}" wait ratingexperiment/erb-voices -n appdev --for=condition=Ready --timeout="$wait_timeout"
"${kube[@]}" get ratingexperiments -n appdev

log "checking that the totals rise"
first="$(experiment_jsonpath '{.status.counted}')"
sleep 30
second="$(experiment_jsonpath '{.status.counted}')"
echo "counted: ${first:-unset} -> ${second:-unset}"
[[ -n $second && $second -gt ${first:-0} ]] || fail "status.counted did not rise in 30 s"

# Every rating adds one to the count of both voices of its battle. One read, so that both
# figures come from the same checkpoint.
read -r counted counts <<<"$(experiment_jsonpath '{.status.counted}{" "}{.status.totals[*].count}')"
# shellcheck disable=SC2086 # word splitting of the counts is intended
voice_counts="$(sum $counts)"
[[ $voice_counts -eq $((2 * counted)) ]] ||
  fail "the voices' counts add up to ${voice_counts}, expected 2 x counted = $((2 * counted))"
echo "leader: $(experiment_jsonpath '{.status.leader}')"

log "PASS"
