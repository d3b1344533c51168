#!/usr/bin/env bash
# SCRAM users and ACLs of docker-compose.secure.yml, set through the controller listener
# (PLAINTEXT, reachable inside the compose network only; its principal is a super user).
# The passwords come from the mounted files; each user may touch only its topics and groups.
set -euo pipefail
bin=/opt/kafka/bin
ctl=(--bootstrap-controller kafka:9093)
for user in admin connect job sink exporter; do
  password=$(cat "/run/secrets/cdc/kafka-${user}.password")
  "$bin/kafka-configs.sh" "${ctl[@]}" --alter --entity-type users --entity-name "$user" \
    --add-config "SCRAM-SHA-512=[password=${password}]"
done
acl() { "$bin/kafka-acls.sh" "${ctl[@]}" --add --allow-principal "User:$1" "${@:2}"; }
acl connect --operation All --topic cdc. --resource-pattern-type prefixed
acl connect --operation All --topic connect- --resource-pattern-type prefixed
acl connect --operation All --group cdc-connect --resource-pattern-type prefixed
acl job --operation Read --operation Describe --topic cdc.public. --resource-pattern-type prefixed
acl job --operation All --topic processed. --resource-pattern-type prefixed
acl job --operation All --topic cdc.dlq
acl job --operation All --topic cdc.metrics
acl job --operation All --group cdc-processor --resource-pattern-type prefixed
acl job --operation All --transactional-id cdc-processor --resource-pattern-type prefixed
acl sink --operation Read --operation Describe --topic processed. --resource-pattern-type prefixed
acl sink --operation Write --operation Describe --topic cdc.dlq
acl sink --operation All --group cdc-sink --resource-pattern-type prefixed
acl exporter --operation Describe --topic '*'
acl exporter --operation Describe --group '*'
