// Unit tests of the Kibana placeholder substitution (node --test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { kibanaQuery, autoInterval, pickProperty } from "./kibana_vega.mjs";

const time = { from: Date.parse("2024-12-10T00:00:00Z"), to: Date.parse("2024-12-11T00:00:00Z") };

test("%context% and %timefield% become a bool query with the time range", () => {
  const q = kibanaQuery({ index: "logs-*", "%context%": true, "%timefield%": "@timestamp", body: { size: 0 } }, time);
  assert.equal(q.index, "logs-*");
  assert.deepEqual(q.body.query.bool.must[1], { range: { "@timestamp": { gte: "2024-12-10T00:00:00.000Z", lte: "2024-12-11T00:00:00.000Z", format: "strict_date_optional_time" } } });
});

test("%autointerval% and %timefilter% are substituted; interval becomes fixed_interval", () => {
  const q = kibanaQuery({ index: "x", body: { query: { range: { t: { "%timefilter%": true } } },
    aggs: { h: { date_histogram: { field: "t", interval: { "%autointerval%": true } } } } } }, time);
  assert.equal(q.body.aggs.h.date_histogram.fixed_interval, "30m");
  assert.equal(q.body.aggs.h.date_histogram.interval, undefined);
  assert.equal(q.body.query.range.t.gte, "2024-12-10T00:00:00.000Z");
  assert.equal(autoInterval(0, 864e5 * 30), "1d");
});

test("unknown placeholders and query with %context% are refused", () => {
  assert.throws(() => kibanaQuery({ index: "x", body: { a: "%dashboard_context-must_clause%" } }, time));
  assert.throws(() => kibanaQuery({ index: "x", "%context_query%": "@timestamp", body: {} }, time));
  assert.throws(() => kibanaQuery({ index: "x", "%context%": true, body: { query: { match_all: {} } } }, time));
});

test("format.property picks nested buckets", () => {
  assert.deepEqual(pickProperty({ aggregations: { a: { buckets: [1, 2] } } }, "aggregations.a.buckets"), [1, 2]);
  assert.equal(pickProperty({}, "aggregations.a.buckets"), undefined);
});
