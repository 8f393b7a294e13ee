//! Header detection on real-format lines (and on messages that must stay whole).

use super::*;

fn body(line: &str) -> &str {
    detect(line).map_or(line, |d| d.body)
}

fn header(line: &str) -> Header<'_> {
    detect(line).unwrap_or_else(|| panic!("no header found in {line:?}")).header
}

#[test]
fn rfc3164_syslog() {
    let l = "Jan 29 11:23:02 user-sicharge sshd[10348]: debug1: inetd sockets after dupping: 3, 3";
    assert_eq!(body(l), "debug1: inetd sockets after dupping: 3, 3");
    let h = header(l);
    assert_eq!(
        (h.timestamp, h.host, h.program, h.pid),
        (Some("Jan 29 11:23:02"), Some("user-sicharge"), Some("sshd"), Some("10348"))
    );
    assert_eq!(body("Dec  1 06:55:46 LabSZ sshd[24200]: Invalid user x"), "Invalid user x");
    assert_eq!(
        body("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown"),
        "check pass; user unknown"
    );
    assert_eq!(body("Jun  9 06:06:20 combo kernel: Linux version 2.6.5-1.358"), "Linux version 2.6.5-1.358");
    assert_eq!(header("Jun  9 06:06:20 combo kernel: x").program, Some("kernel"));
    assert_eq!(body("Mar  3 10:00:00 mail postfix/smtpd[99]: connect from x"), "connect from x");
    assert_eq!(body("Mar  3 10:00:00.123 10.0.0.7 CRON[1]: (root) CMD (run)"), "(root) CMD (run)");
    // Without a host (some templates drop it), when the program has a pid.
    assert_eq!(body("Jan 29 11:23:02 sshd[10348]: Accepted key"), "Accepted key");
    // `<pri>` before the timestamp.
    assert_eq!(body("<34>Oct 11 22:14:15 mymachine su: 'su root' failed"), "'su root' failed");
    assert_eq!(body("<13>Jan 29 11:23:02 host app[7]: x y"), "x y");
}

#[test]
fn rfc3339_syslog_as_rsyslog_writes_it() {
    let l = "2024-01-29T11:23:02.123456+01:00 web-1 nginx[42]: GET / 200";
    assert_eq!(body(l), "GET / 200");
    let h = header(l);
    assert_eq!((h.host, h.program, h.pid), (Some("web-1"), Some("nginx"), Some("42")));
    assert_eq!(body("2024-01-02T03:04:05.123Z web-1 nginx: GET /"), "GET /");
    assert_eq!(body("2024-01-02T03:04:05+0100 h systemd-logind[1]: New session 3"), "New session 3");
}

#[test]
fn rfc5424() {
    let l = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 123 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\\]\" eventID=\"1011\"] An application event log entry";
    assert_eq!(body(l), "An application event log entry");
    let h = header(l);
    assert_eq!((h.host, h.program, h.pid), (Some("mymachine.example.com"), Some("evntslog"), Some("123")));
    assert_eq!(
        body("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed"),
        "'su root' failed"
    );
    assert_eq!(header("<34>1 2003-10-11T22:14:15.003Z h su - ID47 - x").pid, None);
    assert_eq!(body("<34>1 - - - - - [a b=\"c\"][d] \u{feff}text"), "text");
    // Broken structured data: not a header.
    assert!(detect("<34>1 - h a - - [unclosed text").is_none());
}

