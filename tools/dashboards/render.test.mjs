// `make test` part for the dashboards: every Vega chart of the bundle, run against data loaded
// into a real test server, renders to a PNG with data marks drawn (node --test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { main, vegaCharts } from "./render.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

test("every Vega chart draws data marks from the logs logsift labelled", { timeout: 600_000 }, async () => {
  const { labelling, drilldown, charts: report } = await main();
  // A dashboard filter on one cluster id narrows the drill-down chart to exactly that cluster.
  assert.equal(drilldown.lines_drawn, drilldown.cluster_count, `drill-down on ${drilldown.cluster_id}`);
  assert.ok(drilldown.lines_drawn < labelling.docs && drilldown.data_items > 0);
  assert.equal(labelling.labelled, labelling.docs, "logsift run --once labelled every sample line");
  assert.ok(labelling.clusters > 10, `${labelling.clusters} clusters`);
  const charts = vegaCharts();
  assert.ok(charts.length >= 5, `${charts.length} Vega charts in the bundle`);
  assert.deepEqual(report.map((r) => r.id).sort(), charts.map((c) => c.id).sort(), "every chart rendered");
  for (const r of report) {
    assert.ok(r.rows > 0, `${r.id}: the query returned no rows`);
    assert.ok(r.data_items > 0, `${r.id}: no data marks drawn`);
    assert.equal(r.data_items_vega_lite_4, r.data_items, `${r.id}: Vega-Lite 4 (Kibana 7.10, OpenSearch Dashboards) draws differently`);
    const png = readFileSync(path.join(ROOT, r.png));
    assert.equal(png.subarray(1, 4).toString(), "PNG", `${r.id}: not a PNG`);
    assert.ok(statSync(path.join(ROOT, r.png)).size > 5000, `${r.id}: suspiciously small PNG`);
  }
});
