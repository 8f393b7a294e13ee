#!/usr/bin/env python3
"""Print the top templates and the rare ones per source from logsift's cluster index."""
import sys
from opensearchpy import OpenSearch

url = sys.argv[1]
index = sys.argv[2] if len(sys.argv) > 2 else "logsift-clusters"
es = OpenSearch(url)
es.indices.refresh(index=index)
sources = es.search(index=index, body={"size": 0, "aggs": {"s": {"terms": {"field": "source", "size": 100}}}})
for b in sources["aggregations"]["s"]["buckets"]:
    src, n = b["key"], b["doc_count"]
    def q(order, size, extra=None):
        body = {"size": size, "query": {"bool": {"filter": [{"term": {"source": src}}] + (extra or [])}},
                "sort": [{"count": order}, {"cluster_id": "asc"}]}
        return [h["_source"] for h in es.search(index=index, body=body)["hits"]["hits"]]
    total = sum(c["count"] for c in q("desc", 10000))
    print(f"\n== source {src}: {n} templates over {total} documents")
    print("   top templates:")
    for c in q("desc", 8):
        print(f"   {c['count']:>7}  {c['cluster_id']:<12} {c['template'][:110]}")
    rare = q("asc", 6, [{"range": {"count": {"lte": 2}}}])
    print(f"   rare templates (seen at most twice): {len(q('asc', 10000, [{'range': {'count': {'lte': 2}}}]))}")
    for c in rare:
        print(f"   {c['count']:>7}  {c['cluster_id']:<12} {c['template'][:110]}")
