#!/bin/sh
# One-shot setup of the Elasticsearch 8 stack: wait for Elasticsearch, set the kibana_system
# password (Kibana 8 refuses the elastic superuser), install the index template for logs-*.
set -eu
ES="${ES_URL:-http://elasticsearch:9200}"
AUTH="elastic:${ELASTIC_PASSWORD:?}"
echo "waiting for $ES"
until curl -s -u "$AUTH" "$ES/_cluster/health?wait_for_status=yellow&timeout=5s" | grep -q '"status"'; do sleep 3; done
echo "setting the kibana_system password"
until curl -s -f -u "$AUTH" -H 'Content-Type: application/json' \
    -X POST "$ES/_security/user/kibana_system/_password" -d "{\"password\":\"${KIBANA_PASSWORD:?}\"}" >/dev/null; do sleep 3; done
echo "installing the logs-* index template"
curl -s -f -u "$AUTH" -H 'Content-Type: application/json' -X PUT "$ES/_index_template/logsift-demo-logs" \
    --data-binary @/setup/logs.json >/dev/null
echo "setup done"
