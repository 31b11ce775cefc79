//! The report page in a real browser: headless Chromium renders the page the
//! `costwise` binary writes, and a DevTools-protocol session drives the
//! findings table (filters, sorting, the URL hash, reset) the way a person in
//! the cost-review meeting would, checking the page logs no errors and saving
//! screenshots as test artifacts.
//!
//! Needs Chromium in /usr/bin (`apt-get install chromium`; `.ci/run` installs it).
//! Screenshots land in `target/test-artifacts/`, and also in
//! `$COSTWISE_TEST_ARTIFACTS` when that is set.

mod common;

#[path = "../crates/report/tests/support/mod.rs"]
mod support;

use common::{costwise, stderr};
use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use costwise_report::format::money_whole;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// How long any single wait (start-up, a page load, a protocol answer) may take.
const WAIT: Duration = Duration::from_secs(60);

/// The flags every Chromium run gets (issue 7): no sandbox (containers), nothing that talks to the network.
const CHROMIUM_FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Where Chromium is, or a failure that says how to get it.
fn chromium() -> PathBuf {
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] {
        if Path::new(candidate).is_file() {
            return candidate.into();
        }
    }
    panic!(
        "headless Chromium is required for the browser tests but was not found in /usr/bin. \
         Install it with `apt-get update && apt-get install -y chromium` (scripts/test does this when run as root)."
    );
}

/// Runs headless Chromium on `page` with a time limit; returns its stdout.
fn run_chromium(profile: &Path, extra: &[String], page: &Path) -> String {
    let mut child = Command::new(chromium())
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    // Read stdout while waiting: a DOM dump larger than the pipe's buffer would otherwise block Chromium's
    // write, and it would never exit.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        text
    });
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    String::from_utf8_lossy(&reader.join().expect("stdout reader")).into_owned()
}

/// Where screenshots are kept after the test: `<target>/test-artifacts`.
fn artifacts_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| manifest.join("target"), |t| manifest.join(t));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Keeps `bytes` as `name` in the artifacts directory and in `$COSTWISE_TEST_ARTIFACTS` when set.
fn keep_artifact(name: &str, bytes: &[u8]) -> PathBuf {
    let path = artifacts_dir().join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    if let Some(extra) = std::env::var_os("COSTWISE_TEST_ARTIFACTS") {
        let extra = PathBuf::from(extra);
        std::fs::create_dir_all(&extra).unwrap();
        std::fs::copy(&path, extra.join(name)).unwrap();
    }
    path
}

/// Asserts `png` is a PNG of `width` × `height` pixels with real content.
fn assert_png(png: &[u8], width: u32, height: u32, min_bytes: usize) {
    assert!(png.len() > 24 && png[..8] == *b"\x89PNG\r\n\x1a\n", "not a PNG");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (width, height), "screenshot size");
    // A blank or error page compresses to a few KB; the report has text, tables and charts.
    assert!(png.len() > min_bytes, "screenshot is suspiciously small ({} bytes)", png.len());
}

