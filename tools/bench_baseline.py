#!/usr/bin/env python3
"""Baseline for logsift's throughput bar: a plain Python script that scrolls the unlabelled
documents (opensearch-py helpers.scan) and bulk-updates them (helpers.bulk) with constant fields,
or (--drain3) with the cluster id and template mined by Python drain3.

Usage: bench_baseline.py URL INDEX [--drain3]
"""
import argparse, sys
from opensearchpy import OpenSearch, helpers

QUERY = {"query": {"bool": {"must_not": [{"exists": {"field": "logsift.cluster_id"}}]}}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("index")
    ap.add_argument("--drain3", action="store_true")
    a = ap.parse_args()
    es = OpenSearch(a.url, timeout=300)
    miner = None
    if a.drain3:
        from drain3 import TemplateMiner
        from drain3.template_miner_config import TemplateMinerConfig
        cfg = TemplateMinerConfig()
        cfg.profiling_enabled = False
        miner = TemplateMiner(config=cfg)

    def actions():
        for h in helpers.scan(es, index=a.index, query=QUERY, size=2000, scroll="5m", seq_no_primary_term=True):
            if miner is not None:
                r = miner.add_log_message(h["_source"]["message"])
                doc = {"logsift": {"cluster_id": str(r["cluster_id"]), "template": r["template_mined"]}}
            else:
                doc = {"logsift": {"cluster_id": "constant", "template": "constant template"}}
            yield {"_op_type": "update", "_index": h["_index"], "_id": h["_id"],
                   "if_seq_no": h["_seq_no"], "if_primary_term": h["_primary_term"], "doc": doc}

    ok, errors = helpers.bulk(es, actions(), chunk_size=2000, raise_on_error=False, max_retries=3)
    print(f"updated {ok}, errors {len(errors) if isinstance(errors, list) else errors}", file=sys.stderr)


if __name__ == "__main__":
    main()
