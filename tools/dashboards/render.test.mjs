// `make test` part for the dashboards: every Vega chart of the bundle, run against data loaded
// into a real test server, renders to a PNG with data marks drawn (node --test); the charts of
// the Audit events dashboard do so for each audit preset, from `logsift.audit.*` alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { main, vegaCharts, auditPanelIds } from "./render.mjs";
import { AUDIT_SOURCES } from "./load.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

test("every Vega chart draws data marks from the logs logsift labelled", { timeout: 600_000 }, async () => {
  const { labelling, drilldown, annotation, audits, charts: report } = await main();
  // A dashboard filter on one cluster id narrows the drill-down chart to exactly that cluster.
  assert.equal(drilldown.lines_drawn, drilldown.cluster_count, `drill-down on ${drilldown.cluster_id}`);
  assert.ok(drilldown.lines_drawn < labelling.docs && drilldown.data_items > 0);
  assert.equal(labelling.labelled, labelling.docs, "logsift run --once labelled every sample line");
  assert.ok(labelling.clusters > 10, `${labelling.clusters} clusters`);
  const charts = vegaCharts();
  const audit = auditPanelIds();
  const auditVega = charts.filter((c) => audit.has(c.id)).map((c) => c.id).sort();
  assert.ok(charts.length >= 9 && auditVega.length >= 5, `${charts.length} Vega charts, ${auditVega.length} on the audit dashboard`);
  // Every chart off the audit dashboard once (logs-*), every audit chart once per preset.
  assert.deepEqual(report.filter((r) => !r.preset).map((r) => r.id).sort(), charts.filter((c) => !audit.has(c.id)).map((c) => c.id).sort());
  for (const s of AUDIT_SOURCES) {
    assert.deepEqual(report.filter((r) => r.preset === s.preset).map((r) => r.id).sort(), auditVega, `audit charts for ${s.preset}`);
  }
  for (const r of report) {
    const what = `${r.id}${r.preset ? ` (${r.preset})` : ""}`;
    assert.ok(r.rows > 0, `${what}: the query returned no rows`);
    assert.ok(r.data_items > 0, `${what}: no data marks drawn`);
    assert.equal(r.data_items_vega_lite_4, r.data_items, `${what}: Vega-Lite 4 (Kibana 7.10, OpenSearch Dashboards) draws differently`);
    const png = readFileSync(path.join(ROOT, r.png));
    assert.equal(png.subarray(1, 4).toString(), "PNG", `${what}: not a PNG`);
    assert.ok(statSync(path.join(ROOT, r.png)).size > 5000, `${what}: suspiciously small PNG`);
  }
  // Each preset: its own index (as `logsift kibana bundle --source-pattern` adapts the charts),
  // every event labelled and scored, its own fields mapped as keyword by `logsift setup`.
  assert.deepEqual(audits.map((a) => a.preset), AUDIT_SOURCES.map((s) => s.preset));
  for (const a of audits) {
    assert.ok(report.filter((r) => r.preset === a.preset).every((r) => r.index === a.index), `${a.preset}: charts query ${a.index}`);
    assert.ok(a.events > 100 && a.labelled === a.events && a.scored === a.events, JSON.stringify(a));
    assert.ok(a.setup_mapped_fields, `${a.preset}: logsift setup mapped the preset's fields`);
    assert.equal(a.raw_field_type, "keyword", `${a.preset}: ${a.raw_field} mapped by setup, not by dynamic mapping`);
    // The rare-combination table: highest score first, every row naming its document.
    const rare = report.find((r) => r.preset === a.preset && r.id === "logsift-audit-rare-combinations");
    // (the max aggregation reads the float the mapping stores: 9.57 comes back as 9.5699997)
    assert.ok(rare.first_score > 0 && Math.abs(rare.first_score - rare.max_score) < 1e-4, `${a.preset}: ${rare.first_score} vs max ${rare.max_score}`);
    assert.equal(rare.rows_with_document, rare.rows, `${a.preset}: rows link their documents`);
  }
  // An annotation made with `logsift annotate` is found by the annotated-templates search and
  // shown by the cluster-index chart.
  assert.deepEqual(annotation.annotated, [{ cluster_id: annotation.cluster_id, name: annotation.name, tags: annotation.tags }]);
  const inRange = report.find((r) => r.id === "logsift-new-in-range");
  assert.equal(inRange.annotation_shown?.name, annotation.name);
  assert.deepEqual(inRange.annotation_shown?.tags, annotation.tags);
});