#[test]
fn the_page_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snapshot");
    support::write_tiny_snapshot(&snap);
    let out_dir = dir.path().join("out");
    let out =
        costwise(&["report", "--snapshot", snap.to_str().unwrap(), "--out", out_dir.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = out_dir.join("index.html").canonicalize().unwrap();
    // Kept first, so a page that hangs the browser can be looked at.
    keep_artifact("index.html", &std::fs::read(&page).unwrap());

    let dom = run_chromium(&dir.path().join("profile-dom"), &["--dump-dom".to_owned()], &page);
    assert!(dom.contains("Potential savings"), "headline missing from the rendered DOM:\n{dom}");
    assert!(dom.contains("$28/month"), "savings missing from the rendered DOM");
    assert!(dom.contains("vol-0bbb2222"), "finding missing from the rendered DOM");
    assert!(dom.contains("<svg class=\"trend\""), "trend chart missing from the rendered DOM");
    assert!(dom.contains("<svg class=\"cbars\""), "category chart missing from the rendered DOM");
    // The script ran: it fills the status line (the page itself ships it empty).
    assert!(dom.contains("Showing 4 of 4 findings · $28/month"), "the findings script did not run:\n{dom}");

    let shot = dir.path().join("report.png");
    run_chromium(
        &dir.path().join("profile-shot"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".to_owned(),
            "--hide-scrollbars".to_owned(),
        ],
        &page,
    );
    let png = std::fs::read(&shot).expect("chromium wrote a screenshot");
    keep_artifact("report.png", &png);
    assert_png(&png, 1280, 2000, 40_000);
}

/// A running headless Chromium with remote debugging; killed when dropped, even when a test fails.
struct Browser {
    child: Child,
    profile: PathBuf,
    log: PathBuf,
}

impl Browser {
    /// Starts Chromium with a fresh profile in `profile` and the DevTools server on a free port.
    fn start(profile: &Path) -> Browser {
        std::fs::create_dir_all(profile).unwrap();
        let log = profile.with_extension("log");
        let child = Command::new(chromium())
            .args(CHROMIUM_FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--remote-debugging-port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .expect("chromium starts");
        Browser { child, profile: profile.to_owned(), log }
    }

    /// The end of Chromium's own log, for failure messages.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// The DevTools port Chromium chose, from `<profile>/DevToolsActivePort` (port, then the browser's path).
    fn port(&mut self) -> u16 {
        let file = self.profile.join("DevToolsActivePort");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&file)
                && text.lines().count() >= 2
                && let Some(port) = text.lines().next().and_then(|line| line.trim().parse().ok())
            {
                return port;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("chromium exited ({status}) before opening its DevTools port; its log:\n{}", self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "chromium did not write {} within {} s; its log:\n{}",
                file.display(),
                WAIT.as_secs(),
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A DevTools session on a page target (the start-up tab, or a new one).
    fn page_session(&mut self) -> DevTools {
        let port = self.port();
        let targets = http_json(port, "GET", "/json/list");
        let page = targets.as_array().and_then(|t| t.iter().find(|t| t["type"] == "page")).cloned();
        let page = page.unwrap_or_else(|| http_json(port, "PUT", "/json/new?about:blank"));
        let url = page["webSocketDebuggerUrl"].as_str().unwrap_or_else(|| panic!("no websocket for target {page}"));
        DevTools::connect(port, url)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request to Chromium's DevTools HTTP endpoint; the JSON body of its 200 answer.
fn http_json(port: u16, method: &str, path: &str) -> Value {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the DevTools port");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = Vec::new();
    let mut chunk = [0_u8; 8192];
    let body = loop {
        let n = stream.read(&mut chunk).unwrap_or_else(|e| panic!("no answer to {method} {path} within 60 s: {e}"));
        response.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&response);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            assert!(head.starts_with("HTTP/1.1 200"), "{method} {path}: {head}");
            let length = head
                .lines()
                .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
                .map(|(_, v)| v.trim().parse::<usize>().unwrap());
            if length.is_some_and(|len| body.len() >= len) || (length.is_none() && n == 0) {
                break body.to_owned();
            }
        }
        assert!(n > 0, "{method} {path}: the connection closed mid-answer");
    };
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method} {path}: {e} in {body}"))
}

/// A DevTools-protocol connection to one page: commands, buffered events, and the errors the page logged.
struct DevTools {
    socket: WebSocket<TcpStream>,
    next_id: u64,
    events: VecDeque<Value>,
    errors: Vec<String>,
}

impl DevTools {
    fn connect(port: u16, url: &str) -> DevTools {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the DevTools websocket");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let (socket, _) = tungstenite::client(url, stream).unwrap_or_else(|e| panic!("websocket handshake: {e}"));
        // From here on reads wake up every 250 ms so that every wait can check its own deadline.
        socket.get_ref().set_read_timeout(Some(Duration::from_millis(250))).unwrap();
        DevTools { socket, next_id: 1, events: VecDeque::new(), errors: Vec::new() }
    }

    /// The next message, or a panic naming what we waited for once `deadline` has passed.
    fn receive(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        loop {
            match self.socket.read() {
                Ok(Message::Text(text)) => {
                    return serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad DevTools message: {e}"));
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
                {
                    assert!(
                        Instant::now() < deadline,
                        "timed out after {} s waiting for {waiting_for}",
                        WAIT.as_secs()
                    );
                }
                Err(e) => panic!("the DevTools connection failed while waiting for {waiting_for}: {e}"),
            }
        }
    }

    /// Files an event: remembers the page's errors and keeps it for [`DevTools::wait_for`].
    fn note(&mut self, event: Value) {
        let params = &event["params"];
        let error = match event["method"].as_str().unwrap_or_default() {
            "Runtime.exceptionThrown" => {
                let details = &params["exceptionDetails"];
                Some(format!(
                    "uncaught exception: {}",
                    details["exception"]["description"].as_str().or(details["text"].as_str()).unwrap_or_default()
                ))
            }
            "Runtime.consoleAPICalled" if params["type"] == "error" || params["type"] == "assert" => {
                let args: Vec<String> = params["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| match (a["value"].as_str(), a["description"].as_str()) {
                        (Some(text), _) | (None, Some(text)) => text.to_owned(),
                        (None, None) => a["value"].to_string(),
                    })
                    .collect();
                Some(format!("console.{}: {}", params["type"].as_str().unwrap_or_default(), args.join(" ")))
            }
            "Log.entryAdded" if params["entry"]["level"] == "error" => Some(format!(
                "log: {} ({})",
                params["entry"]["text"].as_str().unwrap_or_default(),
                params["entry"]["url"].as_str().unwrap_or_default()
            )),
            _ => None,
        };
        self.errors.extend(error);
        self.events.push_back(event);
    }

    /// Sends a command and waits for its result, filing the events that arrive meanwhile.
    fn call(&mut self, method: &str, params: &Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({ "id": id, "method": method, "params": params }).to_string();
        self.socket.send(Message::text(message)).unwrap_or_else(|e| panic!("sending {method}: {e}"));
        let deadline = Instant::now() + WAIT;
        loop {
            let message = self.receive(deadline, method);
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{method} failed: {}", message["error"]);
                return message["result"].clone();
            }
            self.note(message);
        }
    }

    /// Waits for the next `method` event (one that arrived already counts).
    fn wait_for(&mut self, method: &str) -> Value {
        if let Some(at) = self.events.iter().position(|e| e["method"] == method) {
            return self.events.remove(at).unwrap();
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let message = self.receive(deadline, method);
            let wanted = message["method"] == method;
            self.note(message);
            if wanted {
                return self.events.pop_back().unwrap();
            }
        }
    }

    /// Forgets the buffered `method` events.
    fn discard(&mut self, method: &str) {
        self.events.retain(|e| e["method"] != method);
    }

    /// Opens `url` and waits until it has loaded.
    fn navigate(&mut self, url: &str) {
        self.discard("Page.loadEventFired");
        let result = self.call("Page.navigate", &json!({ "url": url }));
        assert!(result.get("errorText").is_none(), "navigating to {url}: {}", result["errorText"]);
        self.wait_for("Page.loadEventFired");
    }

    /// Reloads the page (keeping its URL, hash included) and waits until it has loaded.
    fn reload(&mut self) {
        self.discard("Page.loadEventFired");
        self.call("Page.reload", &json!({}));
        self.wait_for("Page.loadEventFired");
    }

    /// Runs `expression` in the page and returns its value; an exception fails the test.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            &json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        assert!(result.get("exceptionDetails").is_none(), "`{expression}` threw: {}", result["exceptionDetails"]);
        result["result"]["value"].clone()
    }

    /// Sets a filter control's value and fires the event a person's edit would.
    fn set(&mut self, id: &str, value: &str, event: &str) {
        self.eval(&format!(
            "(() => {{ const el = document.getElementById({id}); el.value = {value}; \
             el.dispatchEvent(new Event({event}, {{ bubbles: true }})); }})()",
            id = json!(id),
            value = json!(value),
            event = json!(event),
        ));
    }

    /// Clicks the element matching `selector`.
    fn click(&mut self, selector: &str) {
        self.eval(&format!("document.querySelector({}).click()", json!(selector)));
    }

    /// What the findings list shows right now.
    fn shown(&mut self) -> Shown {
        let value = self.eval(
            "(() => { \
               const sorted = document.querySelectorAll('#findings-list [aria-sort]'); \
               return { \
                 rows: Array.from(document.querySelectorAll('#findings-list details.finding')) \
                   .filter((el) => !el.hidden && el.offsetParent !== null) \
                   .map((el) => ({ id: el.id, risk: el.dataset.risk, savings: parseFloat(el.dataset.savings) })), \
                 status: document.getElementById('findings-status').textContent, \
                 hash: location.hash, \
                 sort: Array.from(sorted).map((h) => h.dataset.sort + ' ' + h.getAttribute('aria-sort')).join(', '), \
                 none: !document.getElementById('findings-none').hidden, \
               }; })()",
        );
        Shown {
            ids: value["rows"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect(),
            risks: value["rows"].as_array().unwrap().iter().map(|r| r["risk"].as_str().unwrap().to_owned()).collect(),
            savings: value["rows"].as_array().unwrap().iter().map(|r| r["savings"].as_f64().unwrap()).collect(),
            status: value["status"].as_str().unwrap().to_owned(),
            hash: value["hash"].as_str().unwrap().to_owned(),
            sort: value["sort"].as_str().unwrap().to_owned(),
            empty_note: value["none"].as_bool().unwrap(),
        }
    }

    /// A PNG of the page area `clip` (`{x, y, width, height}` in CSS pixels).
    fn screenshot(&mut self, clip: &Value) -> Vec<u8> {
        let mut clip = clip.clone();
        clip["scale"] = json!(1);
        let result = self
            .call("Page.captureScreenshot", &json!({ "format": "png", "clip": clip, "captureBeyondViewport": true }));
        base64_decode(result["data"].as_str().expect("screenshot data"))
    }

    /// Fails with every error the page logged so far.
    fn assert_no_errors(&self, when: &str) {
        assert!(self.errors.is_empty(), "the page logged errors {when}:\n{}", self.errors.join("\n"));
    }
}

/// The findings list as the browser shows it.
#[derive(Debug)]
struct Shown {
    ids: Vec<String>,
    risks: Vec<String>,
    savings: Vec<f64>,
    status: String,
    hash: String,
    sort: String,
    empty_note: bool,
}

/// Standard base64 (the screenshot), padding optional.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => u32::from(c - b'A'),
        b'a'..=b'z' => u32::from(c - b'a') + 26,
        b'0'..=b'9' => u32::from(c - b'0') + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {:?}", char::from(c)),
    };
    let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let bits = chunk.iter().enumerate().fold(0_u32, |acc, (i, c)| acc | (value(*c) << (18 - 6 * i)));
        out.extend_from_slice(&bits.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// One finding of `findings.json`, with what the page needs to know about it.
struct Expected {
    category: String,
    account: String,
    region: String,
    risk: String,
    savings: f64,
    counted: bool,
    /// Rule, resource id, name and title, lower case: what the search box looks at.
    text: String,
}

/// One of a finding's filterable values.
type Field = fn(&Expected) -> &str;

/// The findings of the demo report, in the page's order, and whether each counts towards the headline.
fn expected_findings(doc: &Value) -> Vec<Expected> {
    let skipped: HashSet<(String, String, String)> = doc["overlaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let field = |k: &str| o[k].as_str().unwrap().to_owned();
            (field("account_id"), field("resource_id"), field("skipped_rule"))
        })
        .collect();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let field = |k: &str| f[k].as_str().unwrap().to_owned();
            Expected {
                category: field("category"),
                account: field("account_id"),
                region: f["region"].as_str().unwrap_or("global").to_owned(),
                risk: field("risk"),
                savings: f["monthly_savings"].as_f64().unwrap(),
                counted: !skipped.contains(&(field("account_id"), field("resource_id"), field("rule"))),
                text: [&f["rule"], &f["resource_id"], &f["resource_name"], &f["title"]]
                    .iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase(),
            }
        })
        .collect()
}

