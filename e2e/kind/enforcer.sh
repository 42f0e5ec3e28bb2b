# shellcheck shell=bash
# That NetworkPolicies hold on this cluster at all (kube-router's iptables/ipset enforcer), before
# any test relies on them: sourced by run.sh once the Kafka broker runs (kubectl, fail() and the
# images come from there). A policy admitting the broker's namespace only: a pod of that
# namespace still connects, a pod of another namespace is refused, and without the policy it
# connects again (the control, so that a refusal cannot come from anything else).
#
# kube-router admits a new pod once it has put the pod's address into its ipsets, a few seconds
# after the pod starts: the client in the broker's namespace is the long-running topic operator
# stand-in, never a pod made just now.

broker_ip="$(kubectl get pod -n queuing -l app.kubernetes.io/name=kafka-broker -o 'jsonpath={.items[0].status.podIP}')"
connect_js="const s = require('net').connect({ host: '$broker_ip', port: 9092, timeout: 4000 });
s.on('connect', () => { console.log('open'); process.exit(0); });
s.on('timeout', () => { console.log('timeout'); process.exit(0); });
s.on('error', (e) => { console.log(e.code); process.exit(0); });"
from_queuing() { kubectl exec -n queuing deploy/topic-operator-standin -- /usr/local/bin/node -e "$connect_js"; }
from_elsewhere() {
  kubectl run "probe-$RANDOM" -n default --rm -i --restart=Never --quiet \
    --image="$STANDINS_IMAGE" --image-pull-policy=Never \
    --overrides='{"spec": {"nodeSelector": {"node-role.kubernetes.io/control-plane": ""}, "tolerations": [{"operator": "Exists"}]}}' \
    --command -- /usr/local/bin/node -e "$connect_js" | tail -1
}
expect() { # $1 what, $2 expected, $3 actual
  echo "$1: $3"
  [[ $3 == "$2" ]] || fail "$1: expected $2, got $3"
}

log "NetworkPolicy enforced (kube-router): the broker admits its own namespace only"
expect "another namespace, no policy" open "$(from_elsewhere)"
kubectl apply -f - <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: e2e-broker-from-queuing
  namespace: queuing
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: kafka-broker
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: {}
EOF
sleep 5
expect "the broker's namespace, with the policy" open "$(from_queuing)"
expect "another namespace, with the policy" ECONNREFUSED "$(from_elsewhere)"
kubectl delete networkpolicy -n queuing e2e-broker-from-queuing
sleep 5
expect "another namespace, policy deleted" open "$(from_elsewhere)"
