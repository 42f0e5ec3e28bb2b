#!/bin/bash
# A single-node KRaft Kafka (broker and controller) in a pod of the kind cluster. Clients reach
# it through the Service Strimzi would create for the cluster, whose name it advertises
# ($ADVERTISED_HOST). The log directory is formatted once, on the first start.
set -euo pipefail
: "${ADVERTISED_HOST:?the name clients reach the broker by}"
data=/var/lib/kafka
config=/tmp/server.properties
cat >"$config" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:9093
listeners=PLAINTEXT://:9092,CONTROLLER://127.0.0.1:9093
advertised.listeners=PLAINTEXT://${ADVERTISED_HOST}:9092,CONTROLLER://127.0.0.1:9093
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${data}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPERTIES
jvm=(-Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true -cp '/opt/kafka/libs/*')
if [[ ! -f $data/meta.properties ]]; then
  # An id that starts with '-' would be read as an option: draw again.
  cluster_id=-
  while [[ $cluster_id == -* ]]; do cluster_id="$(java "${jvm[@]}" kafka.tools.StorageTool random-uuid)"; done
  java "${jvm[@]}" kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$config" --standalone
fi
exec java "${jvm[@]}" kafka.Kafka "$config"
