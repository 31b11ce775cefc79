//! Importing AWS CLI JSON dumps (`aws ec2 describe-volumes --output json > describe-volumes.json`)
//! into the inventory tables.
//!
//! Many users cannot (or will not) give a tool live credentials, but they can
//! run a handful of read-only AWS CLI commands and hand over the output. This
//! module maps those outputs, field by field, onto the snapshot schemas in
//! [`crate::schema`], so the rules see exactly what `costwise collect` would
//! have produced.
//!
//! Each kind of dump has one canonical file name ([`CLI_DUMPS`]); several files
//! of the same kind (one per account/region directory) are concatenated.
//! Per-bucket S3 configuration dumps ([`BUCKET_CONFIG_DUMPS`]: lifecycle
//! rules, versioning, Intelligent-Tiering configurations) live in a directory
//! named after the bucket, `<account>/s3-bucket-config/<bucket>/`, and fill
//! the configuration columns of that bucket's `list-buckets.json` row. The
//! account and region of every row come from the file's directory names
//! (`111111111111/us-east-1/describe-volumes.json`), else from the content
//! (owner ids, ARNs, availability zones), else from [`CliScope`] (the
//! `--account`/`--region` flags); when none says, the import fails rather
//! than guess. `docs/import-aws-cli.md` is the user-facing description.
//!
//! Unknown fields are ignored (AWS adds fields over time); a missing required
//! field, a wrong type or a truncated (paginated) dump is an error naming the
//! file and the JSON path (`Volumes[3].VolumeId`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime};
use polars::prelude::*;
use serde_json::{Map, Value};

use crate::error::{Error, PolarsResultExt, Result};
use crate::manifest::Input;
use crate::schema::{ColumnType, Table};
use crate::snapshot::conform;

/// Account and region to assume for files whose path and content do not say
/// (the `--account` and `--region` flags of `costwise import`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliScope {
    /// 12-digit account id.
    pub account_id: Option<String>,
    /// Region code (`us-east-1`).
    pub region: Option<String>,
}

/// The result of importing a set of AWS CLI dumps.
#[derive(Debug, Clone)]
pub struct CliImport {
    /// One frame per table that had at least one input file (possibly with
    /// zero rows: an empty dump is evidence that there is nothing), conformed
    /// to the table's schema and sorted by account, region and resource id.
    pub tables: BTreeMap<Table, DataFrame>,
    /// One entry per file read, in input order, with the rows it held.
    pub inputs: Vec<Input>,
    /// Every account seen (in rows or in directory names).
    pub accounts: BTreeSet<String>,
    /// Every region seen (in rows or in directory names).
    pub regions: BTreeSet<String>,
}

/// A kind of AWS CLI dump costwise understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CliDump {
    /// The file name it must be saved under.
    pub file_name: &'static str,
    /// The command that produces it.
    pub command: &'static str,
    /// The table it fills.
    pub table: Table,
}

/// Every file name the importer looks for, with the command that writes it.
pub const CLI_DUMPS: &[CliDump] = &[
    CliDump {
        file_name: "describe-instances.json",
        command: "aws ec2 describe-instances --output json",
        table: Table::Instances,
    },
    CliDump {
        file_name: "describe-volumes.json",
        command: "aws ec2 describe-volumes --output json",
        table: Table::Volumes,
    },
    CliDump {
        file_name: "describe-snapshots.json",
        command: "aws ec2 describe-snapshots --owner-ids self --output json",
        table: Table::Snapshots,
    },
    CliDump {
        file_name: "describe-images.json",
        command: "aws ec2 describe-images --owners self --output json",
        table: Table::Images,
    },
    CliDump {
        file_name: "describe-launch-template-versions.json",
        command: "aws ec2 describe-launch-template-versions --versions '$Latest' '$Default' --output json",
        table: Table::LaunchTemplates,
    },
    CliDump {
        file_name: "describe-auto-scaling-groups.json",
        command: "aws autoscaling describe-auto-scaling-groups --output json",
        table: Table::AutoScalingGroups,
    },
    CliDump {
        file_name: "describe-addresses.json",
        command: "aws ec2 describe-addresses --output json",
        table: Table::Addresses,
    },
    CliDump {
        file_name: "describe-nat-gateways.json",
        command: "aws ec2 describe-nat-gateways --output json",
        table: Table::NatGateways,
    },
    CliDump {
        file_name: "describe-reserved-instances.json",
        command: "aws ec2 describe-reserved-instances --output json",
        table: Table::Reservations,
    },
    CliDump {
        file_name: "describe-load-balancers.json",
        command: "aws elbv2 describe-load-balancers --output json",
        table: Table::LoadBalancers,
    },
    CliDump {
        file_name: "describe-load-balancers-classic.json",
        command: "aws elb describe-load-balancers --output json",
        table: Table::LoadBalancers,
    },
    CliDump { file_name: "list-buckets.json", command: "aws s3api list-buckets --output json", table: Table::Buckets },
    CliDump {
        file_name: "describe-savings-plans.json",
        command: "aws savingsplans describe-savings-plans --output json",
        table: Table::SavingsPlans,
    },
];

const CLASSIC_ELB_COMMAND: &str = "aws elb describe-load-balancers --output json";

/// The directory holding the per-bucket S3 configuration dumps, one
/// subdirectory per bucket named exactly like the bucket:
/// `111111111111/s3-bucket-config/<bucket>/get-bucket-versioning.json`.
pub const BUCKET_CONFIG_DIR: &str = "s3-bucket-config";

/// Which part of a bucket's configuration a per-bucket dump holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BucketSetting {
    /// `get-bucket-lifecycle-configuration`: `buckets.lifecycle_rules` and `lifecycle_rule_count`.
    Lifecycle,
    /// `get-bucket-versioning`: `buckets.versioning`.
    Versioning,
    /// `list-bucket-intelligent-tiering-configurations`: `buckets.intelligent_tiering_configs`.
    IntelligentTiering,
}

/// A per-bucket S3 configuration dump, saved as
/// `s3-bucket-config/<bucket>/<file_name>` and merged into the bucket's row of
/// the `buckets` table (which `list-buckets.json` must provide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketConfigDump {
    /// The file name it must be saved under, in the bucket's directory.
    pub file_name: &'static str,
    /// The command that produces it (`$bucket` is the bucket name).
    pub command: &'static str,
    /// What it holds.
    pub setting: BucketSetting,
    /// The `buckets` columns it fills.
    pub columns: &'static [&'static str],
}

/// Every per-bucket S3 configuration dump the importer reads.
pub const BUCKET_CONFIG_DUMPS: &[BucketConfigDump] = &[
    BucketConfigDump {
        file_name: "get-bucket-lifecycle-configuration.json",
        command: "aws s3api get-bucket-lifecycle-configuration --bucket \"$bucket\" --output json",
        setting: BucketSetting::Lifecycle,
        columns: &["lifecycle_rules", "lifecycle_rule_count"],
    },
    BucketConfigDump {
        file_name: "get-bucket-versioning.json",
        command: "aws s3api get-bucket-versioning --bucket \"$bucket\" --output json",
        setting: BucketSetting::Versioning,
        columns: &["versioning"],
    },
    BucketConfigDump {
        file_name: "list-bucket-intelligent-tiering-configurations.json",
        command: "aws s3api list-bucket-intelligent-tiering-configurations --bucket \"$bucket\" --output json",
        setting: BucketSetting::IntelligentTiering,
        columns: &["intelligent_tiering_configs"],
    },
];

/// The error code `get-bucket-lifecycle-configuration` fails with when the
/// bucket has no lifecycle configuration.
const NO_LIFECYCLE_CONFIGURATION: &str = "NoSuchLifecycleConfiguration";

/// The dump kind a file name denotes, if any.
fn dump_for(path: &Path) -> Option<&'static CliDump> {
    let name = path.file_name()?.to_str()?;
    CLI_DUMPS.iter().find(|d| d.file_name == name)
}

/// The per-bucket dump `path` is (`.../s3-bucket-config/<bucket>/<file name>`) and its bucket, if any.
fn bucket_config_for(path: &Path) -> Option<(&'static BucketConfigDump, String)> {
    let name = path.file_name()?.to_str()?;
    let dump = BUCKET_CONFIG_DUMPS.iter().find(|d| d.file_name == name)?;
    let bucket_dir = path.parent()?;
    let bucket = bucket_dir.file_name()?.to_str()?;
    let config_dir = bucket_dir.parent()?.file_name()?;
    (config_dir == BUCKET_CONFIG_DIR && !bucket.is_empty()).then(|| (dump, bucket.to_owned()))
}

/// Whether `path` is one of [`CLI_DUMPS`] (by file name) or one of
/// [`BUCKET_CONFIG_DUMPS`] in its bucket's directory under [`BUCKET_CONFIG_DIR`].
pub fn is_cli_dump(path: &Path) -> bool {
    dump_for(path).is_some() || bucket_config_for(path).is_some()
}

