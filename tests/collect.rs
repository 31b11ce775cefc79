//! `costwise collect` against a real AWS emulator: `moto_server` (PyPI
//! `moto[server]`, installed by scripts/test) on loopback, populated by
//! `scripts/moto_populate.py` with boto3: an organization of two accounts,
//! the same estate planted in two regions of each, with CloudWatch data and
//! Cost Explorer results (and, for `costwise run`, a CUR 2.0 export in a
//! bucket). The collected snapshot is checked table by table, then analyzed. A
//! fault-injecting proxy in front of the emulator denies a role, denies one
//! call in one region, throttles another and lets a third time out, to check
//! that each failure becomes a gap, the exit code says "partial", and nothing
//! else is lost.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use costwise_analyzer::{Dataset, Table};
use polars::prelude::*;
use serde_json::Value;

/// moto's account for the credentials it is given: the organization's management account.
const MANAGEMENT: &str = "123456789012";
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

    /// Plants the organization of scripts/moto_populate.py in `REGIONS`; returns what it planted,
    /// `{account: {region: {...}}}`.
    fn populate(&self) -> Planted {
        self.populate_with(&[])
    }

    /// [`Moto::populate`] with more arguments for moto_populate.py.
    fn populate_with(&self, extra: &[&str]) -> Planted {
        let output = Command::new("python3")
            .arg(root().join("scripts/moto_populate.py"))
            .arg(self.endpoint())
            .args(["--regions", &REGIONS.join(",")])
            .args(extra)
            .output()
            .expect("python3 runs");
        assert!(output.status.success(), "moto_populate.py failed: {}", String::from_utf8_lossy(&output.stderr));
        Planted(serde_json::from_slice(&output.stdout).unwrap())
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What moto_populate.py planted.
struct Planted(Value);

impl Planted {
    fn accounts(&self) -> Vec<String> {
        let mut accounts: Vec<String> = self.0.as_object().unwrap().keys().cloned().collect();
        accounts.sort();
        accounts
    }

    fn member(&self) -> String {
        self.accounts().into_iter().find(|a| a != MANAGEMENT).expect("a member account")
    }

    /// `key` (a string or a list of strings) in every account and the given regions, sorted.
    fn ids_in(&self, regions: &[&str], key: &str) -> Vec<String> {
        let mut ids = Vec::new();
        for account in self.0.as_object().unwrap().values() {
            for region in regions {
                match &account[*region][key] {
                    Value::String(id) => ids.push(id.clone()),
                    Value::Array(items) => ids.extend(items.iter().map(|i| i.as_str().unwrap().to_owned())),
                    other => panic!("{key} in {region}: {other}"),
                }
            }
        }
        ids.sort();
        ids
    }

    fn ids(&self, key: &str) -> Vec<String> {
        self.ids_in(&REGIONS, key)
    }
}

/// `costwise collect` with fake credentials and nothing from the user's own AWS configuration.
fn collect(endpoint: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["collect", "--out", out.to_str().unwrap(), "--endpoint-url", endpoint, "--regions"];
    let regions = REGIONS.join(",");
    args.push(&regions);
    args.extend_from_slice(extra);
    costwise_with_test_credentials(&args)
}

/// Runs costwise with fake credentials and nothing from the user's own AWS configuration.
fn costwise_with_test_credentials(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_costwise"))
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("COSTWISE_EXTERNAL_ID")
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

/// The findings of `rule` in `costwise analyze --format json` output, by resource id, sorted.
fn found(analysis: &Value, rule: &str) -> Vec<String> {
    let mut ids: Vec<String> = analysis["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["resource_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn analyze(snapshot: &Path, cwd: &Path) -> Value {
    let analysis = common::costwise(&["analyze", "--snapshot", snapshot.to_str().unwrap(), "--format", "json"], cwd);
    assert!(analysis.status.code() == Some(0) || analysis.status.code() == Some(3), "{}", common::stderr(&analysis));
    serde_json::from_slice(&analysis.stdout).unwrap()
}

/// Values of `metric`/`statistic` for `resource`, in time order.
fn series(dataset: &Dataset, resource: &str, metric: &str, statistic: &str) -> Vec<f64> {
    let df = dataset
        .table(Table::Metrics)
        .unwrap()
        .filter(
            col("resource_id")
                .eq(lit(resource))
                .and(col("metric").eq(lit(metric)))
                .and(col("statistic").eq(lit(statistic))),
        )
        .sort(["period_start"], SortMultipleOptions::default())
        .collect()
        .unwrap();
    df.column("value").unwrap().f64().unwrap().into_no_null_iter().collect()
}

#[test]
fn collect_reads_every_account_and_region_and_the_analysis_finds_the_planted_waste() {
    let moto = Moto::start();
    let planted = moto.populate();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot");
    let dumps = dir.path().join("dumps");

    let endpoint = format!("http://127.0.0.1:{}", proxy(moto.port, [RECORDED, PRICE_LIST].concat()));
    let output = collect(&endpoint, &out, &["--organization", "--keep-dumps", dumps.to_str().unwrap()]);
    let stderr = common::stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(common::stdout(&output).trim(), out.to_str().unwrap());
    let accounts = planted.accounts();
    assert_eq!(accounts.len(), 2);
    assert!(stderr.contains(&format!("Collected 2 account(s) ({}) in 2 region(s)", accounts.join(", "))), "{stderr}");
    // Progress, as plain lines (stderr is not a terminal here): 11 regional calls in each of 2 regions and 2
    // account-wide ones, per account.
    for line in
        ["collect: inventory: 48 call(s)", "collect: inventory done: 48/48 call(s)", "collect: billing done: 2/2"]
    {
        assert!(stderr.contains(line), "{line:?} not in {stderr}");
    }
    // One Cost Explorer request per account ($0.01 each); the metrics cost a fraction of a cent.
    assert!(stderr.contains("2 Cost Explorer request(s): $0.02 of API charges"), "{stderr}");

    let dataset = Dataset::open(&out).unwrap();
    let manifest = dataset.manifest();
    assert_eq!(serde_json::to_value(manifest.source.kind).unwrap(), "collect");
    assert_eq!(manifest.accounts.iter().map(|a| a.id.clone()).collect::<Vec<_>>(), accounts);
    let mut regions = manifest.regions.clone();
    regions.sort();
    assert_eq!(regions, ["eu-west-1", "us-east-1"]);
    assert!(manifest.data_gaps.iter().all(|g| g.table != Some(Table::Metrics)), "{:?}", manifest.data_gaps);
    assert!(manifest.data_gaps.iter().all(|g| g.table != Some(Table::Costs)), "{:?}", manifest.data_gaps);

    // Billing from Cost Explorer: per account, 14 days of EC2 ($10 + $2 "EC2 - Other", one product code),
    // S3 ($2.50) and tax ($1).
    let costs = dataset.table(Table::Costs).unwrap().collect().unwrap();
    assert_eq!(costs.height(), 2 * 14 * 3, "{costs}");
    let total = |column: &str| costs.column(column).unwrap().f64().unwrap().sum().unwrap();
    assert_eq!(total("unblended_cost"), 2.0 * 14.0 * 15.5);
    assert_eq!(total("amortized_cost"), 2.0 * 14.0 * 13.5);
    let mut services = strings(&dataset, Table::Costs, "service");
    services.dedup();
    assert_eq!(services, ["AmazonEC2", "AmazonS3", "Tax"]);
    let mut billed_accounts = strings(&dataset, Table::Costs, "account_id");
    billed_accounts.dedup();
    assert_eq!(billed_accounts, accounts);

    assert_eq!(strings(&dataset, Table::Instances, "instance_id"), planted.ids("instances"));
    let stopped = dataset.table(Table::Instances).unwrap().filter(col("state").eq(lit("stopped"))).collect().unwrap();
    assert_eq!(stopped.height(), 4, "one stopped instance per account and region");
    let volumes = strings(&dataset, Table::Volumes, "volume_id");
    for id in planted.ids("gp2_volume").into_iter().chain(planted.ids("unattached_volume")) {
        assert!(volumes.contains(&id), "{id} missing from {volumes:?}");
    }
    // The planted snapshots, plus the one backing each registered AMI's root device.
    let snapshots = strings(&dataset, Table::Snapshots, "snapshot_id");
    assert_eq!(snapshots.len(), 8, "{snapshots:?}");
    assert!(planted.ids("snapshot").iter().all(|id| snapshots.contains(id)), "{snapshots:?}");
    assert_eq!(strings(&dataset, Table::Images, "image_id"), planted.ids("image"));
    assert_eq!(strings(&dataset, Table::Addresses, "allocation_id"), planted.ids("allocation"));
    let names = strings(&dataset, Table::Volumes, "name");
    assert!(names.contains(&"db-data-eu-west-1".to_owned()), "Name tags become names: {names:?}");
    let templates = strings(&dataset, Table::LaunchTemplates, "launch_template_name");
    assert_eq!(templates, ["web-eu-west-1", "web-eu-west-1", "web-us-east-1", "web-us-east-1"], "one per account");
    // Two Auto Scaling groups per account and region: `web` on the template's $Latest, `batch` with a
    // mixed-instances policy whose template (version 1) and overrides become the row's.
    let groups = dataset
        .table(Table::AutoScalingGroups)
        .unwrap()
        .filter(col("region").eq(lit("us-east-1")).and(col("account_id").eq(lit(MANAGEMENT))))
        .collect()
        .unwrap();
    assert_eq!(groups.height(), 2, "{groups}");
    let text = |name: &str| -> Vec<Option<String>> {
        groups.column(name).unwrap().str().unwrap().iter().map(|v| v.map(str::to_owned)).collect()
    };
    let some = |values: &[&str]| values.iter().map(|v| Some((*v).to_owned())).collect::<Vec<_>>();
    assert_eq!(text("auto_scaling_group_name"), some(&["batch", "web"]));
    assert_eq!(text("launch_template_name"), some(&["web-us-east-1", "web-us-east-1"]));
    assert_eq!(text("launch_template_version"), some(&["1", "$Latest"]));
    assert_eq!(text("instance_types"), [Some("m5.large,m6i.large".to_owned()), None]);
    assert_eq!(text("tags"), some(&["{}", r#"{"team":"checkout"}"#]));
    let mixed: Vec<_> = groups.column("mixed_instances_policy").unwrap().bool().unwrap().iter().collect();
    assert_eq!(mixed, [Some(true), Some(false)]);
    let max: Vec<_> = groups.column("max_size").unwrap().i64().unwrap().iter().collect();
    assert_eq!(max, [Some(2), Some(4)]);
    assert_eq!(strings(&dataset, Table::AutoScalingGroups, "account_id").len(), 8, "2 per account and region");
    // The recorded reservations (us-east-1 only), in each account.
    let reservations = dataset.table(Table::Reservations).unwrap().collect().unwrap();
    assert_eq!(reservations.height(), 4, "{reservations}");
    let states = strings(&dataset, Table::Reservations, "state");
    assert_eq!(states, ["active", "active", "retired", "retired"]);
    assert_eq!(strings(&dataset, Table::Reservations, "region"), ["us-east-1"; 4]);
    // The recorded savings plan, in the management account only (account-wide: no region directory).
    assert_eq!(strings(&dataset, Table::SavingsPlans, "account_id"), [MANAGEMENT]);
    assert!(dumps.join(MANAGEMENT).join("describe-savings-plans.json").is_file());
    // Two buckets per account and region, each in its region (moto's ListBuckets does not say: GetBucketLocation
    // does), with the settings planted: a lifecycle rule on logs-*, versioning and (recorded) an
    // Intelligent-Tiering archive configuration on data-*.
    let buckets =
        dataset.table(Table::Buckets).unwrap().sort(["bucket"], SortMultipleOptions::default()).collect().unwrap();
    assert_eq!(buckets.height(), 8, "{buckets}");
    for (index, bucket) in buckets.column("bucket").unwrap().str().unwrap().iter().flatten().enumerate() {
        let cell = |column: &str| buckets.column(column).unwrap().get(index).unwrap().to_string();
        assert!(bucket.ends_with(&cell("region").trim_matches('"').to_owned()), "{bucket} in {}", cell("region"));
        let logs = bucket.starts_with("logs-");
        assert_eq!(cell("lifecycle_rule_count"), if logs { "1" } else { "0" }, "{bucket}");
        assert_eq!(cell("versioning"), if logs { "null" } else { "\"Enabled\"" }, "{bucket}");
        assert_eq!(cell("intelligent_tiering_configs"), if logs { "0" } else { "1" }, "{bucket}");
    }
    for bucket in planted.ids("buckets_logs") {
        let daily = series(&dataset, &bucket, "BucketSizeBytes/StandardStorage", "Average");
        assert_eq!(daily, vec![2.0 * 1024f64.powi(4); 14], "{bucket}: 14 days of S3 storage metrics");
        // Request metrics of the whole bucket, daily; a prefix filter's are not read.
        assert_eq!(series(&dataset, &bucket, "GetRequests", "Sum"), vec![1000.0; 14], "{bucket}");
        let downloaded = series(&dataset, &bucket, "BytesDownloaded", "Sum");
        assert_eq!(downloaded, vec![5.0 * 1024f64.powi(3); 14], "{bucket}");
        assert!(series(&dataset, &bucket, "GetRequests/archive-prefix", "Sum").is_empty(), "{bucket}");
    }
    // An application and a classic load balancer per account and region, with their tags.
    let balancers = dataset.table(Table::LoadBalancers).unwrap().collect().unwrap();
    assert_eq!(balancers.height(), 8, "{balancers}");
    assert_eq!(strings(&dataset, Table::LoadBalancers, "lb_type"), [["application"; 4], ["classic"; 4]].concat());
    assert!(strings(&dataset, Table::LoadBalancers, "tags").iter().all(|t| t.contains("\"team\":\"checkout\"")));

    // Hourly metrics as planted: two datapoints an hour for CPU, so Average is their mean and Maximum the larger.
    for id in planted.ids("oversized") {
        let maximum = series(&dataset, &id, "CPUUtilization", "Maximum");
        assert_eq!(maximum.len(), 72, "{id}: 72 whole hours");
        assert!(maximum.iter().all(|v| *v == 6.0), "{id}: {maximum:?}");
        assert!(series(&dataset, &id, "CPUUtilization", "Average").iter().all(|v| *v == 3.5));
        assert_eq!(series(&dataset, &id, "NetworkIn", "Sum").len(), 72);
        let memory = series(&dataset, &id, "mem_used_percent", "Maximum");
        assert!(
            memory.len() == 72 && memory.iter().all(|v| *v == 22.0),
            "{id}: the agent's metric found by ListMetrics"
        );
    }
    for id in planted.ids("busy") {
        assert!(series(&dataset, &id, "CPUUtilization", "Maximum").iter().all(|v| *v == 70.0), "{id}");
        assert!(series(&dataset, &id, "mem_used_percent", "Maximum").is_empty(), "{id} has no agent");
    }
    // Target health: the ALB's target groups added up (1 + 2 healthy), the zonal series not counted again;
    // the classic load balancer's own series.
    let balancers = dataset.table(Table::LoadBalancers).unwrap().filter(col("lb_type").eq(lit("application")));
    let arns = balancers.collect().unwrap().column("load_balancer_arn").unwrap().str().unwrap().clone();
    for arn in arns.iter().flatten() {
        let suffix = arn.split_once(":loadbalancer/").unwrap().1;
        assert_eq!(series(&dataset, suffix, "HealthyHostCount", "Maximum"), vec![3.0; 72], "{suffix}");
        assert_eq!(series(&dataset, suffix, "UnHealthyHostCount", "Maximum"), vec![0.0; 72], "{suffix}");
    }
    assert_eq!(series(&dataset, "checkout-legacy", "HealthyHostCount", "Maximum"), vec![0.0; 72]);
    // The raw replies are kept as dumps that `costwise import` reads.
    for account in &accounts {
        for region in REGIONS {
            assert!(dumps.join(account).join(region).join("describe-volumes.json").is_file());
            assert!(dumps.join(account).join(region).join("get-metric-data.json").is_file());
        }
        assert!(dumps.join(account).join("get-cost-and-usage.json").is_file());
    }
    let reimported = dir.path().join("reimported");
    let import =
        common::costwise(&["import", dumps.to_str().unwrap(), "--out", reimported.to_str().unwrap()], dir.path());
    assert_eq!(import.status.code(), Some(0), "{}", common::stderr(&import));
    let again = Dataset::open(&reimported).unwrap();
    for table in [Table::Instances, Table::Volumes, Table::Metrics, Table::Costs] {
        let (a, b) = (dataset.table(table).unwrap().collect().unwrap(), again.table(table).unwrap().collect().unwrap());
        assert!(a.equals_missing(&b), "{table} differs after re-importing the kept dumps");
    }

    let analysis = analyze(&out, dir.path());
    // Every gp2 volume: the planted ones and the 8 GiB gp2 root volumes moto gives each instance.
    let gp2 = dataset.table(Table::Volumes).unwrap().filter(col("volume_type").eq(lit("gp2"))).collect().unwrap();
    let mut gp2: Vec<String> =
        gp2.column("volume_id").unwrap().str().unwrap().iter().flatten().map(str::to_owned).collect();
    gp2.sort();
    assert_eq!(found(&analysis, "gp2-to-gp3"), gp2);
    assert!(planted.ids("gp2_volume").iter().all(|id| gp2.contains(id)), "{gp2:?}");
    let idle_ips = found(&analysis, "idle-elastic-ip");
    let planted_ips: Vec<String> = planted.ids("address").into_iter().chain(planted.ids("allocation")).collect();
    assert_eq!(idle_ips.len(), 4, "{idle_ips:?}");
    assert!(idle_ips.iter().all(|id| planted_ips.contains(id)), "idle IPs {idle_ips:?}, planted {planted_ips:?}");
    // The metrics make the utilization rules work: the oversized instances, and only they, are downsized.
    assert_eq!(found(&analysis, "ec2-rightsizing"), planted.ids("oversized"));
    // Cost Explorer's spend feeds the overview, and the report says what it cannot do.
    let by_service: Vec<(&str, f64)> = analysis["spend"]["by_service"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].as_str().unwrap(), s["cost"].as_f64().unwrap()))
        .collect();
    assert_eq!(by_service, [("AmazonEC2", 2.0 * 14.0 * 10.0), ("AmazonS3", 70.0), ("Tax", 28.0)]);
    let limitations = analysis["coverage"]["limitations"].as_array().unwrap();
    assert!(limitations[0].as_str().unwrap().contains("resource-level findings are limited"), "{limitations:?}");

    // Current list prices from the Price List API: eu-west-1's gp2 and gp3 rates replace the bundled
    // us-east-1 ones there, named with their source and dates; us-east-1 keeps the catalog.
    let prices = dir.path().join("prices.json");
    let refresh = costwise_with_test_credentials(&[
        "prices",
        "refresh",
        "--regions",
        "eu-west-1,xx-nowhere-1",
        "--endpoint-url",
        &endpoint,
        "--out",
        prices.to_str().unwrap(),
    ]);
    let stderr = common::stderr(&refresh);
    assert_eq!(refresh.status.code(), Some(3), "a region without prices makes it partial: {stderr}");
    assert!(stderr.contains("warning: the Price List API has no products for xx-nowhere-1"), "{stderr}");
    assert!(
        stderr.contains("eu-west-1: 13 rate(s) and 4 savings-plan rate(s), published 2026-11-20"),
        "4 instances (2 pages), 7 volume types, 2 NAT rates; savings-plan rates of 3 of those types in 3 offerings \
         (2 pages; capacity-reservation hours and a type without an on-demand rate skipped): {stderr}"
    );
    let cache: Value = serde_json::from_slice(&std::fs::read(&prices).unwrap()).unwrap();
    let rates = &cache["regions"]["eu-west-1"]["rates"];
    assert_eq!((rates["ec2:m5.large"].as_f64(), rates["ec2:t3.micro"].as_f64()), (Some(0.107), Some(0.0114)));
    assert_eq!((rates["ebs.gp2_gb_month"].as_f64(), rates["ebs.gp3_gb_month"].as_f64()), (Some(0.11), Some(0.088)));
    assert_eq!(rates["ec2_network.nat_gateway_hour"].as_f64(), Some(0.048));
    let discount = |key: &str| rates[key].as_f64().unwrap_or_else(|| panic!("no {key} in {rates}"));
    assert!((discount("sp_discount.compute_sp_1yr_no_upfront:m5.large") - (1.0 - 0.0749 / 0.107)).abs() < 1e-9);
    assert!((discount("sp_discount.compute_sp_1yr_no_upfront:m5.xlarge") - (1.0 - 0.1498 / 0.214)).abs() < 1e-9);
    assert!((discount("sp_discount.ec2_instance_sp_1yr_no_upfront:m5.large") - (1.0 - 0.0685 / 0.107)).abs() < 1e-9);
    assert!((discount("sp_discount.compute_sp_3yr_all_upfront:m5.2xlarge") - (1.0 - 0.2054 / 0.428)).abs() < 1e-9);
    assert!(rates.get("sp_discount.compute_sp_1yr_no_upfront:c7g.large").is_none(), "no on-demand rate to compare");

    let config = dir.path().join("costwise.toml");
    std::fs::write(&config, "[price-list]\ncache = \"prices.json\"\n").unwrap();
    let priced = common::costwise(
        &["analyze", "--snapshot", out.to_str().unwrap(), "--config", config.to_str().unwrap(), "--format", "json"],
        dir.path(),
    );
    assert!(priced.status.code() == Some(0) || priced.status.code() == Some(3), "{}", common::stderr(&priced));
    let priced: Value = serde_json::from_slice(&priced.stdout).unwrap();
    let volumes = dataset.table(Table::Volumes).unwrap().collect().unwrap();
    let size_of = |id: &str| {
        let ids = volumes.column("volume_id").unwrap().str().unwrap();
        let row = ids.iter().position(|v| v == Some(id)).unwrap();
        volumes.column("size_gib").unwrap().get(row).unwrap().try_extract::<f64>().unwrap()
    };
    let moves: Vec<&Value> =
        priced["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "gp2-to-gp3").collect();
    assert_eq!(moves.len(), gp2.len());
    for finding in moves {
        let id = finding["resource_id"].as_str().unwrap();
        let source = &finding["price_source"];
        if finding["region"] == "eu-west-1" {
            assert_eq!(source["origin"], "price-list", "{finding}");
            let detail = source["detail"].as_str().unwrap();
            assert!(
                detail.contains("gp2 cost: price-list: AWS Price List API, eu-west-1, fetched ")
                    && detail.contains("published 2026-11-20"),
                "{detail}"
            );
            let expected = size_of(id) * (0.11 - 0.088);
            assert!((finding["monthly_savings"].as_f64().unwrap() - expected).abs() < 0.01, "{id}: {finding}");
        } else {
            assert_eq!(source["origin"], "catalog", "{finding}");
        }
    }
    assert!(
        priced["coverage"]["price_catalog"].as_str().unwrap().starts_with("AWS Price List API rates for eu-west-1")
    );
}

/// What the proxy does with a request it matches.
#[derive(Clone, Copy)]
enum Fault {
    /// Answers with this status line, and an error document in the service's protocol (XML).
    Error { status: &'static str, code: &'static str, sts: bool },
    /// Answers with this status line and an error document of the JSON protocols (Cost Explorer).
    JsonError { status: &'static str, code: &'static str },
    /// Never answers (until the client gives up).
    Hang,
    /// Answers 200 with a recorded reply (fixtures/aws-replay/), for calls moto does not implement.
    Recorded(&'static str),
}

/// A request to intercept: parts of its SigV4 `Authorization` header (the scope `/eu-west-1/ec2/`, the access
/// key `Credential=testing/`) and something its body contains.
#[derive(Clone, Copy)]
struct Rule {
    scope: &'static [&'static str],
    /// Parts of the request line (`GET /bucket?versioning HTTP/1.1`).
    request: &'static [&'static str],
    body: &'static str,
    fault: Fault,
}

/// moto 5.2 has no DescribeReservedInstances, Savings Plans or Intelligent-Tiering listing, and its
/// GetBucketVersioning reply has the wrong root element: real-shaped replies recorded from the API references
/// (fixtures/aws-replay/README.md).
const RECORDED: &[Rule] = &[
    Rule {
        request: &["/data-", "?intelligent-tiering"],
        scope: &["/s3/"],
        body: "",
        fault: Fault::Recorded(include_str!(
            "../fixtures/aws-replay/list-bucket-intelligent-tiering-configurations-archive.xml"
        )),
    },
    Rule {
        request: &["?intelligent-tiering"],
        scope: &["/s3/"],
        body: "",
        fault: Fault::Recorded(include_str!(
            "../fixtures/aws-replay/list-bucket-intelligent-tiering-configurations-none.xml"
        )),
    },
    Rule {
        request: &["/data-", "?versioning"],
        scope: &["/s3/"],
        body: "",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/get-bucket-versioning-enabled.xml")),
    },
    Rule {
        request: &["?versioning"],
        scope: &["/s3/"],
        body: "",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/get-bucket-versioning-never.xml")),
    },
    Rule {
        request: &[],
        scope: &["/us-east-1/ec2/"],
        body: "Action=DescribeReservedInstances",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/describe-reserved-instances.xml")),
    },
    Rule {
        request: &[],
        scope: &["/ec2/"],
        body: "Action=DescribeReservedInstances",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/describe-reserved-instances-none.xml")),
    },
    // The management account's own credentials: one savings plan; assumed roles' accounts: none.
    Rule {
        request: &["/DescribeSavingsPlans "],
        scope: &["Credential=testing/", "/savingsplans/"],
        body: "",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/describe-savings-plans.json")),
    },
    Rule {
        request: &["/DescribeSavingsPlans "],
        scope: &["/savingsplans/"],
        body: "",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/describe-savings-plans-none.json")),
    },
];

/// moto has no Price List API: eu-west-1's Linux instances (in two pages), EBS storage and NAT gateway products
/// as GetProducts returns them (fixtures/aws-replay/), and nothing for a region that does not exist.
const PRICE_LIST: &[Rule] = &[
    Rule {
        scope: &["/pricing/"],
        request: &[],
        body: "\"Value\":\"xx-nowhere-1\"",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/get-products-none.json")),
    },
    Rule {
        scope: &["/pricing/"],
        request: &[],
        body: "costwise-test-page-2",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/get-products-eu-west-1-instances-2.json")),
    },
    Rule {
        scope: &["/pricing/"],
        request: &[],
        body: "\"Value\":\"Compute Instance\"",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/get-products-eu-west-1-instances-1.json")),
    },
    Rule {
        scope: &["/pricing/"],
        request: &[],
        body: "\"Value\":\"Storage\"",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/get-products-eu-west-1-storage.json")),
    },
    Rule {
        scope: &["/pricing/"],
        request: &[],
        body: "\"Value\":\"NAT Gateway\"",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/get-products-eu-west-1-nat-gateway.json")),
    },
    // The Savings Plans API's offering rates: eu-west-1 in two pages, no rates for other regions.
    Rule {
        scope: &["/savingsplans/"],
        request: &["/DescribeSavingsPlansOfferingRates "],
        body: "costwise-test-sp-page-2",
        fault: Fault::Recorded(include_str!(
            "../fixtures/aws-replay/describe-savings-plans-offering-rates-eu-west-1-2.json"
        )),
    },
    Rule {
        scope: &["/savingsplans/"],
        request: &["/DescribeSavingsPlansOfferingRates "],
        body: "\"eu-west-1\"",
        fault: Fault::Recorded(include_str!(
            "../fixtures/aws-replay/describe-savings-plans-offering-rates-eu-west-1-1.json"
        )),
    },
    Rule {
        scope: &["/savingsplans/"],
        request: &["/DescribeSavingsPlansOfferingRates "],
        body: "",
        fault: Fault::Recorded(include_str!("../fixtures/aws-replay/describe-savings-plans-offering-rates-none.json")),
    },
];

/// A proxy in front of moto that applies the first matching rule and forwards everything else. One request
/// per connection.
fn proxy(upstream: u16, rules: Vec<Rule>) -> u16 {
    let rules: &'static [Rule] = Vec::leak(rules);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = relay(client, upstream, rules);
            });
        }
    });
    port
}

