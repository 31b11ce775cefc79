//! `costwise collect` against a real AWS emulator: `moto_server` (PyPI
//! `moto[server]`, installed by scripts/test) on loopback, populated by
//! `scripts/moto_populate.py` with boto3. The collected snapshot is checked
//! table by table, then analyzed; a fault-injecting proxy in front of the
//! emulator denies one call in one region to check that the failure becomes a
//! gap, the exit code says "partial", and nothing else is lost.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use costwise_analyzer::{Dataset, Table};
use polars::prelude::*;
use serde_json::Value;

/// moto's account id for any credentials.
const ACCOUNT: &str = "123456789012";
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A running moto_server; killed on drop.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server runs (scripts/test installs it: python3 -m pip install 'moto[server]')");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "moto_server did not listen on {port} within 60 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        Moto { child, port }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Plants the estate of scripts/moto_populate.py in `REGIONS`; returns what it planted, by region.
    fn populate(&self) -> Value {
        let output = Command::new("python3")
            .arg(root().join("scripts/moto_populate.py"))
            .arg(self.endpoint())
            .args(REGIONS)
            .output()
            .expect("python3 runs");
        assert!(output.status.success(), "moto_populate.py failed: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `costwise collect` with fake credentials and nothing from the user's own AWS configuration.
fn collect(endpoint: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["collect", "--out", out.to_str().unwrap(), "--endpoint-url", endpoint, "--regions"];
    let regions = REGIONS.join(",");
    args.push(&regions);
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_costwise"))
        .args(&args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("RUST_LOG")
        .output()
        .expect("the costwise binary runs")
}

fn strings(dataset: &Dataset, table: Table, column: &str) -> Vec<String> {
    let df = dataset.table(table).unwrap().collect().unwrap();
    let mut values: Vec<String> =
        df.column(column).unwrap().str().unwrap().iter().map(|v| v.unwrap_or_default().to_owned()).collect();
    values.sort();
    values
}

fn planted_ids(planted: &Value, key: &str) -> Vec<String> {
    let mut ids: Vec<String> = REGIONS.iter().map(|r| planted[r][key].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

#[test]
fn collect_reads_every_region_and_the_analysis_finds_the_planted_waste() {
    let moto = Moto::start();
    let planted = moto.populate();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot");
    let dumps = dir.path().join("dumps");

    let output = collect(&moto.endpoint(), &out, &["--keep-dumps", dumps.to_str().unwrap()]);
    let stderr = common::stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(common::stdout(&output).trim(), out.to_str().unwrap());
    assert!(stderr.contains(&format!("Collected account {ACCOUNT} in 2 region(s)")), "{stderr}");

    let dataset = Dataset::open(&out).unwrap();
    let manifest = dataset.manifest();
    assert_eq!(serde_json::to_value(manifest.source.kind).unwrap(), "collect");
    assert_eq!(manifest.accounts.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [ACCOUNT]);
    let mut regions = manifest.regions.clone();
    regions.sort();
    assert_eq!(regions, ["eu-west-1", "us-east-1"]);

    let mut instances: Vec<String> = REGIONS
        .iter()
        .flat_map(|r| planted[r]["instances"].as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_owned()))
        .collect();
    instances.sort();
    assert_eq!(strings(&dataset, Table::Instances, "instance_id"), instances);
    let states = dataset
        .table(Table::Instances)
        .unwrap()
        .filter(col("state").eq(lit("stopped")))
        .select([col("instance_id")])
        .collect()
        .unwrap();
    assert_eq!(states.height(), 2, "one stopped instance per region");
    let volumes = strings(&dataset, Table::Volumes, "volume_id");
    for id in planted_ids(&planted, "gp2_volume").into_iter().chain(planted_ids(&planted, "unattached_volume")) {
        assert!(volumes.contains(&id), "{id} missing from {volumes:?}");
    }
    // The planted snapshots, plus the one backing each registered AMI's root device.
    let snapshots = strings(&dataset, Table::Snapshots, "snapshot_id");
    assert_eq!(snapshots.len(), 4, "{snapshots:?}");
    assert!(planted_ids(&planted, "snapshot").iter().all(|id| snapshots.contains(id)), "{snapshots:?}");
    assert_eq!(strings(&dataset, Table::Images, "image_id"), planted_ids(&planted, "image"));
    assert_eq!(strings(&dataset, Table::Addresses, "allocation_id"), planted_ids(&planted, "allocation"));
    let names = strings(&dataset, Table::Volumes, "name");
    assert!(names.contains(&"db-data-eu-west-1".to_owned()), "Name tags become names: {names:?}");
    // The raw replies are kept as AWS CLI dumps that `costwise import` reads.
    for region in REGIONS {
        assert!(dumps.join(ACCOUNT).join(region).join("describe-volumes.json").is_file());
    }

    let analysis = common::costwise(&["analyze", "--snapshot", out.to_str().unwrap(), "--format", "json"], dir.path());
    assert!(analysis.status.code() == Some(0) || analysis.status.code() == Some(3), "{}", common::stderr(&analysis));
    let doc: Value = serde_json::from_slice(&analysis.stdout).unwrap();
    let found = |rule: &str| -> Vec<String> {
        let mut ids: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["resource_id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    // Every gp2 volume: the planted ones and the 8 GiB gp2 root volumes moto gives each instance.
    let gp2 = dataset
        .table(Table::Volumes)
        .unwrap()
        .filter(col("volume_type").eq(lit("gp2")))
        .select([col("volume_id")])
        .collect()
        .unwrap();
    let mut gp2: Vec<String> =
        gp2.column("volume_id").unwrap().str().unwrap().iter().map(|v| v.unwrap().to_owned()).collect();
    gp2.sort();
    assert_eq!(found("gp2-to-gp3"), gp2);
    assert!(planted_ids(&planted, "gp2_volume").iter().all(|id| gp2.contains(id)), "{gp2:?}");
    let idle_ips = found("idle-elastic-ip");
    let planted_ips: Vec<String> =
        planted_ids(&planted, "address").into_iter().chain(planted_ids(&planted, "allocation")).collect();
    assert_eq!(idle_ips.len(), 2, "{idle_ips:?}");
    assert!(idle_ips.iter().all(|id| planted_ips.contains(id)), "idle IPs {idle_ips:?}, planted {planted_ips:?}");
}

/// A proxy in front of moto that answers `action` in `region` with EC2's UnauthorizedOperation (403) and
/// forwards everything else. One request per connection.
fn deny_proxy(upstream: u16, region: &'static str, action: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = relay(client, upstream, region, action);
            });
        }
    });
    port
}

fn relay(mut client: TcpStream, upstream: u16, region: &str, action: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut length = 0;
    let mut scope = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("authorization:") {
            scope.clone_from(&line);
        }
        if lower.starts_with("connection:") {
            continue;
        }
        if line == "\r\n" {
            head.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        head.extend_from_slice(line.as_bytes());
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let denied = scope.contains(&format!("/{region}/ec2/")) && String::from_utf8_lossy(&body).contains(action);
    if denied {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code>\
             <Message>You are not authorized to perform this operation. ({action} in {region})</Message></Error></Errors>\
             <RequestID>costwise-test</RequestID></Response>"
        );
        write!(
            client,
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
            xml.len()
        )?;
        return Ok(());
    }
    let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
    server.write_all(&head)?;
    server.write_all(&body)?;
    let mut reply = Vec::new();
    server.read_to_end(&mut reply)?;
    client.write_all(&reply)
}

#[test]
fn a_call_denied_in_one_region_is_a_gap_and_everything_else_is_kept() {
    let moto = Moto::start();
    let planted = moto.populate();
    let proxy = deny_proxy(moto.port, "eu-west-1", "Action=DescribeVolumes");
    let dir = tempfile::tempdir().unwrap();
    let out: PathBuf = dir.path().join("snapshot");

    let output = collect(&format!("http://127.0.0.1:{proxy}"), &out, &[]);
    let stderr = common::stderr(&output);
    assert_eq!(output.status.code(), Some(3), "a partial collection exits 3: {stderr}");
    assert!(
        stderr.contains(&format!(
            "warning: not collected: {ACCOUNT} eu-west-1: ec2:DescribeVolumes failed: UnauthorizedOperation"
        )),
        "{stderr}"
    );

    let dataset = Dataset::open(&out).unwrap();
    let gap = dataset
        .manifest()
        .data_gaps
        .iter()
        .find(|g| g.region.as_deref() == Some("eu-west-1"))
        .expect("the denied call is a gap in the manifest");
    assert_eq!(gap.table, Some(Table::Volumes));
    assert_eq!(gap.account_id.as_deref(), Some(ACCOUNT));
    assert!(gap.reason.contains("ec2:DescribeVolumes failed: UnauthorizedOperation"), "{}", gap.reason);
    // Volumes from the other region, and every other table from both, are all there.
    let volumes = strings(&dataset, Table::Volumes, "volume_id");
    assert!(volumes.contains(&planted["us-east-1"]["gp2_volume"].as_str().unwrap().to_owned()));
    assert!(!volumes.contains(&planted["eu-west-1"]["gp2_volume"].as_str().unwrap().to_owned()));
    assert_eq!(strings(&dataset, Table::Instances, "instance_id").len(), 6);
    assert_eq!(strings(&dataset, Table::Addresses, "allocation_id"), planted_ids(&planted, "allocation"));

    // The report says what is missing.
    let report = dir.path().join("report");
    let written = common::costwise(
        &["report", "--snapshot", out.to_str().unwrap(), "--out", report.to_str().unwrap()],
        dir.path(),
    );
    assert!(written.status.code() == Some(0) || written.status.code() == Some(3), "{}", common::stderr(&written));
    let page = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(page.contains("ec2:DescribeVolumes failed: UnauthorizedOperation"), "the page lists the gap");
}
