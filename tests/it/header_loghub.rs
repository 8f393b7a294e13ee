//! Header detection (`logsift::message::header`) on the bundled Loghub samples: each line rebuilt
//! with the header its system wrote (from the header columns of the structured CSV) comes back as
//! exactly its bare content. The system names and layouts here are test data, not settings: the
//! detector itself has one rule set for every log.

use crate::support::loghub_rows;
use logsift::message::header::detect;

type Row = std::collections::HashMap<String, String>;

fn body(line: &str) -> &str {
    detect(line).map_or(line, |d| d.body)
}

/// Every line of the bundled Loghub samples, rebuilt with the header its system wrote (from the
/// header columns of the structured CSV), comes back as exactly the bare content.
#[test]
fn loghub_lines_with_their_real_headers() {
    type Rebuild = fn(&Row) -> String;
    let systems: [(&str, Rebuild); 6] = [
        ("OpenSSH", |r| format!("{} {:>2} {} {} sshd[{}]: ", r["Date"], r["Day"], r["Time"], r["Component"], r["Pid"])),
        ("Linux", |r| {
            let pid = r["PID"].trim_end_matches(".0");
            let prog = if pid.is_empty() { r["Component"].clone() } else { format!("{}[{pid}]", r["Component"]) };
            format!("{} {:>2} {} {} {prog}: ", r["Month"], r["Date"], r["Time"], r["Level"])
        }),
        ("Hadoop", |r| format!("{} {} {} [{}] {}: ", r["Date"], r["Time"], r["Level"], r["Process"], r["Component"])),
        ("Spark", |r| format!("{} {} {} {}: ", r["Date"], r["Time"], r["Level"], r["Component"])),
        ("Zookeeper", |r| {
            format!("{} {} - {:<5} [{}:{}@{}] - ", r["Date"], r["Time"], r["Level"], r["Node"], r["Component"], r["Id"])
        }),
        ("Apache", |r| format!("[{}] [{}] ", r["Time"], r["Level"])),
    ];
    for (system, make) in systems {
        let rows = loghub_rows(system);
        assert_eq!(rows.len(), 2000, "{system}");
        let mut wrong = Vec::new();
        // Kept on purpose (the detector cuts the timestamp only): a program name with a space
        // (`syslogd 1.4.1`, `-- root`: 8 Linux lines) is no syslog header, and a logger name
        // without a dot (`INFO Remoting: `, 2 Spark lines) cannot be told from a message's
        // first word (`ERROR Failed: ...`).
        let kept = |r: &Row| {
            let c = r.get("Component").map_or("", String::as_str);
            c.contains(' ') || (system == "Spark" && !c.contains('.'))
        };
        for r in rows.iter().filter(|r| !kept(r)) {
            let content = &r["Content"];
            let line = format!("{}{content}", make(r));
            if body(&line) != content {
                wrong.push(format!("{line:?} -> {:?}", body(&line)));
            }
        }
        assert!(
            wrong.is_empty(),
            "{system}: {} of 2000 lines lose or keep header text, e.g.\n{}",
            wrong.len(),
            wrong[..wrong.len().min(5)].join("\n")
        );
    }
}