fn relay(mut client: TcpStream, upstream: u16, rules: &[Rule]) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut length = 0;
    let mut authorization = String::new();
    let mut request_line = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if request_line.is_empty() {
            request_line.clone_from(&line);
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("authorization:") {
            authorization.clone_from(&line);
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
    let text = String::from_utf8_lossy(&body);
    if let Some(rule) = rules.iter().find(|r| {
        r.scope.iter().all(|part| authorization.contains(part))
            && r.request.iter().all(|part| request_line.contains(part))
            && text.contains(r.body)
    }) {
        match rule.fault {
            Fault::Hang => std::thread::sleep(Duration::from_secs(60)),
            Fault::Recorded(reply) => {
                let kind = if reply.starts_with('{') { "application/json" } else { "text/xml" };
                write!(
                    client,
                    "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                )?;
            }
            Fault::JsonError { status, code } => {
                let json = format!("{{\"__type\":\"{code}\",\"Message\":\"injected by the test proxy\"}}");
                write!(
                    client,
                    "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{json}",
                    json.len()
                )?;
            }
            Fault::Error { status, code, sts } => {
                let message = format!("injected by the test proxy for {} {}", rule.scope.join(" "), rule.body);
                let xml = if sts {
                    format!(
                        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>\
                         </Error><RequestId>costwise-test</RequestId></ErrorResponse>"
                    )
                } else {
                    format!(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
                         <Message>{message}</Message></Error></Errors><RequestID>costwise-test</RequestID></Response>"
                    )
                };
                write!(
                    client,
                    "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                    xml.len()
                )?;
            }
        }
        return Ok(());
    }
    let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
    server.write_all(&head)?;
    server.write_all(&body)?;
    let mut reply = Vec::new();
    server.read_to_end(&mut reply)?;
    client.write_all(&reply)
}

const FAULTS: &[Rule] = &[
    // The role cannot be assumed in a third account.
    Rule {
        request: &[],
        scope: &["/us-east-1/sts/"],
        body: "333333333333",
        fault: Fault::Error { status: "403 Forbidden", code: "AccessDenied", sts: true },
    },
    // A service control policy denies one call in one region.
    Rule {
        request: &[],
        scope: &["/eu-west-1/ec2/"],
        body: "Action=DescribeVolumes",
        fault: Fault::Error { status: "403 Forbidden", code: "UnauthorizedOperation", sts: false },
    },
    // Throttling that outlasts the retries.
    Rule {
        request: &[],
        scope: &["/us-east-1/ec2/"],
        body: "Action=DescribeSnapshots",
        fault: Fault::Error { status: "503 Service Unavailable", code: "RequestLimitExceeded", sts: false },
    },
    // A call that never answers.
    Rule { scope: &["/eu-west-1/monitoring/"], request: &[], body: "Action=GetMetricData", fault: Fault::Hang },
    // Cost Explorer denied to the management account's own credentials (the member's assumed role may).
    Rule {
        scope: &["Credential=testing/", "/us-east-1/ce/"],
        request: &[],
        body: "",
        fault: Fault::JsonError { status: "400 Bad Request", code: "AccessDeniedException" },
    },
];

#[test]
fn failing_calls_are_gaps_and_everything_else_is_kept() {
    let moto = Moto::start();
    let planted = moto.populate();
    let proxy = proxy(moto.port, FAULTS.iter().chain(RECORDED).copied().collect());
    let dir = tempfile::tempdir().unwrap();
    let out: PathBuf = dir.path().join("snapshot");
    let member = planted.member();
    let accounts = format!("{MANAGEMENT},{member},333333333333");

    let output = collect(
        &format!("http://127.0.0.1:{proxy}"),
        &out,
        &["--accounts", &accounts, "--max-attempts", "2", "--timeout", "10"],
    );
    let stderr = common::stderr(&output);
    assert_eq!(output.status.code(), Some(3), "a partial collection exits 3: {stderr}");
    assert!(stderr.contains("Collected 2 account(s)"), "{stderr}");
    for expected in [
        "warning: not collected: 333333333333 -: cannot assume arn:aws:iam::333333333333:role/CostwiseReadOnly (sts:AssumeRole)".to_owned(),
        format!("warning: not collected: {MANAGEMENT} eu-west-1: ec2:DescribeVolumes failed: UnauthorizedOperation"),
        format!("warning: not collected: {member} eu-west-1: ec2:DescribeVolumes failed: UnauthorizedOperation"),
        format!("warning: not collected: {MANAGEMENT} us-east-1: ec2:DescribeSnapshots failed: RequestLimitExceeded"),
        format!("warning: not collected: {member} eu-west-1: cloudwatch:GetMetricData failed:"),
        format!("warning: not collected: {MANAGEMENT} -: ce:GetCostAndUsage failed: AccessDeniedException"),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nnot in\n{stderr}");
    }

    let dataset = Dataset::open(&out).unwrap();
    let gaps = &dataset.manifest().data_gaps;
    let gap = |account: &str, region: Option<&str>, table: Option<Table>| {
        gaps.iter()
            .find(|g| g.account_id.as_deref() == Some(account) && g.region.as_deref() == region && g.table == table)
            .unwrap_or_else(|| panic!("no gap for {account} {region:?} {table:?} in {gaps:#?}"))
    };
    assert!(gap("333333333333", None, None).reason.contains("AccessDenied"));
    for account in [MANAGEMENT, member.as_str()] {
        assert!(gap(account, Some("eu-west-1"), Some(Table::Volumes)).reason.contains("UnauthorizedOperation"));
        assert!(gap(account, Some("us-east-1"), Some(Table::Snapshots)).reason.contains("RequestLimitExceeded"));
        let timeout = &gap(account, Some("eu-west-1"), Some(Table::Metrics)).reason;
        assert!(timeout.to_ascii_lowercase().contains("timeout"), "{timeout}");
    }
    assert!(gap(MANAGEMENT, None, Some(Table::Costs)).reason.contains("AccessDeniedException"));
    // Everything else from both accounts is there: the member's billing too.
    let mut billed = strings(&dataset, Table::Costs, "account_id");
    billed.dedup();
    assert_eq!(billed, std::slice::from_ref(&member));
    let volumes = strings(&dataset, Table::Volumes, "volume_id");
    assert!(planted.ids_in(&["us-east-1"], "gp2_volume").iter().all(|id| volumes.contains(id)), "{volumes:?}");
    assert!(planted.ids_in(&["eu-west-1"], "gp2_volume").iter().all(|id| !volumes.contains(id)), "{volumes:?}");
    assert_eq!(strings(&dataset, Table::Instances, "instance_id"), planted.ids("instances"));
    assert_eq!(strings(&dataset, Table::Snapshots, "snapshot_id").len(), 4, "eu-west-1's snapshots only");
    assert_eq!(strings(&dataset, Table::Addresses, "allocation_id"), planted.ids("allocation"));
    for id in planted.ids_in(&["us-east-1"], "oversized") {
        assert_eq!(series(&dataset, &id, "CPUUtilization", "Maximum").len(), 72, "{id}");
    }
    for id in planted.ids_in(&["eu-west-1"], "oversized") {
        assert!(series(&dataset, &id, "CPUUtilization", "Maximum").is_empty(), "{id}");
    }
    // Missing metrics are "not collected", never "idle": only us-east-1's oversized instances are downsized.
    let analysis = analyze(&out, dir.path());
    assert_eq!(found(&analysis, "ec2-rightsizing"), planted.ids_in(&["us-east-1"], "oversized"));

    // The report says what is missing.
    let report = dir.path().join("report");
    let written = common::costwise(
        &["report", "--snapshot", out.to_str().unwrap(), "--out", report.to_str().unwrap()],
        dir.path(),
    );
    assert!(written.status.code() == Some(0) || written.status.code() == Some(3), "{}", common::stderr(&written));
    let page = std::fs::read_to_string(report.join("index.html")).unwrap();
    for text in [
        "ec2:DescribeVolumes failed: UnauthorizedOperation",
        "cannot assume arn:aws:iam::333333333333",
        "cloudwatch:GetMetricData failed",
    ] {
        assert!(page.contains(text), "the page lists the gap {text:?}");
    }
}

#[test]
fn costwise_run_collects_at_every_run_and_replaces_the_kept_dumps() {
    let moto = Moto::start();
    let cur = root().join("fixtures/ingest/billing/cur2.parquet");
    let planted = moto.populate_with(&["--cur", cur.to_str().unwrap()]);
    let endpoint = format!("http://127.0.0.1:{}", proxy(moto.port, [RECORDED, PRICE_LIST].concat()));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("costwise.toml");
    std::fs::write(
        &config,
        format!(
            "[source]\nsnapshot = \"snapshot\"\n\n[collect]\nregions = [\"us-east-1\"]\nendpoint-url = \"{endpoint}\"\n\
             keep-dumps = \"dumps\"\ncur = \"s3://billing-exports/cur/costwise\"\n\n[report]\ndir = \"reports\"\n\n\
             [price-list]\ncache = \"prices.json\"\nrefresh-after-days = 7\n"
        ),
    )
    .unwrap();
    let check = common::costwise(&["config", "check", config.to_str().unwrap()], dir.path());
    assert_eq!(check.status.code(), Some(0), "{}", common::stderr(&check));

    for run in 1..=2 {
        let output = costwise_with_test_credentials(&["run", "--config", config.to_str().unwrap(), "--no-email"]);
        let stderr = common::stderr(&output);
        assert_eq!(output.status.code(), Some(0), "run {run}: {stderr}");
        assert!(stderr.contains(&format!("Collected 1 account(s) ({MANAGEMENT}) in 1 region(s)")), "{stderr}");
        // The export's newest delivery of last month, not the older one or the month outside the lookback
        // (both unreadable on purpose), and no Cost Explorer.
        assert!(stderr.contains("0 Cost Explorer request(s), 1 billing export file(s)"), "{stderr}");
        // The price list is fetched for the snapshot's region by the first run only: the second finds it fresh.
        // (The proxy answers by product family, so us-east-1 gets the recorded eu-west-1 products.)
        let fetched = stderr.contains("us-east-1: 13 rate(s) and 0 savings-plan rate(s), published 2026-11-20");
        assert_eq!(fetched, run == 1, "run {run}: {stderr}");
        let page = PathBuf::from(common::stdout(&output).trim());
        let record: Value =
            serde_json::from_slice(&std::fs::read(page.parent().unwrap().join("run.json")).unwrap()).unwrap();
        assert_eq!(record["status"], "complete", "{record}");
        assert!(record["findings"].as_u64().unwrap() > 0, "{record}");
    }
    let dataset = Dataset::open(dir.path().join("snapshot")).unwrap();
    let instances = strings(&dataset, Table::Instances, "instance_id");
    let mut expected: Vec<String> = planted.0[MANAGEMENT]["us-east-1"]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(instances, expected, "the credentials' account, the configured region");
    let billing: Vec<_> = dataset.manifest().source.inputs.iter().filter(|i| i.format.starts_with("CUR")).collect();
    assert_eq!(billing.len(), 1, "{billing:?}");
    assert!(billing[0].path.starts_with("s3://billing-exports/cur/costwise/data/BILLING_PERIOD="), "{billing:?}");
    assert!(billing[0].path.ends_with("/20000102T0000-new/costwise-00001.snappy.parquet"), "{billing:?}");
    assert_eq!((billing[0].format.as_str(), billing[0].rows), ("CUR 2.0 (Parquet)", 16));
    assert_eq!(dataset.table(Table::Costs).unwrap().collect().unwrap().height(), 16);
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".costwise-billing")),
        "the downloaded export is removed"
    );
    assert!(dir.path().join("dumps/.costwise-dumps").is_file(), "the second run replaced the first run's dumps");
    let prices: Value = serde_json::from_slice(&std::fs::read(dir.path().join("prices.json")).unwrap()).unwrap();
    assert_eq!(prices["regions"]["us-east-1"]["rates"]["ebs.gp3_gb_month"].as_f64(), Some(0.088));
    assert!(dir.path().join(format!("dumps/{MANAGEMENT}/us-east-1/get-metric-data.json")).is_file());
}