/// Why `path` is not a known dump, listing the names that are.
fn unknown_dump(path: &Path) -> Error {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let detail = if BUCKET_CONFIG_DUMPS.iter().any(|d| d.file_name == name) {
        format!(
            "a per-bucket S3 configuration dump must be saved as `{BUCKET_CONFIG_DIR}/<bucket>/{name}` \
             (the directory is named exactly like the bucket)"
        )
    } else {
        format!(
            "not an AWS CLI dump; expected one of: {}, or {BUCKET_CONFIG_DIR}/<bucket>/{{{}}}",
            CLI_DUMPS.iter().map(|d| d.file_name).collect::<Vec<_>>().join(", "),
            BUCKET_CONFIG_DUMPS.iter().map(|d| d.file_name).collect::<Vec<_>>().join(",")
        )
    };
    Error::UnknownFormat { path: path.to_path_buf(), detail }
}

/// Reads AWS CLI dumps into inventory tables.
///
/// Every path must be named like one of [`CLI_DUMPS`], or be one of
/// [`BUCKET_CONFIG_DUMPS`] in its bucket's directory under
/// [`BUCKET_CONFIG_DIR`]. Files of the same kind are concatenated; a resource
/// listed in two files with identical values (the same dump imported twice,
/// or account-wide commands such as `list-buckets` saved in every region
/// directory) appears once, and with different values is an error. The
/// per-bucket configuration dumps fill the configuration columns of their
/// bucket's row (from `list-buckets.json`); a bucket without them keeps nulls
/// there ("not collected").
///
/// # Errors
///
/// [`Error::Io`] when a file cannot be read, [`Error::UnknownFormat`] for a
/// file name that is not a known dump, and [`Error::BadJson`] for malformed
/// JSON, an unexpected shape, a missing or mistyped field, a truncated
/// (paginated) dump, a row whose account or region cannot be determined, or a
/// bucket configuration dump for a bucket no `list-buckets.json` lists.
pub fn read_cli_files(paths: &[PathBuf], scope: &CliScope) -> Result<CliImport> {
    let mut rows: BTreeMap<Table, Vec<SourcedRow>> = BTreeMap::new();
    let mut origins: BTreeMap<Table, PathBuf> = BTreeMap::new();
    let mut inputs = Vec::with_capacity(paths.len());
    let mut accounts = BTreeSet::new();
    let mut regions = BTreeSet::new();
    let mut configs = BucketConfigs::default();

    for (file_index, path) in paths.iter().enumerate() {
        if let Some((dump, bucket)) = bucket_config_for(path) {
            let config = read_bucket_config(path, dump, bucket, scope)?;
            inputs.push(Input {
                path: path.display().to_string(),
                format: dump.command.replace("\"$bucket\"", &config.bucket).replace(" --output json", ""),
                rows: 1,
            });
            configs.add(config, file_index, paths)?;
            continue;
        }
        let dump = dump_for(path).ok_or_else(|| unknown_dump(path))?;
        let root = parse_json(path)?;
        let file = FileCtx::new(path, dump, scope);
        accounts.extend(file.path_account.clone());
        regions.extend(file.path_region.clone());

        let (format, file_rows) = read_dump(&file, &root)?;
        check_identifiers(path, dump.table, &file_rows)?;
        inputs.push(Input {
            path: path.display().to_string(),
            format: format.to_owned(),
            rows: file_rows.len() as u64,
        });
        origins.entry(dump.table).or_insert_with(|| path.clone());
        let table_rows = rows.entry(dump.table).or_default();
        table_rows.extend(file_rows.into_iter().map(|cells| SourcedRow { cells, file_index }));
    }

    let mut tables = BTreeMap::new();
    for (table, mut table_rows) in rows {
        let key = sort_key_columns(table);
        table_rows.sort_by(|a, b| compare_keys(table, key, &a.cells, &b.cells).then(a.file_index.cmp(&b.file_index)));
        let mut table_rows = dedupe(table, key, table_rows, paths)?;
        if table == Table::Buckets {
            configs.apply(&mut table_rows);
        }
        for row in &table_rows {
            if let Some(account) = cell_str(table, &row.cells, "account_id") {
                accounts.insert(account.to_owned());
            }
            if let Some(region) = cell_str(table, &row.cells, "region") {
                regions.insert(region.to_owned());
            }
        }
        let frame = build_frame(table, &table_rows, &origins[&table])?;
        tables.insert(table, frame);
    }
    configs.all_applied(paths)?;
    Ok(CliImport { tables, inputs, accounts, regions })
}

// ---------------------------------------------------------------------------
// Per-file context: where account and region come from.

struct FileCtx<'a> {
    path: &'a Path,
    /// The command that writes the file (for error messages).
    command: &'static str,
    /// The table the file fills.
    table: Table,
    path_account: Option<String>,
    path_region: Option<String>,
    scope: &'a CliScope,
}

impl<'a> FileCtx<'a> {
    fn new(path: &'a Path, dump: &'static CliDump, scope: &'a CliScope) -> Self {
        Self::under(path, path.parent(), dump.command, dump.table, scope)
    }

    /// A file whose account and region directories are looked for in `dir` and above.
    fn under(path: &'a Path, dir: Option<&Path>, command: &'static str, table: Table, scope: &'a CliScope) -> Self {
        let mut path_account = None;
        let mut path_region = None;
        if let Some(parent) = dir {
            for component in parent.components() {
                let Some(name) = component.as_os_str().to_str() else { continue };
                if is_account_id(name) {
                    path_account = Some(name.to_owned());
                } else if is_region(name) {
                    path_region = Some(name.to_owned());
                }
            }
        }
        FileCtx { path, command, table, path_account, path_region, scope }
    }

    fn bad(&self, detail: String) -> Error {
        Error::BadJson { path: self.path.to_path_buf(), detail }
    }

    /// The account of the item at `what`: directory, else `content`, else
    /// `--account`; directory and content must agree.
    fn account(&self, what: &str, content: Option<&str>) -> Result<String> {
        resolve(
            self,
            "account",
            what,
            self.path_account.as_deref(),
            content,
            self.scope.account_id.as_deref(),
            "a 12-digit account directory",
            "--account",
        )
    }

    /// The region of the item at `what`, like [`FileCtx::account`].
    fn region(&self, what: &str, content: Option<&str>) -> Result<String> {
        resolve(
            self,
            "region",
            what,
            self.path_region.as_deref(),
            content,
            self.scope.region.as_deref(),
            "a region directory (`us-east-1`)",
            "--region",
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn resolve(
    file: &FileCtx<'_>,
    kind: &str,
    what: &str,
    from_path: Option<&str>,
    from_content: Option<&str>,
    from_scope: Option<&str>,
    dir_hint: &str,
    flag: &str,
) -> Result<String> {
    match (from_path, from_content) {
        (Some(p), Some(c)) if p != c => Err(file.bad(format!(
            "`{what}` belongs to {kind} {c} according to the file, but the directory says {kind} {p}; move the file to the right directory"
        ))),
        (Some(p), _) => Ok(p.to_owned()),
        (None, Some(c)) => Ok(c.to_owned()),
        (None, None) => from_scope.map(str::to_owned).ok_or_else(|| {
            file.bad(format!(
                "cannot tell which {kind} `{what}` belongs to: the path has no {dir_hint} and the file does not say; \
                 put the file in such a directory or pass {flag}"
            ))
        }),
    }
}

/// A 12-digit AWS account id.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A region code such as `us-east-1`, `ap-southeast-1` or `us-gov-west-1`.
fn is_region(code: &str) -> bool {
    const PREFIXES: [&str; 10] = ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn"];
    const PARTITIONS: [&str; 5] = ["gov", "iso", "isob", "isoe", "isof"];
    const DIRECTIONS: [&str; 9] =
        ["east", "west", "north", "south", "central", "northeast", "northwest", "southeast", "southwest"];
    let parts: Vec<&str> = code.split('-').collect();
    let Some((number, rest)) = parts.split_last() else { return false };
    let words_ok = match rest {
        [prefix, direction] => PREFIXES.contains(prefix) && DIRECTIONS.contains(direction),
        [prefix, partition, direction] => {
            PREFIXES.contains(prefix) && PARTITIONS.contains(partition) && DIRECTIONS.contains(direction)
        }
        _ => false,
    };
    words_ok && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
}

/// The region of an availability zone: `us-east-1a` → `us-east-1`, local
/// zones `us-west-2-lax-1a` → `us-west-2`.
fn region_of_zone(zone: &str) -> Option<String> {
    let trimmed = zone.trim_end_matches(|c: char| c.is_ascii_lowercase());
    if is_region(trimmed) {
        return Some(trimmed.to_owned());
    }
    let parts: Vec<&str> = zone.split('-').collect();
    (3..parts.len()).map(|n| parts[..n].join("-")).find(|candidate| is_region(candidate))
}

/// Region and account of an ARN (`arn:aws:elasticloadbalancing:us-east-1:111111111111:...`).
fn arn_parts(arn: &str) -> (Option<String>, Option<String>) {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return (None, None);
    }
    let region = Some(parts[3]).filter(|r| is_region(r)).map(str::to_owned);
    let account = Some(parts[4]).filter(|a| is_account_id(a)).map(str::to_owned);
    (region, account)
}

// ---------------------------------------------------------------------------
// JSON access with paths in every error.

fn parse_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_json_text(path, &text)
}

fn parse_json_text(path: &Path, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message.rfind(" at line ").map_or(message.as_str(), |i| &message[..i]).to_owned();
        Error::BadJson {
            path: path.to_path_buf(),
            detail: format!("malformed JSON at line {}, column {}: {message}", e.line(), e.column()),
        }
    })
}