/// The status line for the findings `keep` selects: "Showing N of M findings · $X/month", as Rust formats money.
fn status_line(findings: &[Expected], keep: impl Fn(&Expected) -> bool) -> String {
    let shown: Vec<&Expected> = findings.iter().filter(|f| keep(f)).collect();
    let savings: f64 = shown.iter().filter(|f| f.counted).map(|f| f.savings).sum();
    format!("Showing {} of {} findings · {}/month", shown.len(), findings.len(), money_whole(savings))
}

#[test]
fn the_findings_table_filters_sorts_and_keeps_its_state_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let out = costwise(&["demo", "--out", report.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = report.join("index.html").canonicalize().unwrap();
    let url = format!("file://{}", page.display());
    let doc: Value = serde_json::from_slice(&std::fs::read(report.join("findings.json")).unwrap()).unwrap();
    let findings = expected_findings(&doc);
    let total = findings.len();
    assert!(total > 20, "the demo has plenty of findings ({total})");

    let mut browser = Browser::start(&dir.path().join("profile"));
    let mut page = browser.page_session();
    page.call("Runtime.enable", &json!({}));
    page.call("Log.enable", &json!({}));
    page.call("Page.enable", &json!({}));
    page.call(
        "Emulation.setDeviceMetricsOverride",
        &json!({ "width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
    );
    page.navigate(&url);
    page.assert_no_errors("while loading");

    // Unfiltered: every finding, biggest saving first, and the page's own headline figure.
    let all = page.shown();
    assert_eq!(all.ids.len(), total);
    assert_eq!(all.status, status_line(&findings, |_| true));
    let headline = page.eval("document.querySelector('#headline strong').textContent");
    assert_eq!(Some(all.status.rsplit(" · ").next().unwrap()), headline.as_str(), "status line vs headline");
    assert_eq!(all.sort, "savings descending");
    assert_eq!(all.hash, "", "the default view has no hash");
    assert!(all.savings.windows(2).all(|w| w[0] >= w[1]), "biggest savings first: {:?}", all.savings);

    // Risk: exactly the non-disruptive findings, their counted savings, and a shareable hash.
    page.set("filter-risk", "non-disruptive", "change");
    let safe = page.shown();
    let expected_safe = findings.iter().filter(|f| f.risk == "non-disruptive").count();
    assert!(expected_safe > 0 && expected_safe < total, "the demo mixes risks");
    assert_eq!(safe.ids.len(), expected_safe);
    assert!(safe.risks.iter().all(|r| r == "non-disruptive"), "{:?}", safe.risks);
    assert_eq!(safe.status, status_line(&findings, |f| f.risk == "non-disruptive"));
    assert_eq!(safe.hash, "#risk=non-disruptive");

    // Every other select, one value at a time, matches findings.json.
    page.set("filter-risk", "", "change");
    let selects: [(&str, Field); 4] = [
        ("category", |f| f.category.as_str()),
        ("account", |f| f.account.as_str()),
        ("region", |f| f.region.as_str()),
        ("risk", |f| f.risk.as_str()),
    ];
    for (name, field) in selects {
        let id = format!("filter-{name}");
        let mut values: Vec<&str> = findings.iter().map(field).collect();
        values.sort_unstable();
        values.dedup();
        let options = page.eval(&format!(
            "Array.from(document.getElementById('{id}').options).map((o) => o.value).filter(Boolean).sort()"
        ));
        assert_eq!(options, json!(values), "{name} options");
        for value in values {
            page.set(&id, value, "change");
            let shown = page.shown();
            assert_eq!(shown.status, status_line(&findings, |f| field(f) == value), "{name} = {value}");
            assert_eq!(shown.ids.len(), findings.iter().filter(|f| field(f) == value).count(), "{name} = {value}");
        }
        page.set(&id, "", "change");
    }

    // Minimum savings: $100 and $50 a month (whatever the demo has above them), alone and with the risk filter.
    for min in [100.0, 50.0] {
        page.set("filter-min", &min.to_string(), "input");
        let shown = page.shown();
        let expected = findings.iter().filter(|f| f.savings >= min).count();
        assert_eq!(shown.ids.len(), expected, "min {min}");
        assert_eq!(shown.status, status_line(&findings, |f| f.savings >= min));
        assert!(shown.savings.iter().all(|s| *s >= min), "{:?}", shown.savings);
        assert_eq!(shown.empty_note, expected == 0, "the 'no finding matches' note");
        assert_eq!(shown.hash, format!("#min={min}"));
    }
    page.set("filter-risk", "non-disruptive", "change");
    let both = |f: &Expected| f.risk == "non-disruptive" && f.savings >= 50.0;
    let shown = page.shown();
    assert_eq!(shown.status, status_line(&findings, both));
    assert_eq!(shown.ids.len(), findings.iter().filter(|f| both(f)).count());
    assert!(!shown.ids.is_empty(), "the demo has non-disruptive findings saving $50 or more");

    // Sorting: a click on "Saves/mo" turns the default (descending) into ascending.
    page.click("#findings-list [data-sort='savings'] button");
    let ascending = page.shown();
    assert_eq!(ascending.sort, "savings ascending");
    assert_eq!(ascending.ids.len(), shown.ids.len(), "sorting keeps the filter");
    let smallest = ascending.savings.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(ascending.savings[0], smallest, "smallest first: {:?}", ascending.savings);
    assert!(ascending.savings.windows(2).all(|w| w[0] <= w[1]), "{:?}", ascending.savings);
    assert_eq!(ascending.hash, "#risk=non-disruptive&min=50&sort=savings-asc");

    // Reloading the shared link restores the filters and the sort order.
    page.reload();
    let restored = page.shown();
    assert_eq!(restored.ids, ascending.ids);
    assert_eq!(restored.status, ascending.status);
    assert_eq!(restored.sort, "savings ascending");
    assert_eq!(restored.hash, ascending.hash);
    let controls = page.eval(
        "[document.getElementById('filter-risk').value, document.getElementById('filter-min').value, \
          getComputedStyle(document.getElementById('findings-controls')).display]",
    );
    assert_eq!(controls[0], "non-disruptive");
    assert_eq!(controls[1], "50");
    assert_ne!(controls[2], "none", "the controls are shown when the script runs");

    // Screenshot of the filtered findings (the controls, the status line and the first rows).
    let clip = page.eval(
        "(() => { const r = document.getElementById('findings').getBoundingClientRect(); \
           return { x: Math.round(r.left + scrollX), y: Math.round(r.top + scrollY), \
                    width: Math.round(r.width), height: Math.min(1400, Math.round(r.height)) }; })()",
    );
    let png = page.screenshot(&clip);
    let path = keep_artifact("report-filtered.png", &png);
    let size = |k: &str| u32::try_from(clip[k].as_u64().unwrap()).unwrap();
    assert_png(&png, size("width"), size("height"), 20_000);
    assert!(path.is_file());

    // Opening a link with a hash restores it as well.
    page.navigate("about:blank");
    page.navigate(&format!("{url}#category=storage&q=gp2"));
    let linked = page.shown();
    assert_eq!(
        page.eval("[document.getElementById('filter-category').value, document.getElementById('filter-q').value]"),
        json!(["storage", "gp2"])
    );
    let storage_gp2 = |f: &Expected| f.category == "storage" && f.text.contains("gp2");
    assert_eq!(linked.status, status_line(&findings, storage_gp2));
    assert_eq!(linked.ids.len(), findings.iter().filter(|f| storage_gp2(f)).count());
    assert!(!linked.ids.is_empty() && linked.ids.len() < total, "{linked:?}");

    // Following a link to a finding the filters hide (the action plan links every finding) clears the filters
    // and opens the finding.
    page.set("filter-risk", "needs-testing", "change");
    let href = page.eval(
        "(() => { const link = Array.from(document.querySelectorAll('a[href^=\"#finding-\"]')) \
            .find((a) => document.getElementById(a.getAttribute('href').slice(1)).hidden); \
          return link ? link.getAttribute('href') : null; })()",
    );
    let href = href.as_str().expect("a link to a finding that the risk filter hides");
    page.eval(&format!(
        "new Promise((done) => {{ addEventListener('hashchange', () => done(), {{ once: true }}); \
           document.querySelector({}).click(); }})",
        json!(format!("a[href=\"{href}\"]"))
    ));
    let followed = page.shown();
    assert_eq!(followed.ids.len(), total, "following {href} clears the filters");
    assert_eq!(followed.hash, href);
    assert_eq!(page.eval(&format!("document.getElementById({}).open", json!(&href[1..]))), json!(true));

    // Reset shows everything again; the sort order is not a filter and stays.
    page.click("#findings-list [data-sort='cost'] button");
    page.click("#filter-reset");
    let reset = page.shown();
    assert_eq!(reset.ids.len(), total);
    assert_eq!(reset.status, status_line(&findings, |_| true));
    assert_eq!(reset.sort, "cost descending");
    assert_eq!(reset.hash, "#sort=cost-desc");
    assert!(!reset.empty_note);

    // A finding links to its rule's documentation in "Checks run", which the link opens.
    page.eval(
        "new Promise((done) => { addEventListener('hashchange', () => done(), { once: true }); \
           document.querySelector('#finding-1 a[href^=\"#rule-\"]').click(); })",
    );
    let rule_doc = page.eval(
        "(() => { const row = document.getElementById(location.hash.slice(1)); \
           const doc = row.querySelector('details.ruledoc'); \
           return [location.hash, doc.open, doc.querySelectorAll('h5').length]; })()",
    );
    assert_eq!(rule_doc[0], json!(format!("#rule-{}", doc["findings"][0]["rule"].as_str().unwrap())));
    assert_eq!(rule_doc[1], json!(true), "the rule's documentation is open");
    assert!(rule_doc[2].as_u64().unwrap() >= 3, "what it finds, why it costs money, how savings are estimated");

    // Every remediation block gets a copy button that copies exactly the block's text.
    let copy = page.eval(
        "(async () => { const pres = document.querySelectorAll('.fbody pre'); \
           const buttons = document.querySelectorAll('.fbody pre > button.copy'); \
           const code = buttons[0].parentElement.querySelector('code').textContent; \
           let copied = null; \
           navigator.clipboard.writeText = (text) => { copied = text; return Promise.resolve(); }; \
           buttons[0].click(); await new Promise((r) => setTimeout(r, 50)); \
           return [pres.length, buttons.length, copied === code, buttons[0].textContent]; })()",
    );
    assert!(copy[0].as_u64().unwrap() > 0, "{copy}");
    assert_eq!(copy[1], copy[0], "one copy button per block");
    assert_eq!(copy[2], json!(true), "the button copies the block's text");
    assert_eq!(copy[3], json!("Copied"));

    // On a phone the header turns into a row of sort buttons and nothing overflows sideways.
    page.call(
        "Emulation.setDeviceMetricsOverride",
        &json!({ "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true }),
    );
    let phone = page.eval(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth, \
          document.querySelector(\"#findings-list [data-sort='risk'] button\").getBoundingClientRect().width]",
    );
    assert!(phone[0].as_f64().unwrap() <= phone[1].as_f64().unwrap(), "the page scrolls sideways on a phone: {phone}");
    assert!(phone[2].as_f64().unwrap() > 0.0, "sort buttons are visible on a phone");
    let clip = page.eval(
        "(() => { const r = document.getElementById('findings').getBoundingClientRect(); \
           return { x: 0, y: Math.round(r.top + scrollY), width: 390, height: 1200 }; })()",
    );
    keep_artifact("report-phone.png", &page.screenshot(&clip));
    page.assert_no_errors("while filtering and sorting");

    // Without JavaScript the page lists every finding and shows no dead controls.
    page.call("Emulation.setScriptExecutionDisabled", &json!({ "value": true }));
    page.navigate("about:blank");
    page.navigate(&url);
    let static_page = page.eval(
        "[Array.from(document.querySelectorAll('#findings-list details.finding')) \
            .filter((el) => el.offsetParent !== null).length, \
          getComputedStyle(document.getElementById('findings-controls')).display, \
          document.getElementById('findings-status').textContent]",
    );
    assert_eq!(static_page, json!([total, "none", ""]), "the page without its script");
}
