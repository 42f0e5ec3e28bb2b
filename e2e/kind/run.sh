#!/usr/bin/env bash
# End-to-end on a real, multi-node cluster: kind (a control plane and three workers,
# cluster.yaml), the pod network, this repository's image and chart, a Kafka broker and the
# sample experiment of ops/, then the checks of e2e/kind/tests. Two ways to get there:
#
#   podman (here: no Docker engine, no image registry)
#       KIND_EXPERIMENTAL_PROVIDER=podman; every image is built locally by images/build.sh
#       (node image, control-plane images, pod network), cached by a hash of its inputs.
#   Docker with the network (as kind documents)
#       kind's own node image; the images are the same ones, loaded with `kind load`.
#
#   e2e/kind/run.sh                 # create, test, delete the cluster (and all podman made)
#   KEEP_CLUSTER=1 e2e/kind/run.sh  # leave the cluster up afterwards to look around
#
# Each run has a cluster (and podman network) of its own, named ratings-e2e-<time>-<pid> unless
# CLUSTER_NAME is set; the image cache stays.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
cluster="${CLUSTER_NAME:-ratings-e2e-$(date +%s)-$$}"
keep_cluster="${KEEP_CLUSTER:-0}"
wait_timeout="${WAIT_TIMEOUT:-10m}"
cache="${RATINGS_CACHE:-$HOME/.cache/ratings-operator}/kind"
work="$(mktemp -d "${TMPDIR:-/tmp}/kind-e2e.XXXXXX")"
export KUBECONFIG="$work/kubeconfig"

log() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

if [[ -z ${KIND_EXPERIMENTAL_PROVIDER:-} ]]; then
  if docker info >/dev/null 2>&1; then
    KIND_EXPERIMENTAL_PROVIDER=docker
  elif command -v podman >/dev/null; then
    KIND_EXPERIMENTAL_PROVIDER=podman
  else
    fail 'neither a Docker engine nor podman answers (see e2e/kind/README.md)'
  fi
fi
export KIND_EXPERIMENTAL_PROVIDER
provider=$KIND_EXPERIMENTAL_PROVIDER
if [[ $provider == podman ]]; then
  # podman from Debian, with the dnsname CNI plugin: kind's nodes find the control plane by its
  # container name, which podman's CNI network resolves only with it.
  if ! command -v podman >/dev/null || [[ ! -x /usr/lib/cni/dnsname ]] || ! command -v mmdebstrap >/dev/null; then
    log "installing podman, its dnsname plugin and mmdebstrap (Debian packages)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      podman golang-github-containernetworking-plugin-dnsname dnsmasq-base mmdebstrap buildah >/dev/null
  fi
  # Our settings for this VM (no CAP_SYS_RESOURCE); a network of this run's own, so that
  # deleting it leaves nothing behind.
  export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/podman/containers.conf}"
  export KIND_EXPERIMENTAL_PODMAN_NETWORK="$cluster"
  # kind mounts the host's /lib/modules into each node; this VM's kernel has none.
  [[ -d /lib/modules ]] || mkdir -p /lib/modules
fi

log "building the images (cached in $cache)"
# shellcheck source=/dev/null # written by build.sh: KIND, KUBECTL, NODE_IMAGE, PODNET_IMAGE, ARCHIVES
source "$("$here/images/build.sh")"
kubectl() { "$KUBECTL" "$@"; }
kind() { "$KIND" "$@"; }

leftovers() {
  [[ $provider == podman ]] || return 0
  podman ps -a --filter "label=io.x-k8s.kind.cluster=$cluster" --format '{{.Names}}'
  podman network ls --format '{{.Name}}' | grep -Fx "$cluster" || true
  local node
  for node in $(podman ps -a --filter "label=io.x-k8s.kind.cluster=$cluster" --format '{{.Names}}'); do
    podman volume ls --filter "label=$node" --format '{{.Name}}'
  done
}

