//! Importing Cost Explorer `GetCostAndUsage` replies into the `costs` table.
//!
//! Without a Cost and Usage Report the only billing data an account has is
//! Cost Explorer's: cost per day per dimension, no line items, no resource
//! ids. That is enough for the spend overview (by service, account, region,
//! per day, week over week, month to date) but not for pricing a resource
//! from its bill or measuring commitment coverage, so each row is marked with
//! the line item type [`COST_EXPLORER_LINE_ITEM`], which no rule that needs
//! line items selects, and the report says its findings are limited.
//!
//! The dump, `get-cost-and-usage.json`, is the reply of
//! `aws ce get-cost-and-usage --granularity DAILY --metrics UnblendedCost
//! AmortizedCost --group-by Type=DIMENSION,Key=SERVICE
//! Type=DIMENSION,Key=REGION`, as the CLI prints it (its `GroupDefinitions`
//! say what the group keys are). `costwise collect` writes the same shape,
//! one file per account. Groups may be any two of `SERVICE`, `REGION` and
//! `LINKED_ACCOUNT`; `SERVICE` is required (every cost row names one). The
//! account comes from `LINKED_ACCOUNT` when grouped by it, else from a
//! 12-digit account directory in the path, else from `--account`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use polars::prelude::*;
use serde::Deserialize;

use super::aws_cli::{CliScope, is_account_id};
use crate::error::{Error, PolarsResultExt, Result};
use crate::manifest::Input;
use crate::schema::Table;
use crate::snapshot::conform;

/// The file name of a Cost Explorer dump.
pub const COST_AND_USAGE_DUMP: &str = "get-cost-and-usage.json";

/// The command whose reply a Cost Explorer dump is; also the `format` of its manifest input, by which the
/// analysis recognizes billing that has no line items.
pub const COST_AND_USAGE_COMMAND: &str = "aws ce get-cost-and-usage";

/// The `line_item_type` of every row read from Cost Explorer: an aggregate, not a CUR line item.
pub const COST_EXPLORER_LINE_ITEM: &str = "CostExplorerAggregate";

/// The dimensions the collector groups by, in order.
pub const GROUP_BY: [&str; 2] = ["SERVICE", "REGION"];

/// The cost metrics the collector asks for: billed cost, and cost with commitments amortized.
pub const METRICS: [&str; 2] = ["UnblendedCost", "AmortizedCost"];

/// Whether `path` is named like a Cost Explorer dump.
pub fn is_cost_explorer_dump(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == COST_AND_USAGE_DUMP)
}