/// A JSON object together with its path in the document, for error messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
    file: &'a Path,
}

/// Describes a JSON value's type for error messages.
fn kind_of(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

impl<'a> Obj<'a> {
    fn at(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) }
    }

    fn bad(&self, detail: String) -> Error {
        Error::BadJson { path: self.file.to_path_buf(), detail }
    }

    fn wrong(&self, key: &str, expected: &str, found: &Value) -> Error {
        self.bad(format!("`{}` should be {expected}, found {}", self.at(key), kind_of(found)))
    }

    fn missing(&self, key: &str) -> Error {
        self.bad(format!("`{}` is required but missing", self.at(key)))
    }

    /// The value at `key`; JSON `null` counts as absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// An optional string; `""` counts as absent (EC2 writes empty strings for "none").
    fn str(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.wrong(key, "a string", other)),
        }
    }

    fn req_str(&self, key: &str) -> Result<String> {
        self.str(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional integer (a JSON number or a numeric string).
    fn i64(&self, key: &str) -> Result<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => Ok(s.trim().parse().ok()),
            Some(other) => Err(self.wrong(key, "an integer", other)),
        }
    }

    fn req_i64(&self, key: &str) -> Result<i64> {
        self.i64(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional number (a JSON number or a numeric string, as savings plans write them).
    fn f64(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_f64().is_some() => Ok(n.as_f64()),
            Some(Value::String(s)) if s.trim().parse::<f64>().is_ok_and(f64::is_finite) => Ok(s.trim().parse().ok()),
            Some(other) => Err(self.wrong(key, "a number", other)),
        }
    }

    fn req_f64(&self, key: &str) -> Result<f64> {
        self.f64(key)?.ok_or_else(|| self.missing(key))
    }

    fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong(key, "true or false", other)),
        }
    }

    /// An optional ISO-8601 timestamp, as microseconds since the epoch (UTC).
    fn ts(&self, key: &str) -> Result<Option<i64>> {
        match self.str(key)? {
            None => Ok(None),
            Some(s) => parse_timestamp(&s).map(|t| Some(micros(t))).ok_or_else(|| {
                self.bad(format!(
                    "`{}` should be an ISO-8601 timestamp (2026-10-01T12:00:00.000Z), found {s:?}",
                    self.at(key)
                ))
            }),
        }
    }

    fn req_ts(&self, key: &str) -> Result<i64> {
        self.ts(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional nested object.
    fn obj(&self, key: &str) -> Result<Option<Obj<'a>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj { map, path: self.at(key), file: self.file })),
            Some(other) => Err(self.wrong(key, "an object", other)),
        }
    }

    /// The elements of an optional array of objects, with their paths; absent = empty.
    fn objs(&self, key: &str) -> Result<Vec<Obj<'a>>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let path = format!("{}[{i}]", self.at(key));
                    match item {
                        Value::Object(map) => Ok(Obj { map, path, file: self.file }),
                        other => Err(self.bad(format!("`{path}` should be an object, found {}", kind_of(other)))),
                    }
                })
                .collect(),
            Some(other) => Err(self.wrong(key, "an array", other)),
        }
    }

    /// An optional array of strings; absent = empty.
    fn strs(&self, key: &str) -> Result<Vec<String>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => {
                        Err(self.bad(format!("`{}[{i}]` should be a string, found {}", self.at(key), kind_of(other))))
                    }
                })
                .collect(),
            Some(other) => Err(self.wrong(key, "an array", other)),
        }
    }

    /// The EC2-style `Tags: [{Key, Value}]` array as a sorted map.
    fn tags(&self) -> Result<BTreeMap<String, String>> {
        let mut tags = BTreeMap::new();
        for tag in self.objs("Tags")? {
            let key = match tag.get("Key") {
                Some(Value::String(k)) => k.clone(),
                Some(other) => return Err(tag.wrong("Key", "a string", other)),
                None => return Err(tag.missing("Key")),
            };
            let value = match tag.get("Value") {
                None => String::new(),
                Some(Value::String(v)) => v.clone(),
                Some(other) => return Err(tag.wrong("Value", "a string", other)),
            };
            tags.insert(key, value);
        }
        Ok(tags)
    }
}

fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| t.naive_utc())
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok())
}

fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// The time in an EC2 state transition reason: `User initiated (2026-10-01 12:00:00 GMT)`.
fn transition_time(reason: &str) -> Option<i64> {
    let open = reason.rfind('(')?;
    let close = reason[open..].find(')')? + open;
    let inside = reason[open + 1..close].trim();
    let inside = inside.strip_suffix("GMT").or_else(|| inside.strip_suffix("UTC")).unwrap_or(inside).trim();
    NaiveDateTime::parse_from_str(inside, "%Y-%m-%d %H:%M:%S").ok().map(micros)
}

fn tags_json(tags: &BTreeMap<String, String>) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "{}".to_owned())
}

/// The top-level array `key`, or an error naming the key and the command.
fn top_level<'a>(file: &FileCtx<'_>, root: &'a Value, key: &str) -> Result<Option<&'a Vec<Value>>> {
    let Value::Object(map) = root else {
        return Err(file.bad(format!(
            "expected a JSON object with a top-level `{key}` array (the output of `{}`), found {}",
            file.command,
            kind_of(root)
        )));
    };
    for token in ["NextToken", "nextToken", "NextMarker", "ContinuationToken"] {
        if map.get(token).is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty())) {
            return Err(file.bad(format!(
                "the dump is truncated (`{token}` is set): re-run `{}` without --max-items/--no-paginate so it holds every page",
                file.command
            )));
        }
    }
    match map.get(key) {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(other) => Err(file.bad(format!("`{key}` should be an array, found {}", kind_of(other)))),
    }
}

fn required_top_level<'a>(file: &FileCtx<'_>, root: &'a Value, key: &str) -> Result<&'a Vec<Value>> {
    top_level(file, root, key)?.ok_or_else(|| {
        file.bad(format!(
            "no top-level `{key}` key: expected the output of `{}` (is this the right file?)",
            file.command
        ))
    })
}

/// The items of a top-level array as objects with paths.
fn items<'a>(file: &FileCtx<'a>, key: &str, values: &'a [Value]) -> Result<Vec<Obj<'a>>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(map) => Ok(Obj { map, path: format!("{key}[{i}]"), file: file.path }),
            other => Err(file.bad(format!("`{key}[{i}]` should be an object, found {}", kind_of(other)))),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Rows.

/// One cell of a row under construction.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Str(String),
    I64(i64),
    F64(f64),
    Bool(bool),
    /// Microseconds since the epoch, UTC.
    Ts(i64),
}

fn s(v: Option<String>) -> Cell {
    v.map_or(Cell::Null, Cell::Str)
}
fn i(v: Option<i64>) -> Cell {
    v.map_or(Cell::Null, Cell::I64)
}
fn f(v: Option<f64>) -> Cell {
    v.map_or(Cell::Null, Cell::F64)
}
fn b(v: Option<bool>) -> Cell {
    v.map_or(Cell::Null, Cell::Bool)
}
fn t(v: Option<i64>) -> Cell {
    v.map_or(Cell::Null, Cell::Ts)
}

/// Places `cells` in `table`'s column order; columns not given are null.
///
/// # Panics
///
/// On a column name or cell type that does not match the schema — a bug in
/// this module, caught by its tests.
fn row(table: Table, cells: Vec<(&'static str, Cell)>) -> Vec<Cell> {
    let mut out = vec![Cell::Null; table.columns().len()];
    for (name, cell) in cells {
        set_cell(table, &mut out, name, cell);
    }
    out
}

/// Sets the cell of column `name` in a row of `table`.
///
/// # Panics
///
/// Like [`row`], on a column or type that does not match the schema.
fn set_cell(table: Table, cells: &mut [Cell], name: &str, cell: Cell) {
    let columns = table.columns();
    let index = columns.iter().position(|c| c.name == name);
    let index = index.unwrap_or_else(|| panic!("table `{table}` has no column `{name}`"));
    let matches = matches!(
        (&cell, columns[index].ty),
        (Cell::Null, _)
            | (Cell::Str(_), ColumnType::Str)
            | (Cell::I64(_), ColumnType::I64)
            | (Cell::F64(_), ColumnType::F64)
            | (Cell::Bool(_), ColumnType::Bool)
            | (Cell::Ts(_), ColumnType::Timestamp)
    );
    assert!(matches, "table `{table}`: column `{name}` is {}, got {cell:?}", columns[index].ty);
    cells[index] = cell;
}

struct SourcedRow {
    cells: Vec<Cell>,
    file_index: usize,
}

fn cell_str<'r>(table: Table, cells: &'r [Cell], column: &str) -> Option<&'r str> {
    let index = table.columns().iter().position(|c| c.name == column)?;
    match &cells[index] {
        Cell::Str(s) => Some(s),
        _ => None,
    }
}