on_exit() {
  local status=$?
  if [[ $status -ne 0 && -f $KUBECONFIG ]] && kubectl version >/dev/null 2>&1; then
    log "diagnostics after failure (exit $status)"
    kubectl get nodes -o wide || true
    kubectl get pods -A -o wide || true
    kubectl get ratingexperiments -A -o wide || true
    kubectl get events -A --sort-by=.lastTimestamp | tail -40 || true
  fi
  if [[ $keep_cluster == 1 ]]; then
    log "cluster $cluster kept: KUBECONFIG=$KUBECONFIG; delete it with: $KIND delete cluster --name $cluster"
    exit "$status"
  fi
  log "deleting cluster $cluster"
  kind delete cluster --name "$cluster" || status=1
  if [[ $provider == podman ]]; then
    podman network exists "$cluster" && { podman network rm "$cluster" >/dev/null || status=1; }
    local left
    left="$(leftovers)"
    if [[ -n $left ]]; then
      printf 'FAIL: podman objects of %s remain:\n%s\n' "$cluster" "$left" >&2
      status=1
    fi
  fi
  rm -rf "$work"
  log "done (exit $status) in ${SECONDS}s"
  exit "$status"
}
trap on_exit EXIT

log "creating kind cluster $cluster ($provider, $(grep -c 'role:' "$here/cluster.yaml") nodes)"
started=$SECONDS
create_args=()
[[ $provider == podman ]] && create_args+=(--image "$NODE_IMAGE")
# A kept cluster is kept when its creation fails too, to look inside its nodes.
[[ $keep_cluster == 1 ]] && create_args+=(--retain)
kind create cluster --name "$cluster" --config "$here/cluster.yaml" --kubeconfig "$KUBECONFIG" "${create_args[@]}"
if [[ $provider == podman ]]; then
  # Straight to the control plane's address on the run's network, not through podman's port
  # mapping on 127.0.0.1: that lives in host iptables chains (CNI-HOSTPORT-*) that the local
  # stack's node teardown removes with its own CNI-* chains. The serving certificate names it.
  address="$(podman inspect -f "{{(index .NetworkSettings.Networks \"$cluster\").IPAddress}}" "$cluster-control-plane")"
  kubectl config set-cluster "kind-$cluster" --server="https://$address:6443" >/dev/null
fi
if [[ $provider != podman ]]; then
  # kind's own node image: our images are loaded into it, as a user loads their own.
  for archive in $ARCHIVES; do kind load image-archive "$archive" --name "$cluster"; done
fi

log "installing the pod network (podnet), the NetworkPolicy enforcer (kube-router), waiting for every node to be Ready"
sed "s|image: podnet$|image: $PODNET_IMAGE|" "$here/network/podnet.yaml" | kubectl apply -f -
if [[ -n ${KUBE_ROUTER_IMAGE:-} ]]; then
  sed "s|image: kube-router$|image: $KUBE_ROUTER_IMAGE|" "$here/network/kube-router.yaml" | kubectl apply -f -
fi
kubectl wait nodes --all --for=condition=Ready --timeout="$wait_timeout"
kubectl -n kube-system rollout status deployment/coredns --timeout="$wait_timeout"
kubectl get nodes -o wide
echo "cluster ready in $((SECONDS - started))s"

if [[ ${CLUSTER_ONLY:-0} == 1 ]]; then
  log "PASS (cluster only)"
  exit 0
fi

log "building the project's, Kafka's and the stand-ins' images"
# shellcheck source=/dev/null # written by product.sh: PRODUCT_*, KAFKA_*, STANDINS_*
source "$("$here/images/product.sh")"
node="$repo_root/node_modules/.bin/node"
helm="$("$node" --input-type=module -e "
  const { ensureGoTool, HELM } = await import('$repo_root/e2e/chart/go-tools.ts');
  console.log(ensureGoTool(HELM));")"
kind load image-archive "$PRODUCT_ARCHIVE" --name "$cluster"
# Kafka and the stand-ins run on the control plane only (strimzi/kafka.yaml).
kind load image-archive "$KAFKA_ARCHIVE" --name "$cluster" --nodes "$cluster-control-plane"
kind load image-archive "$STANDINS_ARCHIVE" --name "$cluster" --nodes "$cluster-control-plane"

log "Strimzi's CRDs, the Kafka of ops/infrastructure, its broker and the topic operator stand-in"
kubectl apply --server-side -f "$repo_root/e2e/fixtures/strimzi-crds.yaml" >/dev/null
kubectl wait crd --all --for=condition=Established --timeout=60s >/dev/null
sed "s|image: kafka$|image: $KAFKA_IMAGE|" "$here/strimzi/kafka.yaml" | kubectl apply -f -
kubectl apply -f "$repo_root/ops/infrastructure/configs/kafka/kafka.yaml"
# What Strimzi's cluster operator would report once the broker runs: the plain listener's address.
kubectl -n queuing patch kafka kafka --subresource=status --type=merge -p '{"status": {
  "observedGeneration": 1,
  "listeners": [{"name": "plain", "type": "internal",
    "bootstrapServers": "kafka-kafka-bootstrap.queuing.svc:9092",
    "addresses": [{"host": "kafka-kafka-bootstrap.queuing.svc", "port": 9092}]}],
  "conditions": [{"type": "Ready", "status": "True", "reason": "KindStandIn",
    "message": "broker pod of e2e/kind/strimzi/kafka.yaml"}]}}'
