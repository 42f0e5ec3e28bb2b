# shellcheck shell=bash disable=SC2154 # wait_timeout, like kubectl and fail, comes from run.sh
# The checks across nodes, sourced by run.sh once the sample experiment counts (kubectl, the
# cluster's name and fail() come from there). Each disruption ends with the experiment Ready
# again and its totals exact: with production paused and every record checkpointed
# (status.lag 0), the ratings in the topic are exactly those counted or rejected, and every
# counted rating adds one to both voices of its battle.
#
# Tolerances, for four kubelets, etcd and a Kafka JVM on 2 vCPUs: the controller's Lease lasts
# 15 s (chart default) and a standby retries every 2 s, so a new leader is due within ~17 s of
# the old one's last renewal; the check allows 60 s, since under this load a standby's renewal
# request may itself take seconds. Settling (lag 0) gets 3 minutes.

experiment=(ratingexperiment erb-voices -n appdev)
status_of() { kubectl get "${experiment[@]}" -o "jsonpath=$1"; }
# produced counted rejected lag, each 0 while unset.
figures() {
  kubectl get "${experiment[@]}" -o go-template="$(printf '{{with .status.%s}}{{.}}{{else}}0{{end}} ' produced counted rejected lag)"
}

# Pauses production, waits until every record is checkpointed, checks the totals, resumes.
check_exact_totals() {
  local what=$1 deadline=$((SECONDS + 180)) produced counted rejected lag counts sum=0 n
  kubectl patch "${experiment[@]}" --type=merge -p '{"spec": {"producer": {"replicas": 0}}}' >/dev/null
  while :; do
    read -r produced counted rejected lag <<<"$(figures)"
    # Settled: nothing uncheckpointed, and the same figures two checkpoints later (a producer
    # still stopping, or a lost node's, would have moved them).
    if [[ $lag == 0 ]]; then
      sleep 10
      local again
      again="$(figures)"
      [[ $again == "$produced $counted $rejected $lag " ]] && break
    fi
    ((SECONDS < deadline)) || fail "$what: the experiment did not settle in 180 s (lag $lag)"
    sleep 2
  done
  counts="$(status_of '{.status.totals[*].count}')"
  for n in $counts; do sum=$((sum + n)); done
  echo "$what: produced $produced, counted $counted, rejected $rejected, voices $sum"
  [[ $produced -eq $((counted + rejected)) ]] ||
    fail "$what: $produced ratings in the topic, but $counted counted and $rejected rejected"
  [[ $sum -eq $((2 * counted)) ]] || fail "$what: the voices add up to $sum, not 2 x $counted"
  kubectl patch "${experiment[@]}" --type=merge -p '{"spec": {"producer": {"replicas": 1}}}' >/dev/null
  kubectl wait "${experiment[@]}" --for=condition=Ready --timeout="$wait_timeout" >/dev/null
}

controller_pods() {
  kubectl get pods -n ratings-operator-system -l app.kubernetes.io/component=controller \
    -o 'jsonpath={range .items[*]}{.metadata.name}{" "}{.spec.nodeName}{"\n"}{end}'
}
leader() { kubectl get lease ratings-operator -n ratings-operator-system -o 'jsonpath={.spec.holderIdentity}'; }
node_of() { kubectl get pod -n "$1" "$2" -o 'jsonpath={.spec.nodeName}'; }

log "cross-node: where the pods run"
kubectl get pods -n appdev -o wide
controller_pods
[[ $(controller_pods | awk '{print $2}' | sort -u | wc -l) -eq 2 ]] ||
  fail "the two controller replicas share a node (topology spread)"
check_exact_totals "before any disruption"

log "cross-node: kubectl drain of a worker that holds consumers (PodDisruptionBudgets respected)"
consumer_node="$(kubectl get pods -n appdev -l app.kubernetes.io/component=consumer \
  -o 'jsonpath={.items[0].spec.nodeName}')"
[[ -n $consumer_node && $consumer_node != *control-plane ]] || fail "no consumer on a worker"
started=$SECONDS
kubectl drain "$consumer_node" --ignore-daemonsets --delete-emptydir-data --timeout=5m
echo "drained $consumer_node in $((SECONDS - started))s"
kubectl wait "${experiment[@]}" --for=condition=Ready --timeout="$wait_timeout"
kubectl get pods -n appdev -o wide
check_exact_totals "after draining $consumer_node"
kubectl uncordon "$consumer_node"

log "cross-node: the controller leader's node lost (its node container killed)"
# After the drain, the replica evicted there must again be on a node of its own: with both on
# one node, losing it loses both (the chart's spread is ScheduleAnyway, seen to fail here).
controller_pods
[[ $(controller_pods | awk '{print $2}' | sort -u | wc -l) -eq 2 ]] ||
  fail "after the drain both controller replicas run on one node: losing it would lose both"
old_leader="$(leader)"
leader_node="$(node_of ratings-operator-system "$old_leader")"
echo "leader $old_leader on $leader_node"
started=$SECONDS
podman kill "$leader_node" >/dev/null
until [[ -n $(leader) && $(leader) != "$old_leader" ]]; do
  ((SECONDS - started < 60)) || fail "no new leader 60 s after $leader_node was lost"
  sleep 1
done
echo "new leader $(leader) after $((SECONDS - started))s"
check_exact_totals "after losing $leader_node"