/// Refuses a row whose identifier ([`Table::identifier_columns`]) is not a plain shell word: AWS never writes
/// one with spaces, quotes or `$`, and these values are pasted into the remediation commands.
fn check_identifiers(path: &Path, table: Table, rows: &[Vec<Cell>]) -> Result<()> {
    for column in table.identifier_columns() {
        let index = table.columns().iter().position(|c| c.name == column.name).expect("a column of the table");
        for cells in rows {
            if let Cell::Str(value) = &cells[index]
                && !crate::finding::is_plain_shell_word(value)
            {
                return Err(Error::BadJson {
                    path: path.to_path_buf(),
                    detail: format!(
                        "{table}.{} {value:?} is not an AWS identifier (letters, digits and . _ - / : @ % + = , only)",
                        column.name
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The columns that identify a row (and order the table).
fn sort_key_columns(table: Table) -> &'static [&'static str] {
    match table {
        Table::Instances => &["account_id", "region", "instance_id"],
        Table::Volumes => &["account_id", "region", "volume_id"],
        Table::Snapshots => &["account_id", "region", "snapshot_id"],
        Table::Images => &["account_id", "region", "image_id"],
        Table::LaunchTemplates => &["account_id", "region", "launch_template_id", "version_number"],
        Table::AutoScalingGroups => &["account_id", "region", "auto_scaling_group_name"],
        Table::Addresses => &["account_id", "region", "allocation_id"],
        Table::LoadBalancers => &["account_id", "region", "load_balancer_arn"],
        Table::NatGateways => &["account_id", "region", "nat_gateway_id"],
        Table::Buckets => &["account_id", "bucket"],
        Table::Reservations => &["account_id", "region", "reservation_id"],
        Table::SavingsPlans => &["account_id", "savings_plan_id"],
        Table::Costs | Table::Metrics | Table::S3Objects => &[],
    }
}

/// The cell of `column`, if the table has it.
fn cell<'r>(table: Table, cells: &'r [Cell], column: &str) -> Option<&'r Cell> {
    table.columns().iter().position(|c| c.name == column).map(|index| &cells[index])
}

/// Orders two cells of the same column: nulls first, then by value.
fn compare_cells(a: Option<&Cell>, b: Option<&Cell>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Some(Cell::Str(a)), Some(Cell::Str(b))) => a.cmp(b),
        (Some(Cell::I64(a) | Cell::Ts(a)), Some(Cell::I64(b) | Cell::Ts(b))) => a.cmp(b),
        (Some(Cell::F64(a)), Some(Cell::F64(b))) => a.total_cmp(b),
        (Some(Cell::Bool(a)), Some(Cell::Bool(b))) => a.cmp(b),
        (None | Some(Cell::Null), None | Some(Cell::Null)) => Ordering::Equal,
        (None | Some(Cell::Null), _) => Ordering::Less,
        (_, None | Some(Cell::Null)) => Ordering::Greater,
        // Cells of one column always share a type.
        _ => Ordering::Equal,
    }
}

fn compare_keys(table: Table, key: &[&str], a: &[Cell], b: &[Cell]) -> std::cmp::Ordering {
    key.iter()
        .map(|column| compare_cells(cell(table, a, column), cell(table, b, column)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// A key cell as text, for error messages.
fn key_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Str(v) => Some(v.clone()),
        Cell::I64(v) => Some(v.to_string()),
        _ => None,
    }
}

/// Drops exact duplicates of a resource; the same resource with different
/// values in two files is an error (two dumps taken at different times).
fn dedupe(table: Table, key: &[&str], rows: Vec<SourcedRow>, paths: &[PathBuf]) -> Result<Vec<SourcedRow>> {
    let mut out: Vec<SourcedRow> = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(previous) = out.last()
            && compare_keys(table, key, &previous.cells, &row.cells).is_eq()
        {
            if previous.cells == row.cells {
                continue;
            }
            let id: Vec<String> = key.iter().filter_map(|c| cell(table, &row.cells, c).and_then(key_text)).collect();
            return Err(Error::BadJson {
                path: paths[row.file_index].clone(),
                detail: format!(
                    "{table} row {} also appears in {} with different values; import one dump per account and region",
                    id.join("/"),
                    paths[previous.file_index].display()
                ),
            });
        }
        out.push(row);
    }
    Ok(out)
}

fn build_frame(table: Table, rows: &[SourcedRow], origin: &Path) -> Result<DataFrame> {
    let mut columns = Vec::with_capacity(table.columns().len());
    for (index, column) in table.columns().iter().enumerate() {
        let name: PlSmallStr = column.name.into();
        let cells = rows.iter().map(|r| &r.cells[index]);
        let series = match column.ty {
            ColumnType::Str => Series::new(
                name,
                cells.map(|c| if let Cell::Str(v) = c { Some(v.as_str()) } else { None }).collect::<Vec<_>>(),
            ),
            ColumnType::I64 => {
                Series::new(name, cells.map(|c| if let Cell::I64(v) = c { Some(*v) } else { None }).collect::<Vec<_>>())
            }
            ColumnType::F64 => {
                Series::new(name, cells.map(|c| if let Cell::F64(v) = c { Some(*v) } else { None }).collect::<Vec<_>>())
            }
            ColumnType::Bool => Series::new(
                name,
                cells.map(|c| if let Cell::Bool(v) = c { Some(*v) } else { None }).collect::<Vec<_>>(),
            ),
            ColumnType::Timestamp => {
                Series::new(name, cells.map(|c| if let Cell::Ts(v) = c { Some(*v) } else { None }).collect::<Vec<_>>())
                    .cast(&column.ty.dtype())
                    .during(|| format!("building table `{table}`"))?
            }
        };
        columns.push(series.into_column());
    }
    let frame = DataFrame::new(rows.len(), columns).during(|| format!("building table `{table}`"))?;
    conform(frame.lazy(), table, origin)?.collect().during(|| format!("building table `{table}`"))
}

// ---------------------------------------------------------------------------
// The dumps.

fn read_dump(file: &FileCtx<'_>, root: &Value) -> Result<(&'static str, Vec<Vec<Cell>>)> {
    let command = file.command;
    let format = command.strip_suffix(" --output json").unwrap_or(command);
    match file.table {
        Table::Instances => Ok((format, instances(file, root)?)),
        Table::Volumes => Ok((format, volumes(file, root)?)),
        Table::Snapshots => Ok((format, snapshots(file, root)?)),
        Table::Images => Ok((format, images(file, root)?)),
        Table::Addresses => Ok((format, addresses(file, root)?)),
        Table::NatGateways => Ok((format, nat_gateways(file, root)?)),
        Table::Reservations => Ok((format, reservations(file, root)?)),
        Table::LoadBalancers => load_balancers(file, root),
        Table::Buckets => Ok((format, buckets(file, root)?)),
        Table::SavingsPlans => Ok((format, savings_plans(file, root)?)),
        Table::LaunchTemplates => Ok((format, launch_templates(file, root)?)),
        Table::AutoScalingGroups => Ok((format, auto_scaling_groups(file, root)?)),
        Table::Costs | Table::Metrics | Table::S3Objects => unreachable!("no CLI dump fills `{}`", file.table),
    }
}

fn name_tag(tags: &BTreeMap<String, String>) -> Option<String> {
    tags.get("Name").filter(|v| !v.is_empty()).cloned()
}

fn instances(file: &FileCtx<'_>, root: &Value) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for reservation in items(file, "Reservations", required_top_level(file, root, "Reservations")?)? {
        let owner = reservation.str("OwnerId")?;
        for it in reservation.objs("Instances")? {
            let instance_id = it.req_str("InstanceId")?;
            let placement = it.obj("Placement")?;
            let zone = placement.as_ref().map(|p| p.str("AvailabilityZone")).transpose()?.flatten();
            let tenancy = placement.as_ref().map(|p| p.str("Tenancy")).transpose()?.flatten();
            let state = it.obj("State")?.ok_or_else(|| it.missing("State"))?.req_str("Name")?;
            let launch_time = it.ts("LaunchTime")?;
            let state_changed_at = if state == "running" {
                launch_time
            } else {
                it.str("StateTransitionReason")?.as_deref().and_then(transition_time)
            };
            let root_device = it.str("RootDeviceName")?;
            let mut root_volume_id = None;
            for mapping in it.objs("BlockDeviceMappings")? {
                let device = mapping.str("DeviceName")?;
                let same = match (&device, &root_device) {
                    (Some(d), Some(r)) => d == r || d.trim_start_matches("/dev/") == r.trim_start_matches("/dev/"),
                    _ => false,
                };
                if same {
                    root_volume_id = mapping.obj("Ebs")?.map(|e| e.str("VolumeId")).transpose()?.flatten();
                    break;
                }
            }
            let tags = it.tags()?;
            let account = file.account(&it.path, owner.as_deref())?;
            let region = file.region(&it.path, zone.as_deref().and_then(region_of_zone).as_deref())?;
            rows.push(row(
                Table::Instances,
                vec![
                    ("account_id", Cell::Str(account)),
                    ("region", Cell::Str(region)),
                    ("availability_zone", s(zone)),
                    ("instance_id", Cell::Str(instance_id)),
                    ("name", s(name_tag(&tags))),
                    ("instance_type", Cell::Str(it.req_str("InstanceType")?)),
                    ("image_id", s(it.str("ImageId")?)),
                    ("state", Cell::Str(state)),
                    ("state_changed_at", t(state_changed_at)),
                    ("launch_time", t(launch_time)),
                    ("platform", s(it.str("PlatformDetails")?)),
                    ("architecture", s(it.str("Architecture")?)),
                    ("tenancy", s(tenancy)),
                    ("lifecycle", Cell::Str(it.str("InstanceLifecycle")?.unwrap_or_else(|| "on-demand".to_owned()))),
                    ("auto_scaling_group", s(tags.get("aws:autoscaling:groupName").cloned())),
                    ("root_volume_id", s(root_volume_id)),
                    ("tags", Cell::Str(tags_json(&tags))),
                ],
            ));
        }
    }
    Ok(rows)
}

fn volumes(file: &FileCtx<'_>, root: &Value) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for v in items(file, "Volumes", required_top_level(file, root, "Volumes")?)? {
        let volume_id = v.req_str("VolumeId")?;
        let zone = v.str("AvailabilityZone")?;
        let mut attached = None;
        for a in v.objs("Attachments")? {
            if a.str("State")?.as_deref() != Some("detached") {
                attached = Some((a.str("InstanceId")?, a.ts("AttachTime")?));
                break;
            }
        }
        let (attached_instance_id, attach_time) = attached.unwrap_or((None, None));
        let tags = v.tags()?;
        let account = file.account(&v.path, None)?;
        let region = file.region(&v.path, zone.as_deref().and_then(region_of_zone).as_deref())?;
        rows.push(row(
            Table::Volumes,
            vec![
                ("account_id", Cell::Str(account)),
                ("region", Cell::Str(region)),
                ("availability_zone", s(zone)),
                ("volume_id", Cell::Str(volume_id)),
                ("name", s(name_tag(&tags))),
                ("volume_type", Cell::Str(v.req_str("VolumeType")?)),
                ("size_gib", Cell::I64(v.req_i64("Size")?)),
                ("iops", i(v.i64("Iops")?)),
                ("throughput_mibps", i(v.i64("Throughput")?)),
                ("state", Cell::Str(v.req_str("State")?)),
                ("create_time", t(v.ts("CreateTime")?)),
                ("attached_instance_id", s(attached_instance_id)),
                ("attach_time", t(attach_time)),
                ("encrypted", b(v.bool("Encrypted")?)),
                ("snapshot_id", s(v.str("SnapshotId")?)),
                ("tags", Cell::Str(tags_json(&tags))),
            ],
        ));
    }
    Ok(rows)
}

