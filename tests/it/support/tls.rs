//! A secured search server for the TLS and auth tests: certificates made at test time with
//! `openssl` (a CA, a server certificate for 127.0.0.1/localhost signed by it, and a second,
//! unrelated CA), and `tls_proxy.py` (HTTPS + Basic/ApiKey check, forwarding to osmem-server)
//! started on a free port and stopped on drop.

use super::{osmem_binary, root};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The `openssl` command line tool (`/usr/bin/openssl`, else the one on `PATH`).
fn openssl() -> PathBuf {
    let fixed = PathBuf::from("/usr/bin/openssl");
    if fixed.exists() {
        return fixed;
    }
    let found = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    assert!(found, "the TLS tests need the `openssl` command line tool (apt-get install openssl)");
    PathBuf::from("openssl")
}

fn run_openssl(dir: &Path, args: &[&str]) {
    let out = Command::new(openssl()).current_dir(dir).args(args).output().expect("run openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Certificates in a temporary directory: `ca` signed `cert`; `other_ca` signed nothing here.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub other_ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        let ca_ext =
            ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"];
        for (name, cn) in [("ca", "logsift test CA"), ("other-ca", "unrelated test CA")] {
            let (key, pem, subj) = (format!("{name}.key"), format!("{name}.pem"), format!("/CN={cn}"));
            let mut args = vec!["req", "-x509", "-days", "2", "-subj", &subj, "-keyout", &key, "-out", &pem];
            args.extend(ec);
            args.extend(ca_ext);
            run_openssl(d, &args);
        }
        let mut args = vec!["req", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"];
        args.extend(ec);
        run_openssl(d, &args);
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\n",
        )
        .unwrap();
        run_openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "server.ext",
                "-out",
                "server.pem",
            ],
        );
        Pki {
            ca: d.join("ca.pem"),
            other_ca: d.join("other-ca.pem"),
            cert: d.join("server.pem"),
            key: d.join("server.key"),
            dir,
        }
    }
}

/// What the proxy accepts: `Basic user:password` and/or `ApiKey api_key`.
pub struct Accept<'a> {
    pub user: &'a str,
    pub password: &'a str,
    pub api_key: &'a str,
}

/// `tls_proxy.py` in front of `upstream`, stopped on drop.
pub struct TlsProxy {
    child: Child,
    /// `https://127.0.0.1:PORT`
    pub url: String,
    log: PathBuf,
}

/// The project's `.venv` python (made by `make venv` through [`osmem_binary`]), else `python3`.
fn python() -> PathBuf {
    let venv = root().join(".venv/bin/python");
    if !venv.exists() {
        osmem_binary();
    }
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

impl TlsProxy {
    pub fn start(upstream: &str, pki: &Pki, accept: &Accept) -> TlsProxy {
        let d = pki.dir.path();
        // Secrets go in files, not on the command line (where `ps` shows them).
        std::fs::write(d.join("proxy-password"), accept.password).unwrap();
        std::fs::write(d.join("proxy-api-key"), accept.api_key).unwrap();
        let log = d.join(format!("proxy-{}.log", super::free_port()));
        let mut child = Command::new(python())
            .arg(root().join("tests/it/support/tls_proxy.py"))
            .args(["--upstream", upstream, "--user", accept.user])
            .arg("--password-file")
            .arg(d.join("proxy-password"))
            .arg("--api-key-file")
            .arg(d.join("proxy-api-key"))
            .arg("--cert")
            .arg(&pki.cert)
            .arg("--key")
            .arg(&pki.key)
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tls_proxy.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("tls_proxy banner");
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("tls_proxy banner `{line}`: {e}"));
        TlsProxy { child, url: v["url"].as_str().unwrap().to_string(), log }
    }

    /// The proxy's event lines so far (`tls-fail <reason>`, `401 GET /`, `200 POST /_bulk`, ...).
    pub fn events(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log).unwrap_or_default().lines().map(String::from).collect()
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