#[test]
fn log4j_logback_and_friends() {
    // Hadoop: `%d %p [%t] %c: %m`.
    let l = "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1";
    assert_eq!(body(l), "Created MRAppMaster for application appattempt_1");
    let h = header(l);
    assert_eq!((h.level, h.thread), (Some("INFO"), Some("main")));
    assert_eq!(h.logger, Some("org.apache.hadoop.mapreduce.v2.app.MRAppMaster"));
    // logback's default: `%d [%thread] %-5level %logger{36} - %msg`.
    assert_eq!(
        body("2024-01-02 03:04:05.123 [http-nio-8080-exec-1] WARN  o.a.c.Foo - slow request 1200 ms"),
        "slow request 1200 ms"
    );
    // ZooKeeper: `%d - %-5p [%t:%C{1}@%L] - %m`.
    let z = "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200";
    assert_eq!(body(z), "Notification time out: 3200");
    assert_eq!(header(z).thread, Some("QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774"));
    // Spark: `yy/MM/dd HH:mm:ss %p %c{1}: %m`.
    assert_eq!(
        body("17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers"),
        "Registered signal handlers"
    );
    // Kafka: `[%d] %p %m (%c)`.
    assert_eq!(
        body("[2024-01-02 03:04:05,123] INFO [KafkaServer id=0] started (kafka.server.KafkaServer)"),
        "[KafkaServer id=0] started (kafka.server.KafkaServer)"
    );
    // Spring Boot.
    let s = "2024-01-02T03:04:05.123Z  INFO 12345 --- [           main] o.s.b.StartupInfoLogger : Started App in 2.1 seconds";
    assert_eq!(body(s), "Started App in 2.1 seconds");
    assert_eq!(header(s).pid, Some("12345"));
    // Apache / nginx error logs: a bracketed level.
    assert_eq!(
        body("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties"),
        "workerEnv.init() ok /etc/httpd/conf/workers2.properties"
    );
    assert_eq!(
        body("[Sun Dec 04 04:51:18 2005] [error] [client 1.2.3.4] Directory index forbidden"),
        "[client 1.2.3.4] Directory index forbidden"
    );
    assert_eq!(body("2024/01/02 03:04:05 [error] 1234#0: *5 open() failed"), "1234#0: *5 open() failed");
    // An unqualified word after the level is the message's.
    assert_eq!(body("17/06/09 20:10:41 INFO Remoting: Starting remoting"), "Remoting: Starting remoting");
    // A level, then the message (no logger).
    assert_eq!(body("2024-01-02 03:04:05 ERROR Failed: disk full"), "Failed: disk full");
    assert_eq!(body("2024-01-02 03:04:05,001 INFO  [main] Starting"), "[main] Starting");
}

#[test]
fn python_logging() {
    let l = "WARNING:urllib3.connectionpool:Retrying (Retry(total=2)) after connection broken";
    assert_eq!(body(l), "Retrying (Retry(total=2)) after connection broken");
    assert_eq!((header(l).level, header(l).logger), (Some("WARNING"), Some("urllib3.connectionpool")));
    assert_eq!(body("INFO:root:started"), "started");
    // `%(asctime)s - %(name)s - %(levelname)s - %(message)s`
    assert_eq!(body("2024-01-02 03:04:05,123 - myapp.db - ERROR - connection lost"), "connection lost");
    assert_eq!(header("2024-01-02 03:04:05,123 - myapp.db - ERROR - connection lost").logger, Some("myapp.db"));
}

#[test]
fn bare_timestamps() {
    assert_eq!(body("2024-01-02 03:04:05 backup finished in 3 s"), "backup finished in 3 s");
    // Without a pid, an ISO date-time with a space is not vouching for `host program:`.
    assert_eq!(body("2024-01-02 03:04:05 job finished: ok"), "job finished: ok");
    assert_eq!(header("2024-01-02 03:04:05 job finished: ok").program, None);
}

#[test]
fn messages_that_keep_their_text() {
    for m in [
        "mm_answer_pam_respond: Too many PAM messages, got 5, expected <= 3",
        "userauth_pubkey: cannot decode key: ssh-rsa",
        "Invalid user x from 1.2.3.4",
        "INFO starting up",
        "ERROR: something broke",
        "INFO:",
        "DEBUG:no name here",
        "Jan is a name",
        "Jan 29 is a date without a time",
        "2024-01-02 is a date",
        "2024-01-02T03:04:05.123Z",
        "2024-01-02 03:04:05",
        "Jan 29 11:23:02 host sshd[1]:",
        "Jan 29 11:23:02 host sshd[1]:   ",
        "20240102 030405 compact stamps are not recognised",
        "[client 1.2.3.4] File does not exist: /var/www",
        "[INFO] not after a timestamp",
        "<34>no timestamp",
        "<1234>Jan 29 11:23:02 h p: x",
        "12:00:00 a time alone",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326",
        "2024-01-02T03:04:05.123Zjunk glued",
        "",
        "é unicode first",
    ] {
        assert!(detect(m).is_none(), "{m:?} must keep its text: {:?}", detect(m));
    }
}

#[test]
fn body_is_a_suffix_and_never_empty() {
    for l in ["Jan 29 11:23:02 host sshd[10348]: x", "INFO:root:x", "<34>1 - - - - - - x", "2024-01-02 03:04:05 x"] {
        let d = detect(l).unwrap();
        assert_eq!(&l[d.body_start..], d.body);
        assert!(!d.body.is_empty());
    }
}