fn snapshots(file: &FileCtx<'_>, root: &Value) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for v in items(file, "Snapshots", required_top_level(file, root, "Snapshots")?)? {
        let snapshot_id = v.req_str("SnapshotId")?;
        let tags = v.tags()?;
        let account = file.account(&v.path, v.str("OwnerId")?.as_deref())?;
        let region = file.region(&v.path, None)?;
        rows.push(row(
            Table::Snapshots,
            vec![
                ("account_id", Cell::Str(account)),
                ("region", Cell::Str(region)),
                ("snapshot_id", Cell::Str(snapshot_id)),
                ("name", s(name_tag(&tags))),
                ("volume_id", s(v.str("VolumeId")?)),
                ("volume_size_gib", i(v.i64("VolumeSize")?)),
                ("full_snapshot_size_bytes", i(v.i64("FullSnapshotSizeInBytes")?)),
                ("start_time", t(v.ts("StartTime")?)),
                ("state", s(v.str("State")?)),
                ("storage_tier", s(v.str("StorageTier")?)),
                ("description", s(v.str("Description")?)),
                ("tags", Cell::Str(tags_json(&tags))),
            ],
        ));
    }
    Ok(rows)
}

fn images(file: &FileCtx<'_>, root: &Value) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for v in items(file, "Images", required_top_level(file, root, "Images")?)? {
        let image_id = v.req_str("ImageId")?;
        let mut snapshot_ids = Vec::new();
        for mapping in v.objs("BlockDeviceMappings")? {
            if let Some(ebs) = mapping.obj("Ebs")?
                && let Some(id) = ebs.str("SnapshotId")?
            {
                snapshot_ids.push(id);
            }
        }
        let tags = v.tags()?;
        let account = file.account(&v.path, v.str("OwnerId")?.as_deref())?;
        let region = file.region(&v.path, None)?;
        rows.push(row(
            Table::Images,
            vec![
                ("account_id", Cell::Str(account)),
                ("region", Cell::Str(region)),
                ("image_id", Cell::Str(image_id)),
                ("name", s(v.str("Name")?)),
                ("state", s(v.str("State")?)),
                ("creation_date", t(v.ts("CreationDate")?)),
                ("last_launched_time", t(v.ts("LastLaunchedTime")?)),
                ("snapshot_ids", Cell::Str(serde_json::to_string(&snapshot_ids).unwrap_or_else(|_| "[]".into()))),
                ("tags", Cell::Str(tags_json(&tags))),
            ],
        ));
    }
    Ok(rows)
}

/// One row per launch template version. The dump holds each template's
/// `$Latest` and `$Default` versions, so the highest version number of a
/// template in the file is its latest; `DefaultVersion` marks the default.
fn launch_templates(file: &FileCtx<'_>, root: &Value) -> Result<Vec<Vec<Cell>>> {
    let key = "LaunchTemplateVersions";
    let versions = items(file, key, required_top_level(file, root, key)?)?;
    let mut parsed = Vec::with_capacity(versions.len());
    let mut latest: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for v in &versions {
        let template_id = v.req_str("LaunchTemplateId")?;
        let version = v.req_i64("VersionNumber")?;
        let default = v.bool("DefaultVersion")?.ok_or_else(|| v.missing("DefaultVersion"))?;
        let image_id = v.obj("LaunchTemplateData")?.map(|d| d.str("ImageId")).transpose()?.flatten();
        let created_by = v.str("CreatedBy")?;
        let account = file.account(&v.path, created_by.as_deref().and_then(|arn| arn_parts(arn).1).as_deref())?;
        let region = file.region(&v.path, None)?;
        let highest = latest.entry((account.clone(), region.clone(), template_id.clone())).or_insert(version);
        *highest = (*highest).max(version);
        parsed.push((account, region, template_id, version, default, image_id, v));
    }
    let mut rows = Vec::with_capacity(parsed.len());
    for (account, region, template_id, version, default, image_id, v) in parsed {
        let is_latest = latest.get(&(account.clone(), region.clone(), template_id.clone())) == Some(&version);
        rows.push(row(
            Table::LaunchTemplates,
            vec![
                ("account_id", Cell::Str(account)),
                ("region", Cell::Str(region)),
                ("launch_template_id", Cell::Str(template_id)),
                ("launch_template_name", s(v.str("LaunchTemplateName")?)),
                ("version_number", Cell::I64(version)),
                ("default_version", Cell::Bool(default)),
                ("latest_version", Cell::Bool(is_latest)),
                ("image_id", s(image_id)),
                ("create_time", t(v.ts("CreateTime")?)),
            ],
        ));
    }
    Ok(rows)
}

fn addresses(file: &FileCtx<'_>, root: &Value) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for v in items(file, "Addresses", required_top_level(file, root, "Addresses")?)? {
        let public_ip = v.req_str("PublicIp")?;
        let allocation_id = v.str("AllocationId")?.unwrap_or_else(|| public_ip.clone());
        let tags = v.tags()?;
        let border_group = v.str("NetworkBorderGroup")?.filter(|g| is_region(g));
        let account = file.account(&v.path, None)?;
        let region = file.region(&v.path, border_group.as_deref())?;
        rows.push(row(
            Table::Addresses,
            vec![
                ("account_id", Cell::Str(account)),
                ("region", Cell::Str(region)),
                ("allocation_id", Cell::Str(allocation_id)),
                ("name", s(name_tag(&tags))),
                ("public_ip", Cell::Str(public_ip)),
                ("association_id", s(v.str("AssociationId")?)),
                ("instance_id", s(v.str("InstanceId")?)),
                ("network_interface_id", s(v.str("NetworkInterfaceId")?)),
                ("domain", s(v.str("Domain")?)),
                ("tags", Cell::Str(tags_json(&tags))),
            ],
        ));
    }
    Ok(rows)
}