/// A `get-cost-and-usage.json` document (the fields costwise reads).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CostAndUsage {
    #[serde(default)]
    group_definitions: Vec<GroupDefinition>,
    results_by_time: Vec<ResultByTime>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupDefinition {
    #[serde(rename = "Type")]
    kind: String,
    key: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResultByTime {
    time_period: TimePeriod,
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TimePeriod {
    start: String,
    end: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Group {
    keys: Vec<String>,
    metrics: BTreeMap<String, MetricValue>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MetricValue {
    amount: String,
    unit: String,
}

/// What reading Cost Explorer dumps produced.
#[derive(Debug, Clone)]
pub struct CostExplorerImport {
    /// The rows, conformed to [`Table::Costs`].
    pub frame: DataFrame,
    /// One entry per file read.
    pub inputs: Vec<Input>,
}

/// Reads Cost Explorer dumps into the `costs` table.
///
/// # Errors
///
/// [`Error::Io`] when a file cannot be read, and [`Error::BadJson`] for malformed JSON, groups other than
/// `SERVICE`, `REGION` and `LINKED_ACCOUNT` (or none naming the service), a group whose keys do not match the
/// definitions, a missing `UnblendedCost`, an amount that is not a number, a bad date, no way to tell the
/// account, or the same day, account, service and region in two files with different costs.
pub fn read_cost_explorer_dumps(paths: &[PathBuf], scope: &CliScope) -> Result<CostExplorerImport> {
    let mut rows: BTreeMap<RowKey, (Cost, usize)> = BTreeMap::new();
    let mut inputs = Vec::with_capacity(paths.len());
    for (file_index, path) in paths.iter().enumerate() {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let dump: CostAndUsage = serde_json::from_str(&text).map_err(|e| {
            bad(path, format!("not a {COST_AND_USAGE_DUMP} dump (the reply of `{COST_AND_USAGE_COMMAND}`): {e}"))
        })?;
        let file_rows = read_dump(path, &dump, scope)?;
        inputs.push(Input {
            path: path.display().to_string(),
            format: COST_AND_USAGE_COMMAND.into(),
            rows: file_rows.len() as u64,
        });
        for (key, cost) in file_rows {
            match rows.get(&key) {
                Some((earlier, first)) if *earlier != cost => {
                    return Err(bad(
                        path,
                        format!(
                            "{} costs {} {} for {} in account {} on {}, but {} says {} {}; import one of them",
                            key.service,
                            cost.unblended,
                            cost.currency,
                            key.region.as_deref().unwrap_or("no region"),
                            key.account_id,
                            key.start.date(),
                            paths[*first].display(),
                            earlier.unblended,
                            earlier.currency,
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    rows.insert(key, (cost, file_index));
                }
            }
        }
    }
    let origin = paths.first().map_or_else(|| Path::new(COST_AND_USAGE_DUMP), PathBuf::as_path);
    let micros = |t: &NaiveDateTime| t.and_utc().timestamp_micros();
    let timestamps = |name: &str, values: Vec<i64>| {
        Series::new(name.into(), values)
            .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
            .during(|| format!("reading {}", origin.display()))
    };
    let height = rows.len();
    let start = timestamps("usage_start", rows.keys().map(|k| micros(&k.start)).collect())?;
    let end = timestamps("usage_end", rows.keys().map(|k| micros(&k.end)).collect())?;
    let frame = DataFrame::new(
        height,
        vec![
            start.into(),
            end.into(),
            Column::new("account_id".into(), rows.keys().map(|k| k.account_id.clone()).collect::<Vec<_>>()),
            Column::new("region".into(), rows.keys().map(|k| k.region.clone()).collect::<Vec<_>>()),
            Column::new("service".into(), rows.keys().map(|k| k.service.clone()).collect::<Vec<_>>()),
            Column::new("line_item_type".into(), vec![COST_EXPLORER_LINE_ITEM; height]),
            Column::new("usage_amount".into(), vec![0.0; height]),
            Column::new("unblended_cost".into(), rows.values().map(|(c, _)| c.unblended).collect::<Vec<_>>()),
            Column::new("amortized_cost".into(), rows.values().map(|(c, _)| c.amortized).collect::<Vec<_>>()),
            Column::new("public_on_demand_cost".into(), vec![0.0; height]),
            Column::new("currency".into(), rows.values().map(|(c, _)| c.currency.clone()).collect::<Vec<_>>()),
            Column::new("tags".into(), vec!["{}"; height]),
        ],
    )
    .during(|| format!("reading {}", origin.display()))?;
    let frame =
        conform(frame.lazy(), Table::Costs, origin)?.collect().during(|| format!("reading {}", origin.display()))?;
    Ok(CostExplorerImport { frame, inputs })
}

/// One cost row's identity: a day (or hour, or month), an account, a service and a region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RowKey {
    start: NaiveDateTime,
    end: NaiveDateTime,
    account_id: String,
    service: String,
    region: Option<String>,
}

/// What a row costs.
#[derive(Debug, Clone, PartialEq)]
struct Cost {
    unblended: f64,
    amortized: f64,
    currency: String,
}

fn bad(path: &Path, detail: String) -> Error {
    Error::BadJson { path: path.to_path_buf(), detail }
}

fn read_dump(path: &Path, dump: &CostAndUsage, scope: &CliScope) -> Result<BTreeMap<RowKey, Cost>> {
    let position = |key: &str| dump.group_definitions.iter().position(|g| g.key == key);
    for (index, group) in dump.group_definitions.iter().enumerate() {
        if group.kind != "DIMENSION" || !["SERVICE", "REGION", "LINKED_ACCOUNT"].contains(&group.key.as_str()) {
            return Err(bad(
                path,
                format!(
                    "GroupDefinitions[{index}] is {} {}: costwise reads groups by the SERVICE, REGION and \
                     LINKED_ACCOUNT dimensions only",
                    group.kind, group.key
                ),
            ));
        }
    }
    let Some(service_at) = position("SERVICE") else {
        return Err(bad(
            path,
            "GroupDefinitions has no SERVICE dimension: group by it (--group-by Type=DIMENSION,Key=SERVICE)".into(),
        ));
    };
    let (region_at, account_at) = (position("REGION"), position("LINKED_ACCOUNT"));
    let path_account = path
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .filter_map(|c| c.as_os_str().to_str())
        .rfind(|name| is_account_id(name))
        .map(str::to_owned);
    let fallback_account = path_account.or_else(|| scope.account_id.clone());
    if account_at.is_none() && fallback_account.is_none() {
        return Err(bad(
            path,
            "cannot tell which account the costs belong to: the reply is not grouped by LINKED_ACCOUNT, the path has \
             no 12-digit account directory, and --account was not given"
                .into(),
        ));
    }
    let mut rows = BTreeMap::new();
    for (t, result) in dump.results_by_time.iter().enumerate() {
        let at = format!("ResultsByTime[{t}]");
        let start = day(path, &format!("{at}.TimePeriod.Start"), &result.time_period.start)?;
        let end = day(path, &format!("{at}.TimePeriod.End"), &result.time_period.end)?;
        if end <= start {
            return Err(bad(path, format!("{at}.TimePeriod ends ({end}) before it starts ({start})")));
        }
        for (g, group) in result.groups.iter().enumerate() {
            let at = format!("{at}.Groups[{g}]");
            if group.keys.len() != dump.group_definitions.len() {
                return Err(bad(
                    path,
                    format!(
                        "{at} has {} keys but GroupDefinitions defines {}",
                        group.keys.len(),
                        dump.group_definitions.len()
                    ),
                ));
            }
            let amount = |metric: &str| -> Result<Option<(f64, &str)>> {
                let Some(value) = group.metrics.get(metric) else { return Ok(None) };
                let amount = value.amount.trim().parse::<f64>().ok().filter(|a| a.is_finite()).ok_or_else(|| {
                    bad(path, format!("{at}.Metrics.{metric}.Amount: {:?} is not a number", value.amount))
                })?;
                Ok(Some((amount, value.unit.as_str())))
            };
            let Some((unblended, currency)) = amount("UnblendedCost")? else {
                return Err(bad(
                    path,
                    format!("{at} has no UnblendedCost metric: ask for it (--metrics UnblendedCost AmortizedCost)"),
                ));
            };
            let amortized = amount("AmortizedCost")?.map_or(unblended, |(a, _)| a);
            let account_id = match account_at {
                Some(i) => group.keys[i].clone(),
                None => fallback_account.clone().unwrap_or_default(),
            };
            if !is_account_id(&account_id) {
                return Err(bad(path, format!("{at}: {account_id:?} is not a 12-digit account id")));
            }
            let region =
                region_at.map(|i| group.keys[i].clone()).filter(|r| !r.is_empty() && r != "global" && r != "NoRegion");
            let key =
                RowKey { start, end, account_id, service: product_code(&group.keys[service_at]).to_owned(), region };
            // "EC2 - Other" and "Amazon Elastic Compute Cloud - Compute" are one product code: summed.
            let entry =
                rows.entry(key).or_insert(Cost { unblended: 0.0, amortized: 0.0, currency: currency.to_owned() });
            entry.unblended += unblended;
            entry.amortized += amortized;
        }
    }
    Ok(rows)
}

/// A `TimePeriod` bound: a date (`2026-11-01`), or a time for hourly replies (`2026-11-01T13:00:00Z`).
fn day(path: &Path, at: &str, text: &str) -> Result<NaiveDateTime> {
    if let Ok(date) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).unwrap_or_default());
    }
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.naive_utc())
        .map_err(|_| bad(path, format!("{at}: {text:?} is neither a date (2026-11-01) nor an RFC 3339 time")))
}

/// The price-list product code of a Cost Explorer service name, so Cost Explorer and CUR rows group alike;
/// names costwise does not know are kept as they are.
pub fn product_code(service: &str) -> &str {
    match service {
        "Amazon Elastic Compute Cloud - Compute" | "EC2 - Other" | "Amazon Elastic Compute Cloud" => "AmazonEC2",
        "Amazon Simple Storage Service" => "AmazonS3",
        "Amazon Relational Database Service" => "AmazonRDS",
        "AWS Data Transfer" => "AWSDataTransfer",
        "AmazonCloudWatch" | "Amazon CloudWatch" => "AmazonCloudWatch",
        "Amazon Virtual Private Cloud" => "AmazonVPC",
        "Amazon Elastic Load Balancing" | "Elastic Load Balancing" => "AWSELB",
        "Amazon DynamoDB" => "AmazonDynamoDB",
        "AWS Lambda" => "AWSLambda",
        "Amazon ElastiCache" => "AmazonElastiCache",
        "Amazon CloudFront" => "AmazonCloudFront",
        "Amazon Elastic Container Service for Kubernetes" | "Amazon Elastic Kubernetes Service" => "AmazonEKS",
        "Amazon Elastic Container Service" | "Amazon EC2 Container Service" => "AmazonECS",
        "Amazon Route 53" => "AmazonRoute53",
        "Savings Plans for AWS Compute usage" => "ComputeSavingsPlans",
        "AWS CloudTrail" => "AWSCloudTrail",
        "AWS Backup" => "AWSBackup",
        "Amazon Simple Notification Service" => "AmazonSNS",
        "Amazon Simple Queue Service" => "AWSQueueService",
        "AWS Key Management Service" => "awskms",
        "Amazon Elastic File System" => "AmazonEFS",
        "Amazon OpenSearch Service" => "AmazonES",
        "Amazon Redshift" => "AmazonRedshift",
        "AWS Config" => "AWSConfig",
        "AWS Secrets Manager" => "AWSSecretsManager",
        "Amazon EC2 Container Registry (ECR)" => "AmazonECR",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn write(dir: &Path, folder: &str, document: &serde_json::Value) -> PathBuf {
        let folder = dir.join(folder);
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join(COST_AND_USAGE_DUMP);
        std::fs::write(&path, serde_json::to_vec_pretty(document).unwrap()).unwrap();
        path
    }

    fn cost(unblended: &str, amortized: &str) -> serde_json::Value {
        json!({"UnblendedCost": {"Amount": unblended, "Unit": "USD"}, "AmortizedCost": {"Amount": amortized, "Unit": "USD"}})
    }

    /// One day: start, end, and (service, region, metrics) groups.
    type Day<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str, serde_json::Value)>);

    fn by_service_and_region(days: &[Day<'_>]) -> serde_json::Value {
        let results: Vec<_> = days
            .iter()
            .map(|(start, end, groups)| {
                let groups: Vec<_> = groups.iter().map(|(s, r, m)| json!({"Keys": [s, r], "Metrics": m})).collect();
                json!({"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": groups, "Estimated": false})
            })
            .collect();
        json!({
            "GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "REGION"}],
            "ResultsByTime": results,
            "DimensionValueAttributes": []
        })
    }

    fn strings(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
        frame.column(name).unwrap().str().unwrap().iter().map(|v| v.map(str::to_owned)).collect()
    }

    fn floats(frame: &DataFrame, name: &str) -> Vec<f64> {
        frame.column(name).unwrap().f64().unwrap().into_no_null_iter().collect()
    }

    #[test]
    fn daily_groups_become_cost_rows_with_product_codes_and_the_directory_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "111111111111",
            &by_service_and_region(&[
                (
                    "2026-11-01",
                    "2026-11-02",
                    vec![
                        ("Amazon Elastic Compute Cloud - Compute", "us-east-1", cost("10.5", "8.25")),
                        ("EC2 - Other", "us-east-1", cost("1.5", "1.5")),
                        ("Tax", "NoRegion", cost("2", "2")),
                    ],
                ),
                (
                    "2026-11-02",
                    "2026-11-03",
                    vec![("Amazon Simple Storage Service", "eu-west-1", cost("0.75", "0.75"))],
                ),
            ]),
        );
        let imported = read_cost_explorer_dumps(&[path], &CliScope::default()).unwrap();
        assert_eq!(imported.inputs[0].rows, 3, "EC2's two Cost Explorer services are one product code");
        assert_eq!(imported.inputs[0].format, COST_AND_USAGE_COMMAND);
        let frame = imported.frame;
        assert_eq!(frame.get_column_names().len(), Table::Costs.columns().len(), "conformed to the schema");
        assert_eq!(strings(&frame, "service"), [Some("AmazonEC2".into()), Some("Tax".into()), Some("AmazonS3".into())]);
        assert_eq!(strings(&frame, "region"), [Some("us-east-1".into()), None, Some("eu-west-1".into())]);
        assert_eq!(strings(&frame, "account_id"), vec![Some("111111111111".to_owned()); 3]);
        assert_eq!(floats(&frame, "unblended_cost"), [12.0, 2.0, 0.75]);
        assert_eq!(floats(&frame, "amortized_cost"), [9.75, 2.0, 0.75]);
        assert_eq!(strings(&frame, "line_item_type"), vec![Some(COST_EXPLORER_LINE_ITEM.to_owned()); 3]);
        assert_eq!(strings(&frame, "currency"), vec![Some("USD".to_owned()); 3]);
    }

    #[test]
    fn linked_account_groups_name_the_account_and_a_missing_amortized_cost_is_the_billed_cost() {
        let dir = tempfile::tempdir().unwrap();
        let document = json!({
            "GroupDefinitions": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "DIMENSION", "Key": "SERVICE"}],
            "ResultsByTime": [{"TimePeriod": {"Start": "2026-11-01", "End": "2026-11-02"}, "Groups": [
                {"Keys": ["222222222222", "AWS Lambda"], "Metrics": {"UnblendedCost": {"Amount": "3", "Unit": "USD"}}}
            ]}]
        });
        let path = write(dir.path(), "payer", &document);
        let frame = read_cost_explorer_dumps(&[path.clone(), path], &CliScope::default()).unwrap().frame;
        assert_eq!(frame.height(), 1, "the same file twice adds nothing");
        assert_eq!(strings(&frame, "account_id"), [Some("222222222222".into())]);
        assert_eq!(strings(&frame, "service"), [Some("AWSLambda".into())]);
        assert_eq!(strings(&frame, "region"), [None]);
        assert_eq!(floats(&frame, "amortized_cost"), [3.0]);
    }

    #[test]
    fn bad_dumps_are_refused_with_the_file_and_the_place() {
        let dir = tempfile::tempdir().unwrap();
        let error = |folder: &str, document: serde_json::Value| {
            let path = write(dir.path(), folder, &document);
            let message =
                read_cost_explorer_dumps(std::slice::from_ref(&path), &CliScope::default()).unwrap_err().to_string();
            assert!(message.contains(&path.display().to_string()), "names the file: {message}");
            message
        };
        let no_service = json!({"GroupDefinitions": [{"Type": "DIMENSION", "Key": "REGION"}], "ResultsByTime": []});
        assert!(error("111111111111", no_service).contains("no SERVICE dimension"));
        let by_tag = json!({"GroupDefinitions": [{"Type": "TAG", "Key": "team"}], "ResultsByTime": []});
        assert!(error("111111111111", by_tag).contains("GroupDefinitions[0] is TAG team"));
        let mut text_amount =
            by_service_and_region(&[("2026-11-01", "2026-11-02", vec![("AWS Lambda", "us-east-1", cost("1", "1"))])]);
        text_amount["ResultsByTime"][0]["Groups"][0]["Metrics"]["UnblendedCost"]["Amount"] = json!("n/a");
        assert!(
            error("111111111111", text_amount)
                .contains("ResultsByTime[0].Groups[0].Metrics.UnblendedCost.Amount: \"n/a\" is not a number")
        );
        let nowhere =
            by_service_and_region(&[("2026-11-01", "2026-11-02", vec![("AWS Lambda", "us-east-1", cost("1", "1"))])]);
        assert!(error("exports", nowhere).contains("cannot tell which account"));
        let backwards =
            by_service_and_region(&[("2026-11-02", "2026-11-01", vec![("AWS Lambda", "us-east-1", cost("1", "1"))])]);
        assert!(error("111111111111", backwards).contains("ResultsByTime[0].TimePeriod ends"));
    }

    #[test]
    fn two_files_that_disagree_on_a_day_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let day = |amount: &str| {
            by_service_and_region(&[(
                "2026-11-01",
                "2026-11-02",
                vec![("AWS Lambda", "us-east-1", cost(amount, amount))],
            )])
        };
        let first = write(dir.path(), "a/111111111111", &day("1"));
        let second = write(dir.path(), "b/111111111111", &day("2"));
        let message = read_cost_explorer_dumps(&[first, second], &CliScope::default()).unwrap_err().to_string();
        assert!(
            message.contains("AWSLambda costs 2 USD for us-east-1 in account 111111111111 on 2026-11-01"),
            "{message}"
        );
    }
}