kubectl -n queuing rollout status deployment/kafka-broker --timeout="$wait_timeout"
sed "s|image: standins$|image: $STANDINS_IMAGE|" "$here/strimzi/topic-operator.yaml" | kubectl apply -f -
kubectl -n queuing rollout status deployment/topic-operator-standin --timeout="$wait_timeout"
# shellcheck source=e2e/kind/enforcer.sh
source "$here/enforcer.sh"

log "installing the ratings-operator chart (namespace enforcing the restricted Pod Security Standard)"
kubectl apply -f "$repo_root/ops/apps/ratings-operator/namespace.yaml"
"$helm" install ratings-operator "$repo_root/charts/ratings-operator" \
  --namespace ratings-operator-system \
  --set image.repository="${PRODUCT_IMAGE%:*}" --set image.tag="${PRODUCT_IMAGE##*:}" --set image.pullPolicy=Never \
  --wait --timeout "$wait_timeout"

log "applying the sample experiment (ops/experiments)"
kubectl apply -k "$repo_root/ops/experiments"
kubectl wait ratingexperiment/erb-voices -n appdev --for=condition=Ready --timeout="$wait_timeout"
kubectl get ratingexperiments -n appdev -o wide
kubectl get pods -A -o wide

log "checking that the totals rise and add up"
experiment_jsonpath() { kubectl get ratingexperiment erb-voices -n appdev -o "jsonpath=$1"; }
first="$(experiment_jsonpath '{.status.counted}')"
sleep 30
second="$(experiment_jsonpath '{.status.counted}')"
echo "counted: ${first:-unset} -> ${second:-unset}"
[[ -n $second && $second -gt ${first:-0} ]] || fail "status.counted did not rise in 30 s"
# Every rating adds one to the count of both voices of its battle; one read, one checkpoint.
read -r counted counts <<<"$(experiment_jsonpath '{.status.counted}{" "}{.status.totals[*].count}')"
voice_counts=0
for n in $counts; do voice_counts=$((voice_counts + n)); done
[[ $voice_counts -eq $((2 * counted)) ]] ||
  fail "the voices' counts add up to ${voice_counts}, expected 2 x counted = $((2 * counted))"

if [[ ${CROSS_NODE:-1} == 1 ]]; then
  # shellcheck source=e2e/kind/cross-node.sh
  source "$here/cross-node.sh"
fi

log "PASS"