fn nat_gateways(file: &FileCtx<'_>, root: &Value) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for v in items(file, "NatGateways", required_top_level(file, root, "NatGateways")?)? {
        let nat_gateway_id = v.req_str("NatGatewayId")?;
        let tags = v.tags()?;
        let account = file.account(&v.path, None)?;
        let region = file.region(&v.path, None)?;
        rows.push(row(
            Table::NatGateways,
            vec![
                ("account_id", Cell::Str(account)),
                ("region", Cell::Str(region)),
                ("nat_gateway_id", Cell::Str(nat_gateway_id)),
                ("name", s(name_tag(&tags))),
                ("state", Cell::Str(v.req_str("State")?)),
                ("connectivity_type", s(v.str("ConnectivityType")?)),
                ("vpc_id", s(v.str("VpcId")?)),
                ("subnet_id", s(v.str("SubnetId")?)),
                ("create_time", t(v.ts("CreateTime")?)),
                ("tags", Cell::Str(tags_json(&tags))),
            ],
        ));
    }
    Ok(rows)
}

fn reservations(file: &FileCtx<'_>, root: &Value) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for v in items(file, "ReservedInstances", required_top_level(file, root, "ReservedInstances")?)? {
        let reservation_id = v.req_str("ReservedInstancesId")?;
        let zone = v.str("AvailabilityZone")?;
        let recurring = v.get("RecurringCharges").is_some();
        let mut recurring_hourly = 0.0;
        for charge in v.objs("RecurringCharges")? {
            if charge.str("Frequency")?.as_deref() == Some("Hourly") {
                recurring_hourly += charge.req_f64("Amount")?;
            }
        }
        let account = file.account(&v.path, None)?;
        let region = file.region(&v.path, zone.as_deref().and_then(region_of_zone).as_deref())?;
        rows.push(row(
            Table::Reservations,
            vec![
                ("account_id", Cell::Str(account)),
                ("region", Cell::Str(region)),
                ("reservation_id", Cell::Str(reservation_id)),
                ("instance_type", Cell::Str(v.req_str("InstanceType")?)),
                ("instance_count", Cell::I64(v.req_i64("InstanceCount")?)),
                ("product_description", s(v.str("ProductDescription")?)),
                ("scope", s(v.str("Scope")?)),
                ("availability_zone", s(zone)),
                ("offering_class", s(v.str("OfferingClass")?)),
                ("offering_type", s(v.str("OfferingType")?)),
                ("tenancy", s(v.str("InstanceTenancy")?)),
                ("start", Cell::Ts(v.req_ts("Start")?)),
                ("end", Cell::Ts(v.req_ts("End")?)),
                ("fixed_price", f(v.f64("FixedPrice")?)),
                ("usage_price", f(v.f64("UsagePrice")?)),
                ("recurring_hourly", f(recurring.then_some(recurring_hourly))),
                ("state", Cell::Str(v.req_str("State")?)),
                ("currency", s(v.str("CurrencyCode")?)),
            ],
        ));
    }
    Ok(rows)
}

fn load_balancers(file: &FileCtx<'_>, root: &Value) -> Result<(&'static str, Vec<Vec<Cell>>)> {
    let v2 = top_level(file, root, "LoadBalancers")?;
    let classic = top_level(file, root, "LoadBalancerDescriptions")?;
    if v2.is_none() && classic.is_none() {
        return Err(file.bad(
            "no top-level `LoadBalancers` key (output of `aws elbv2 describe-load-balancers --output json`) \
             or `LoadBalancerDescriptions` key (output of `aws elb describe-load-balancers --output json`)"
                .to_owned(),
        ));
    }
    let mut rows = Vec::new();
    for v in items(file, "LoadBalancers", v2.map_or(&[][..], Vec::as_slice))? {
        let arn = v.req_str("LoadBalancerArn")?;
        let (arn_region, arn_account) = arn_parts(&arn);
        let state = v.obj("State")?.map(|s| s.str("Code")).transpose()?.flatten();
        let tags = v.tags()?;
        let account = file.account(&v.path, arn_account.as_deref())?;
        let region = file.region(&v.path, arn_region.as_deref())?;
        rows.push(row(
            Table::LoadBalancers,
            vec![
                ("account_id", Cell::Str(account)),
                ("region", Cell::Str(region)),
                ("load_balancer_arn", Cell::Str(arn)),
                ("name", Cell::Str(v.req_str("LoadBalancerName")?)),
                ("lb_type", Cell::Str(v.req_str("Type")?)),
                ("scheme", s(v.str("Scheme")?)),
                ("state", s(state)),
                ("created_time", t(v.ts("CreatedTime")?)),
                ("vpc_id", s(v.str("VpcId")?)),
                ("tags", Cell::Str(tags_json(&tags))),
            ],
        ));
    }
    for v in items(file, "LoadBalancerDescriptions", classic.map_or(&[][..], Vec::as_slice))? {
        let name = v.req_str("LoadBalancerName")?;
        let zone_region = v.strs("AvailabilityZones")?.iter().find_map(|z| region_of_zone(z));
        let tags = v.tags()?;
        let account = file.account(&v.path, None)?;
        let region = file.region(&v.path, zone_region.as_deref())?;
        rows.push(row(
            Table::LoadBalancers,
            vec![
                ("account_id", Cell::Str(account)),
                ("region", Cell::Str(region)),
                ("load_balancer_arn", Cell::Str(name.clone())),
                ("name", Cell::Str(name)),
                ("lb_type", Cell::Str("classic".to_owned())),
                ("scheme", s(v.str("Scheme")?)),
                ("created_time", t(v.ts("CreatedTime")?)),
                ("vpc_id", s(v.str("VPCId")?)),
                ("tags", Cell::Str(tags_json(&tags))),
            ],
        ));
    }
    let format = if v2.is_none() { CLASSIC_ELB_COMMAND } else { file.command };
    Ok((format.strip_suffix(" --output json").unwrap_or(format), rows))
}

fn buckets(file: &FileCtx<'_>, root: &Value) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for v in items(file, "Buckets", required_top_level(file, root, "Buckets")?)? {
        let bucket = v.req_str("Name")?;
        // list-buckets lists every bucket of the account whichever region it is
        // run in, so the directory's region says nothing about the bucket.
        let region = match v.str("BucketRegion")? {
            Some(region) => region,
            None => file.scope.region.clone().ok_or_else(|| {
                file.bad(format!(
                    "`{}.BucketRegion` is missing (bucket `{bucket}`; older AWS CLI versions do not write it), \
                     so its region is unknown: re-run `aws s3api list-buckets` with a current AWS CLI or pass --region",
                    v.path
                ))
            })?,
        };
        let account = file.account(&v.path, None)?;
        rows.push(row(
            Table::Buckets,
            vec![
                ("account_id", Cell::Str(account)),
                ("region", Cell::Str(region)),
                ("bucket", Cell::Str(bucket)),
                ("creation_date", t(v.ts("CreationDate")?)),
                ("tags", Cell::Str("{}".to_owned())),
            ],
        ));
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------
// Per-bucket S3 configuration dumps (`s3-bucket-config/<bucket>/*.json`).

impl BucketSetting {
    /// What the setting is called in messages.
    fn what(self) -> &'static str {
        match self {
            BucketSetting::Lifecycle => "lifecycle configuration",
            BucketSetting::Versioning => "versioning",
            BucketSetting::IntelligentTiering => "Intelligent-Tiering configurations",
        }
    }
}

/// What one per-bucket dump says.
#[derive(Debug, Clone, PartialEq)]
enum BucketConfigValue {
    /// The `Rules` array as compact JSON, and how many of the rules are enabled.
    Lifecycle { rules: String, enabled: i64 },
    /// `Enabled`, `Suspended`, or none (never enabled).
    Versioning(Option<String>),
    /// How many Intelligent-Tiering configurations are enabled.
    IntelligentTiering(i64),
}

/// One per-bucket dump, read.
#[derive(Debug)]
struct BucketConfig {
    account: String,
    bucket: String,
    setting: BucketSetting,
    value: BucketConfigValue,
}

/// The first line of an AWS CLI error message saved in place of the output
/// (`An error occurred (NoSuchLifecycleConfiguration) when calling ...`), if the text is one.
fn cli_error(text: &str) -> Option<&str> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    line.starts_with("An error occurred (").then_some(line)
}

