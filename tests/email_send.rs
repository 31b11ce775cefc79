//! End to end: `costwise report --send` mails the demo report to a real SMTP
//! server on loopback (`scripts/smtp_sink.py`, aiosmtpd), and `costwise send`
//! re-sends a report whose first delivery failed.
//!
//! Needs python3 with aiosmtpd (`scripts/test` installs it); without it these
//! tests fail, they do not skip.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use mailparse::{MailHeaderMap as _, ParsedMail};
use serde_json::Value;

const PASSWORD: &str = "correct-horse-battery-staple-7";
const PASSWORD_VAR: &str = "COSTWISE_TEST_SMTP_PASSWORD";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The sink process; killed when dropped.
struct Sink {
    child: Child,
    port: u16,
    inbox: PathBuf,
}

impl Sink {
    fn start(port: u16, inbox: &Path) -> Sink {
        let status = Command::new("python3").args(["-c", "import aiosmtpd"]).status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "python3 with the aiosmtpd package is required for this test: run scripts/test, or \
             `python3 -m pip install aiosmtpd`"
        );
        let mut child = Command::new("python3")
            .arg(root().join("scripts/smtp_sink.py"))
            .args(["--port", &port.to_string(), "--user", "costwise", "--password-env", PASSWORD_VAR])
            .arg(inbox)
            .env(PASSWORD_VAR, PASSWORD)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start scripts/smtp_sink.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("scripts/smtp_sink.py did not print its port (got {line:?}); see its stderr above")
        });
        Sink { child, port, inbox: inbox.to_owned() }
    }

    /// The raw message and envelope of the `n`-th message received (1-based), waiting for it briefly.
    fn received(&self, n: usize) -> (Vec<u8>, Value) {
        let meta = self.inbox.join(format!("{n}.json"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !meta.exists() {
            assert!(Instant::now() < deadline, "the SMTP sink received no message {n}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let envelope = serde_json::from_str(&std::fs::read_to_string(meta).unwrap()).unwrap();
        (std::fs::read(self.inbox.join(format!("{n}.eml"))).unwrap(), envelope)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The demo's config plus an [email] section for the sink on `port`.
fn write_config(dir: &Path, port: u16) -> PathBuf {
    let demo = std::fs::read_to_string(root().join("fixtures/demo-config.toml")).unwrap();
    let path = dir.join("costwise.toml");
    let email = format!(
        "\n[email]\nfrom = \"costwise <costwise@example.com>\"\nto = [\"pm@example.com\", \"Fin Ops <finops@example.com>\"]\n\
         smtp-host = \"127.0.0.1\"\nsmtp-port = {port}\ntls = \"none\"\nusername = \"costwise\"\npassword-env = \"{PASSWORD_VAR}\"\n"
    );
    std::fs::write(&path, demo + &email).unwrap();
    path
}

fn costwise(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_costwise"))
        .args(args)
        .env(PASSWORD_VAR, PASSWORD)
        .env_remove("RUST_LOG")
        .output()
        .expect("run costwise")
}

fn report(config: &Path, out: &Path) -> Output {
    let snapshot = root().join("fixtures/demo");
    costwise(&[
        "-v",
        "report",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--send",
    ])
}

fn assert_no_password(output: &Output) {
    for stream in [&output.stdout, &output.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(PASSWORD), "the password was printed");
    }
}

/// Asserts the received message is the report in `out`.
fn assert_is_the_report(raw: &[u8], envelope: &Value, out: &Path) {
    let subject =
        serde_json::from_str::<Value>(&std::fs::read_to_string(out.join("email.json")).unwrap()).unwrap()["subject"]
            .as_str()
            .unwrap()
            .to_owned();
    assert!(subject.starts_with("costwise: $") && subject.contains("/month in savings found"), "{subject}");
    assert_eq!(envelope["login"], "costwise");
    assert_eq!(envelope["mail_from"], "costwise@example.com");
    assert_eq!(envelope["rcpt_tos"], serde_json::json!(["pm@example.com", "finops@example.com"]));

    let mail = mailparse::parse_mail(raw).expect("a MIME message");
    let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_else(|| panic!("no {name} header"));
    assert_eq!(header("From"), "costwise <costwise@example.com>");
    assert_eq!(header("To"), "pm@example.com, \"Fin Ops\" <finops@example.com>");
    assert_eq!(header("Subject"), subject);
    assert!(header("Message-ID").ends_with("@example.com>"));
    assert!(!header("Date").is_empty());
    assert_eq!(mail.ctype.mimetype, "multipart/mixed");

    // multipart/mixed = [multipart/alternative [text, html], findings.csv, index.html]
    let types: Vec<&str> = mail.subparts.iter().map(|p| p.ctype.mimetype.as_str()).collect();
    assert_eq!(types, ["multipart/alternative", "text/csv", "text/html"]);
    let alternative = &mail.subparts[0];
    let parts: Vec<&str> = alternative.subparts.iter().map(|p| p.ctype.mimetype.as_str()).collect();
    assert_eq!(parts, ["text/plain", "text/html"], "plain text first, the preferred HTML last");
    let body = |part: &ParsedMail| part.get_body().unwrap().replace("\r\n", "\n");
    assert_eq!(body(&alternative.subparts[0]), std::fs::read_to_string(out.join("email.txt")).unwrap());
    assert_eq!(body(&alternative.subparts[1]), std::fs::read_to_string(out.join("email.html")).unwrap());

    let attachment = |part: &ParsedMail| {
        let disposition = part.get_content_disposition();
        assert_eq!(disposition.disposition, mailparse::DispositionType::Attachment);
        (disposition.params["filename"].clone(), part.get_body_raw().unwrap())
    };
    let (name, csv) = attachment(&mail.subparts[1]);
    assert_eq!(name, "findings.csv");
    assert_eq!(csv, std::fs::read(out.join("findings.csv")).unwrap());
    assert!(String::from_utf8_lossy(&csv).lines().count() > 10, "the demo's findings are in the CSV");
    let (name, page) = attachment(&mail.subparts[2]);
    assert_eq!(name, "costwise-report.html");
    assert_eq!(page, std::fs::read(out.join("index.html")).unwrap());
}

#[test]
fn report_send_mails_the_demo_report() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(0, &dir.path().join("inbox"));
    let config = write_config(dir.path(), sink.port);
    let out = dir.path().join("report");

    let output = report(&config, &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "costwise report --send failed: {stderr}");
    assert!(stderr.contains("sent to pm@example.com, Fin Ops <finops@example.com>"), "{stderr}");
    assert_no_password(&output);

    let (raw, envelope) = sink.received(1);
    assert_is_the_report(&raw, &envelope, &out);
}

#[test]
fn a_failed_send_keeps_the_report_and_costwise_send_delivers_it_later() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), port);
    let out = dir.path().join("report");

    // Nothing listens yet: the report is written, the error names the server, exit code 4.
    let output = report(&config, &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains(&format!("error: e-mail not sent: SMTP server 127.0.0.1:{port} (none)")), "{stderr}");
    assert!(stderr.contains("costwise send --run"), "{stderr}");
    assert_no_password(&output);
    for name in ["index.html", "findings.json", "findings.csv", "email.html", "email.txt", "email.json"] {
        assert!(out.join(name).is_file(), "{name} was not written");
    }

    // With the server up, `costwise send` delivers the written report.
    let sink = Sink::start(port, &dir.path().join("inbox"));
    let output = costwise(&["-v", "send", "--run", out.to_str().unwrap(), "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "costwise send failed: {}", String::from_utf8_lossy(&output.stderr));
    assert_no_password(&output);
    let (raw, envelope) = sink.received(1);
    assert_is_the_report(&raw, &envelope, &out);
}

#[test]
fn config_errors_are_reported_together_and_never_echo_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("costwise.toml");
    std::fs::write(
        &config,
        "[email]\nfrom = \"costwise@example.com\"\nto = []\nsmtp-host = \"smtp.example.com\"\ntls = \"none\"\n\
         password = \"hunter2-literal\"\n",
    )
    .unwrap();
    let output = costwise(&["send", "--run", dir.path().to_str().unwrap(), "--config", config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for needle in ["costwise.toml", "`to` is empty", "loopback", "`password` is not allowed"] {
        assert!(stderr.contains(needle), "missing {needle:?}: {stderr}");
    }
    assert!(!stderr.contains("hunter2-literal"), "{stderr}");
}

#[test]
fn a_scheduled_run_mails_its_report_with_a_link_to_the_run_and_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(0, &dir.path().join("inbox"));
    let config = write_config(dir.path(), sink.port);
    let snapshot = root().join("fixtures/demo");
    let text = format!(
        "{}page-url = \"https://costs.example.com/costwise/{{run}}/index.html\"\n\n[source]\nsnapshot = \"{}\"\n\n\
         [report]\ndir = \"history\"\n",
        std::fs::read_to_string(&config).unwrap(),
        snapshot.display()
    );
    std::fs::write(&config, text).unwrap();

    let output = costwise(&["run", "--config", config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "costwise run failed: {stderr}");
    assert_no_password(&output);
    let run_dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()).parent().unwrap().to_path_buf();
    let run_id = run_dir.file_name().unwrap().to_str().unwrap().to_owned();
    assert_eq!(run_dir.parent().unwrap(), dir.path().join("history"));

    let (raw, envelope) = sink.received(1);
    let message = mailparse::parse_mail(&raw).unwrap();
    let html = message.subparts[0].subparts[1].get_body().unwrap();
    let link = format!("https://costs.example.com/costwise/{run_id}/index.html");
    assert!(html.contains(&link), "the e-mail links to this run's page {link}");
    assert_eq!(message.subparts.len(), 2, "with a link, only the CSV is attached");
    assert_eq!(envelope["rcpt_tos"], serde_json::json!(["pm@example.com", "finops@example.com"]));

    let record: Value = serde_json::from_str(&std::fs::read_to_string(run_dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(record["status"], "complete");
    assert_eq!(record["email"]["sent"], true);
    assert_eq!(record["email"]["to"], serde_json::json!(["pm@example.com", "Fin Ops <finops@example.com>"]));
    assert!(record["email"]["subject"].as_str().unwrap().starts_with("costwise: $1,719/month"), "{record}");
    let index = std::fs::read_to_string(dir.path().join("history/index.html")).unwrap();
    assert!(index.contains("sent to 2"), "the index shows the e-mail went out");
}
