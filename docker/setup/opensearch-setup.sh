#!/bin/sh
# One-shot setup of the OpenSearch 2 stack: wait for OpenSearch, install the index template for logs-*.
set -eu
OS="${OS_URL:-https://opensearch:9200}"
AUTH="admin:${OPENSEARCH_INITIAL_ADMIN_PASSWORD:?}"
echo "waiting for $OS"
until curl -s -k -u "$AUTH" "$OS/_cluster/health?wait_for_status=yellow&timeout=5s" | grep -q '"status"'; do sleep 3; done
echo "installing the logs-* index template"
curl -s -k -f -u "$AUTH" -H 'Content-Type: application/json' -X PUT "$OS/_index_template/logsift-demo-logs" \
    --data-binary @/setup/logs.json >/dev/null
echo "setup done"