fn read_bucket_config(
    path: &Path,
    dump: &'static BucketConfigDump,
    bucket: String,
    scope: &CliScope,
) -> Result<BucketConfig> {
    // Only the directories above `s3-bucket-config` say the account: a bucket
    // may be named like an account id or a region. A region directory says
    // nothing about a bucket (its region comes from list-buckets.json).
    let file = FileCtx::under(path, path.parent().and_then(Path::parent), dump.command, Table::Buckets, scope);
    let account = file.account(&bucket, None)?;
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let not_collected = "delete the file if the command failed (the bucket's setting then counts as not collected)";
    let value = if text.trim().is_empty() {
        match dump.setting {
            // The AWS CLI prints nothing for an empty response: versioning never enabled.
            BucketSetting::Versioning => BucketConfigValue::Versioning(None),
            BucketSetting::Lifecycle => {
                return Err(file.bad(format!(
                    "the file is empty: `{}` fails with {NO_LIFECYCLE_CONFIGURATION} for a bucket without lifecycle \
                     rules; save `{{\"Rules\": []}}` for such a bucket (docs/import-aws-cli.md has a loop that does), \
                     and {not_collected}",
                    dump.command
                )));
            }
            BucketSetting::IntelligentTiering => {
                return Err(file.bad(format!(
                    "the file is empty: `{}` prints at least `{{\"IsTruncated\": false}}`; re-run it, or {not_collected}",
                    dump.command
                )));
            }
        }
    } else if let Some(error) = cli_error(&text) {
        if dump.setting == BucketSetting::Lifecycle && error.contains(&format!("({NO_LIFECYCLE_CONFIGURATION})")) {
            BucketConfigValue::Lifecycle { rules: "[]".to_owned(), enabled: 0 }
        } else {
            return Err(file.bad(format!(
                "holds an AWS CLI error instead of the command's JSON output: {error}; fix the cause and re-run `{}`, \
                 or {not_collected}",
                dump.command
            )));
        }
    } else {
        let root = parse_json_text(path, &text)?;
        match dump.setting {
            BucketSetting::Lifecycle => lifecycle_configuration(&file, &root)?,
            BucketSetting::Versioning => versioning(&file, &root)?,
            BucketSetting::IntelligentTiering => intelligent_tiering_configurations(&file, &root)?,
        }
    };
    Ok(BucketConfig { account, bucket, setting: dump.setting, value })
}

/// The top-level object of a per-bucket dump.
fn top_object<'a>(file: &FileCtx<'a>, root: &'a Value) -> Result<Obj<'a>> {
    match root {
        Value::Object(map) => Ok(Obj { map, path: String::new(), file: file.path }),
        other => Err(file.bad(format!(
            "expected a JSON object (the output of `{}`), found {}",
            file.command,
            kind_of(other)
        ))),
    }
}

/// A rule's or configuration's `Status`: one of `allowed`; returns whether it is the first.
fn status(item: &Obj<'_>, allowed: [&str; 2]) -> Result<bool> {
    let status = item.req_str("Status")?;
    if !allowed.contains(&status.as_str()) {
        return Err(item.bad(format!(
            "`{}` should be `{}` or `{}`, found {status:?}",
            item.at("Status"),
            allowed[0],
            allowed[1]
        )));
    }
    Ok(status == allowed[0])
}

/// `get-bucket-lifecycle-configuration`: `{"Rules": [...], "TransitionDefaultMinimumObjectSize": ...}`.
fn lifecycle_configuration(file: &FileCtx<'_>, root: &Value) -> Result<BucketConfigValue> {
    let rules = required_top_level(file, root, "Rules")?;
    let mut enabled = 0;
    for rule in items(file, "Rules", rules)? {
        if status(&rule, ["Enabled", "Disabled"])? {
            enabled += 1;
        }
    }
    let rules = serde_json::to_string(rules).map_err(|e| file.bad(format!("`Rules` cannot be re-serialized: {e}")))?;
    Ok(BucketConfigValue::Lifecycle { rules, enabled })
}

/// `get-bucket-versioning`: `{"Status": "Enabled"}`, `{}` (or nothing) when never enabled.
fn versioning(file: &FileCtx<'_>, root: &Value) -> Result<BucketConfigValue> {
    let object = top_object(file, root)?;
    if !object.map.is_empty() && !object.map.contains_key("Status") && !object.map.contains_key("MFADelete") {
        return Err(file.bad(format!(
            "no top-level `Status` key: expected the output of `{}` (`{{}}` when versioning was never enabled; is this the right file?)",
            file.command
        )));
    }
    if object.get("Status").is_none() {
        return Ok(BucketConfigValue::Versioning(None));
    }
    let enabled = status(&object, ["Enabled", "Suspended"])?;
    Ok(BucketConfigValue::Versioning(Some(if enabled { "Enabled" } else { "Suspended" }.to_owned())))
}

/// `list-bucket-intelligent-tiering-configurations`: `{"IsTruncated": false, "IntelligentTieringConfigurationList": [...]}`.
fn intelligent_tiering_configurations(file: &FileCtx<'_>, root: &Value) -> Result<BucketConfigValue> {
    let key = "IntelligentTieringConfigurationList";
    let object = top_object(file, root)?;
    if object.bool("IsTruncated")? == Some(true) {
        return Err(file.bad(format!(
            "the dump is truncated (`IsTruncated` is true): the bucket has more configurations than `{}` returns at once",
            file.command
        )));
    }
    let list = top_level(file, root, key)?;
    if list.is_none() && !object.map.is_empty() && !object.map.contains_key("IsTruncated") {
        return Err(file.bad(format!(
            "no top-level `{key}` key: expected the output of `{}` (is this the right file?)",
            file.command
        )));
    }
    let mut enabled = 0;
    for config in items(file, key, list.map_or(&[][..], Vec::as_slice))? {
        if status(&config, ["Enabled", "Disabled"])? {
            enabled += 1;
        }
    }
    Ok(BucketConfigValue::IntelligentTiering(enabled))
}

/// The per-bucket dumps read so far, by account, bucket and setting, with the
/// file each came from and whether a `buckets` row took it.
#[derive(Default)]
struct BucketConfigs {
    entries: BTreeMap<(String, String, BucketSetting), (BucketConfigValue, usize, bool)>,
}

impl BucketConfigs {
    /// Adds a dump; the same setting of a bucket in two files must agree.
    fn add(&mut self, config: BucketConfig, file_index: usize, paths: &[PathBuf]) -> Result<()> {
        let key = (config.account, config.bucket, config.setting);
        match self.entries.get(&key) {
            Some((value, _, _)) if *value == config.value => Ok(()),
            Some((_, previous, _)) => Err(Error::BadJson {
                path: paths[file_index].clone(),
                detail: format!(
                    "the {} of bucket `{}` (account {}) also appears in {} with different values; import one dump per bucket",
                    key.2.what(),
                    key.1,
                    key.0,
                    paths[*previous].display()
                ),
            }),
            None => {
                self.entries.insert(key, (config.value, file_index, false));
                Ok(())
            }
        }
    }

    /// Fills the configuration columns of the `buckets` rows that have dumps.
    fn apply(&mut self, rows: &mut [SourcedRow]) {
        for row in rows {
            let (Some(account), Some(bucket)) = (
                cell_str(Table::Buckets, &row.cells, "account_id").map(str::to_owned),
                cell_str(Table::Buckets, &row.cells, "bucket").map(str::to_owned),
            ) else {
                continue;
            };
            for dump in BUCKET_CONFIG_DUMPS {
                let Some((value, _, applied)) = self.entries.get_mut(&(account.clone(), bucket.clone(), dump.setting))
                else {
                    continue;
                };
                *applied = true;
                let cells = &mut row.cells;
                match value.clone() {
                    BucketConfigValue::Lifecycle { rules, enabled } => {
                        set_cell(Table::Buckets, cells, "lifecycle_rules", Cell::Str(rules));
                        set_cell(Table::Buckets, cells, "lifecycle_rule_count", Cell::I64(enabled));
                    }
                    BucketConfigValue::Versioning(status) => set_cell(Table::Buckets, cells, "versioning", s(status)),
                    BucketConfigValue::IntelligentTiering(enabled) => {
                        set_cell(Table::Buckets, cells, "intelligent_tiering_configs", Cell::I64(enabled));
                    }
                }
            }
        }
    }

    /// Fails on the first dump whose bucket no `list-buckets.json` listed.
    fn all_applied(&self, paths: &[PathBuf]) -> Result<()> {
        match self.entries.iter().find(|(_, (_, _, applied))| !applied) {
            None => Ok(()),
            Some(((account, bucket, _), (_, file_index, _))) => Err(Error::BadJson {
                path: paths[*file_index].clone(),
                detail: format!(
                    "bucket `{bucket}` of account {account} is in no list-buckets.json among the inputs: add the \
                     account's list-buckets.json (`aws s3api list-buckets --output json`), or check that the directory \
                     under {BUCKET_CONFIG_DIR}/ is named exactly like the bucket and sits in the right account directory"
                ),
            }),
        }
    }
}

