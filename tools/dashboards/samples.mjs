// Reads the demo stack's sample inputs (docker/logstash/samples/) into log documents shaped the
// way the Logstash pipeline (docker/logstash/pipeline/logsift.conf) writes them.
import { readFileSync } from "node:fs";
import path from "node:path";

// The grok SYSLOGBASE equivalent (see tests/logstash_pipeline.rs for the same regex).
export const SYSLOG_RE = /^(?<ts>[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}) (?<host>\S+) (?<program>[\w.\/-]+)(?:\[(?<pid>\d+)\])?: (?<message>.*)$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
export const SAMPLE_YEAR = 2024; // the samples carry no year; the pipeline pins the same one

const day = (iso) => iso.slice(0, 10).replaceAll("-", ".");

/** [{index, doc}] for every sample line: sshd into logs-syslog-YYYY.MM.DD, audit into logs-audit-YYYY.MM.DD. */
export function sampleDocs(root) {
  const dir = path.join(root, "docker", "logstash", "samples");
  const out = [];
  for (const line of readFileSync(path.join(dir, "sshd.log"), "utf8").split("\n")) {
    const m = SYSLOG_RE.exec(line);
    if (!m) continue;
    const [mon, d, hms] = m.groups.ts.split(/ +/);
    const ts = new Date(Date.UTC(SAMPLE_YEAR, MONTHS.indexOf(mon), Number(d), ...hms.split(":").map(Number))).toISOString();
    const { host, program, pid, message } = m.groups;
    out.push({ index: `logs-syslog-${day(ts)}`, doc: { "@timestamp": ts, host, program, pid, message } });
  }
  for (const line of readFileSync(path.join(dir, "cloud-audit.ndjson"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const { time, ...ev } = JSON.parse(line);
    out.push({ index: `logs-audit-${day(time)}`, doc: { "@timestamp": time, ...ev } });
  }
  return out;
}