/// One row per Auto Scaling group. The launch template comes from the group's
/// own `LaunchTemplate` or from its mixed-instances policy's, whichever it
/// has; the policy's overrides give the instance types it may launch.
fn auto_scaling_groups(file: &FileCtx<'_>, root: &Value) -> Result<Vec<Vec<Cell>>> {
    let key = "AutoScalingGroups";
    let mut rows = Vec::new();
    for g in items(file, key, required_top_level(file, root, key)?)? {
        let name = g.req_str("AutoScalingGroupName")?;
        let arn = g.str("AutoScalingGroupARN")?;
        let (arn_region, arn_account) = arn.as_deref().map(arn_parts).unwrap_or_default();
        let account = file.account(&g.path, arn_account.as_deref())?;
        let region = file.region(&g.path, arn_region.as_deref())?;
        let policy = g.obj("MixedInstancesPolicy")?;
        let policy_template = match &policy {
            Some(p) => p.obj("LaunchTemplate")?,
            None => None,
        };
        let template = match (g.obj("LaunchTemplate")?, &policy_template) {
            (Some(direct), _) => Some(direct),
            (None, Some(t)) => t.obj("LaunchTemplateSpecification")?,
            (None, None) => None,
        };
        let mut types = Vec::new();
        if let Some(t) = &policy_template {
            for o in t.objs("Overrides")? {
                if let Some(instance_type) = o.str("InstanceType")? {
                    types.push(instance_type);
                }
            }
        }
        let instance_count = g.objs("Instances")?.len();
        rows.push(row(
            Table::AutoScalingGroups,
            vec![
                ("account_id", Cell::Str(account)),
                ("region", Cell::Str(region)),
                ("auto_scaling_group_name", Cell::Str(name)),
                ("auto_scaling_group_arn", s(arn)),
                ("min_size", Cell::I64(g.req_i64("MinSize")?)),
                ("max_size", Cell::I64(g.req_i64("MaxSize")?)),
                ("desired_capacity", Cell::I64(g.req_i64("DesiredCapacity")?)),
                ("instance_count", Cell::I64(i64::try_from(instance_count).unwrap_or(i64::MAX))),
                ("launch_template_id", s(template.as_ref().map(|t| t.str("LaunchTemplateId")).transpose()?.flatten())),
                (
                    "launch_template_name",
                    s(template.as_ref().map(|t| t.str("LaunchTemplateName")).transpose()?.flatten()),
                ),
                ("launch_template_version", s(template.as_ref().map(|t| t.str("Version")).transpose()?.flatten())),
                ("launch_configuration_name", s(g.str("LaunchConfigurationName")?)),
                ("mixed_instances_policy", Cell::Bool(policy.is_some())),
                ("instance_types", s(Some(types.join(",")).filter(|t| !t.is_empty()))),
                ("created_time", t(g.ts("CreatedTime")?)),
                ("tags", Cell::Str(tags_json(&g.tags()?))),
            ],
        ));
    }
    Ok(rows)
}

fn savings_plans(file: &FileCtx<'_>, root: &Value) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for v in items(file, "savingsPlans", required_top_level(file, root, "savingsPlans")?)? {
        let savings_plan_id = v.req_str("savingsPlanId")?;
        let arn = v.str("savingsPlanArn")?;
        let arn_account = arn.as_deref().and_then(|a| arn_parts(a).1);
        let account = file.account(&v.path, arn_account.as_deref())?;
        rows.push(row(
            Table::SavingsPlans,
            vec![
                ("account_id", Cell::Str(account)),
                ("savings_plan_id", Cell::Str(savings_plan_id)),
                ("savings_plan_arn", s(arn)),
                ("plan_type", Cell::Str(v.req_str("savingsPlanType")?)),
                ("payment_option", s(v.str("paymentOption")?)),
                ("region", s(v.str("region")?)),
                ("instance_family", s(v.str("ec2InstanceFamily")?)),
                ("commitment_per_hour", Cell::F64(v.req_f64("commitment")?)),
                ("upfront_payment", f(v.f64("upfrontPaymentAmount")?)),
                ("recurring_payment", f(v.f64("recurringPaymentAmount")?)),
                ("term_seconds", i(v.i64("termDurationInSeconds")?)),
                ("start", Cell::Ts(v.req_ts("start")?)),
                ("end", Cell::Ts(v.req_ts("end")?)),
                ("state", Cell::Str(v.req_str("state")?)),
                ("currency", s(v.str("currency")?)),
            ],
        ));
    }
    Ok(rows)
}

/// Renders [`CLI_DUMPS`] as a Markdown table (file, command, table), for the docs.
pub fn dumps_markdown_table() -> String {
    let mut out = String::from("| file | command | table |\n|---|---|---|\n");
    for dump in CLI_DUMPS {
        let _ = writeln!(out, "| `{}` | `{}` | `{}` |", dump.file_name, dump.command, dump.table);
    }
    out
}

/// Renders [`BUCKET_CONFIG_DUMPS`] as a Markdown table (file, command, `buckets` columns), for the docs.
pub fn bucket_config_markdown_table() -> String {
    let mut out =
        String::from("| file in `s3-bucket-config/<bucket>/` | command | `buckets` columns |\n|---|---|---|\n");
    for dump in BUCKET_CONFIG_DUMPS {
        let columns = dump.columns.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(out, "| `{}` | `{}` | {columns} |", dump.file_name, dump.command);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_regions_and_accounts() {
        for r in ["us-east-1", "eu-west-2", "ap-southeast-1", "us-gov-west-1", "ap-northeast-3", "il-central-1"] {
            assert!(is_region(r), "{r}");
        }
        for r in ["my-dir-1", "us-east", "us-east-1a", "useast1", "us-moon-1", "foo-gov-west-1", "us-east-x"] {
            assert!(!is_region(r), "{r}");
        }
        assert!(is_account_id("111111111111"));
        assert!(!is_account_id("11111111111"));
        assert!(!is_account_id("11111111111a"));
    }

    #[test]
    fn zones_map_to_regions() {
        assert_eq!(region_of_zone("us-east-1a").as_deref(), Some("us-east-1"));
        assert_eq!(region_of_zone("us-gov-west-1b").as_deref(), Some("us-gov-west-1"));
        assert_eq!(region_of_zone("us-west-2-lax-1a").as_deref(), Some("us-west-2"));
        assert_eq!(region_of_zone("nowhere"), None);
    }

    #[test]
    fn arns_split_into_region_and_account() {
        let (region, account) =
            arn_parts("arn:aws:elasticloadbalancing:eu-west-1:222222222222:loadbalancer/app/web/50dc6c495c0c9188");
        assert_eq!((region.as_deref(), account.as_deref()), (Some("eu-west-1"), Some("222222222222")));
        let (region, account) = arn_parts("arn:aws:savingsplans::111111111111:savingsplan/abc");
        assert_eq!((region, account.as_deref()), (None, Some("111111111111")));
        assert_eq!(arn_parts("not-an-arn"), (None, None));
    }

    #[test]
    fn key_cells_order_by_value_with_nulls_first() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let key = ["account_id", "region", "launch_template_id", "version_number"];
        let version = |v: i64| {
            row(
                Table::LaunchTemplates,
                vec![
                    ("account_id", Cell::Str("111111111111".into())),
                    ("region", Cell::Str("us-east-1".into())),
                    ("launch_template_id", Cell::Str("lt-1".into())),
                    ("version_number", Cell::I64(v)),
                ],
            )
        };
        assert_eq!(compare_keys(Table::LaunchTemplates, &key, &version(9), &version(10)), Less, "numerically");
        assert_eq!(compare_keys(Table::LaunchTemplates, &key, &version(10), &version(10)), Equal);
        assert_eq!(compare_cells(Some(&Cell::Null), Some(&Cell::Str("a".into()))), Less);
        assert_eq!(compare_cells(Some(&Cell::F64(2.5)), Some(&Cell::F64(-1.0))), Greater);
        assert_eq!(key_text(&Cell::I64(3)).as_deref(), Some("3"));
    }

    #[test]
    fn timestamps_parse_with_offsets_and_fractions() {
        let expect = NaiveDateTime::parse_from_str("2026-10-01 12:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        for text in [
            "2026-10-01T12:00:00Z",
            "2026-10-01T12:00:00.000Z",
            "2026-10-01T12:00:00+00:00",
            "2026-10-01T14:00:00+02:00",
            "2026-10-01T12:00:00.000+0000",
            "2026-10-01T12:00:00",
        ] {
            assert_eq!(parse_timestamp(text), Some(expect), "{text}");
        }
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(transition_time("User initiated (2026-10-01 12:00:00 GMT)"), Some(micros(expect)));
        assert_eq!(transition_time("Server.ScheduledStop"), None);
        assert_eq!(transition_time(""), None);
    }
}
