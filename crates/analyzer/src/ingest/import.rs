//! `costwise import`: turn a pile of files into one snapshot.
//!
//! Users point this at whatever they have — a month of CUR parts, a FOCUS
//! export, a folder of `aws ... --output json` dumps, downloaded S3 Inventory
//! reports — and the format of each file is detected (billing files by their
//! columns, CLI dumps by their file name, inventory manifests by their
//! content, inventory data files by the manifest listing them). Everything
//! lands in one snapshot whose manifest lists every input, its detected
//! format and row count, and every table that is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use polars::prelude::*;

use super::aws_cli::{CliScope, is_cli_dump, read_cli_files};
use super::billing::read_billing;
use super::cloudwatch::{is_metric_dump, read_metric_dumps};
use super::cost_explorer::{is_cost_explorer_dump, read_cost_explorer_dumps};
use super::s3_inventory::{self, InventoryManifest};
use crate::error::{Error, PolarsResultExt, Result};
use crate::manifest::{Account, DataGap, Input, Manifest, Period, Source, SourceKind};
use crate::schema::Table;
use crate::snapshot::{SnapshotInfo, SnapshotWriter};
use crate::spend::scalar_datetime;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Account and region for CLI dumps that do not say.
    pub scope: CliScope,
    /// When the import happens; also the "as of" time when there is no billing data.
    pub created_at: NaiveDateTime,
    /// Description for the manifest (defaults to the input paths).
    pub description: Option<String>,
    /// What produced the inputs: [`SourceKind::Import`] for the user's files, [`SourceKind::Collect`] for the
    /// dumps of a live collection.
    pub kind: SourceKind,
    /// Problems found before the import (API calls a live collection could not make), kept in the manifest.
    pub gaps: Vec<DataGap>,
    /// Where inputs under a directory really come from, for the manifest: a live collection downloads to a
    /// temporary directory that is gone after the import, so its files are listed by their origin
    /// (`s3://bucket/prefix/...`) instead.
    pub origins: Vec<(PathBuf, String)>,
}

/// The inputs found under the paths given, classified.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportPlan {
    /// Billing files (CUR, FOCUS), in path order.
    pub billing: Vec<PathBuf>,
    /// AWS CLI JSON dumps, in path order.
    pub cli_dumps: Vec<PathBuf>,
    /// CloudWatch metric dumps (`get-metric-data.json`), in path order.
    pub metric_dumps: Vec<PathBuf>,
    /// Cost Explorer dumps (`get-cost-and-usage.json`), in path order: billing without line items, read only
    /// when there are no billing files.
    pub cost_explorer: Vec<PathBuf>,
    /// S3 Inventory manifests (every one found; the newest per bucket is
    /// imported), their data files located. Those data files are in no other list.
    pub s3_inventories: Vec<InventoryManifest>,
    /// Files that are neither, left out (reported, not silently dropped).
    pub ignored: Vec<PathBuf>,
}

/// What an import produced.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// The manifest written.
    pub manifest: Manifest,
    /// Files that were left out, with why.
    pub ignored: Vec<PathBuf>,
}

/// Finds the importable files under `inputs` (files or directories, walked recursively).
pub fn plan(inputs: &[PathBuf]) -> Result<ImportPlan> {
    let mut plan = ImportPlan::default();
    let mut candidates = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(input, &mut files)?;
            files.sort();
            candidates.extend(files.into_iter().map(|file| (file, false)));
        } else {
            candidates.push((input.clone(), true));
        }
    }
    let paths: Vec<PathBuf> = candidates.iter().map(|(path, _)| path.clone()).collect();
    let inventories = s3_inventory::discover(&paths, |path| {
        is_cli_dump(path) || is_metric_dump(path) || is_cost_explorer_dump(path)
    })?;
    for (path, explicit) in candidates {
        if !inventories.claims(&path) {
            classify(path, &mut plan, explicit);
        }
    }
    plan.s3_inventories = inventories.manifests;
    Ok(plan)
}

fn classify(path: PathBuf, plan: &mut ImportPlan, explicit: bool) {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
    let has_suffix = |suffix: &str| name.len() > suffix.len() && name.ends_with(suffix);
    if is_cli_dump(&path) {
        plan.cli_dumps.push(path);
    } else if is_metric_dump(&path) {
        plan.metric_dumps.push(path);
    } else if is_cost_explorer_dump(&path) {
        plan.cost_explorer.push(path);
    } else if has_suffix(".parquet") || has_suffix(".csv") || has_suffix(".csv.gz") {
        plan.billing.push(path);
    } else if explicit && has_suffix(".json") {
        // An explicitly named JSON file that is not a known dump: let the CLI reader explain.
        plan.cli_dumps.push(path);
    } else {
        plan.ignored.push(path);
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type().map_err(|e| Error::io(&path, e))?.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Imports every file under `inputs` into a snapshot at `out`.
pub fn import(inputs: &[PathBuf], out: &Path, options: &ImportOptions) -> Result<ImportSummary> {
    let plan = plan(inputs)?;
    if plan.billing.is_empty()
        && plan.cost_explorer.is_empty()
        && plan.cli_dumps.is_empty()
        && plan.metric_dumps.is_empty()
        && plan.s3_inventories.is_empty()
    {
        return Err(Error::UnknownFormat {
            path: inputs.first().cloned().unwrap_or_default(),
            detail: "no billing files (.parquet, .csv, .csv.gz), AWS CLI dumps (describe-*.json), CloudWatch metric \
                     dumps (get-metric-data.json), Cost Explorer dumps (get-cost-and-usage.json) or S3 Inventory \
                     reports (manifest.json) found"
                .into(),
        });
    }
    let mut writer = SnapshotWriter::create(out)?;
    let mut manifest_inputs = Vec::new();
    let mut accounts: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut regions = BTreeSet::new();
    let mut gaps = options.gaps.clone();
    let mut period = None;
    let mut currency = "USD".to_owned();
    let mut bucket_owners = BTreeMap::new();

    if !plan.billing.is_empty() && !plan.cost_explorer.is_empty() {
        return Err(Error::UnknownFormat {
            path: plan.cost_explorer[0].clone(),
            detail: format!(
                "both billing exports ({} first) and Cost Explorer dumps are among the inputs; they count the same \
                 spend twice: import one or the other",
                plan.billing[0].display()
            ),
        });
    }
    let mut billing = Vec::new();
    if !plan.cost_explorer.is_empty() {
        let explorer = read_cost_explorer_dumps(&plan.cost_explorer, &options.scope)?;
        manifest_inputs.extend(explorer.inputs);
        billing.push(explorer.frame.lazy());
    }
    for path in &plan.billing {
        let file = read_billing(path)?;
        let rows = count(file.frame.clone(), path)?;
        manifest_inputs.push(Input {
            path: path.display().to_string(),
            format: format!("{} ({})", file.format, file.container),
            rows,
        });
        billing.push(file.frame);
    }
    if billing.is_empty() {
        writer.mark_absent(Table::Costs, "no billing files among the inputs");
        gaps.push(DataGap {
            table: Some(Table::Costs),
            account_id: None,
            region: None,
            reason: "no billing data: no spend overview, and prices come from the catalog only".into(),
        });
    } else {
        let sources = if plan.billing.is_empty() { &plan.cost_explorer } else { &plan.billing };
        let costs = concat(billing, UnionArgs::default()).during(|| "combining billing files".into())?;
        let summary = billing_summary(costs.clone(), sources)?;
        currency = summary.currency;
        period = summary.period;
        for (id, name) in summary.accounts {
            let entry = accounts.entry(id).or_default();
            if entry.is_none() {
                *entry = name;
            }
        }
        regions.extend(summary.regions);
        writer.write_lazy(Table::Costs, costs)?;
    }

    if plan.cli_dumps.is_empty() {
        gaps.push(DataGap {
            table: None,
            account_id: None,
            region: None,
            reason: "no inventory (AWS CLI dumps): resource-level rules have nothing to inspect".into(),
        });
    } else {
        let cli = read_cli_files(&plan.cli_dumps, &options.scope)?;
        manifest_inputs.extend(cli.inputs);
        for account in cli.accounts {
            accounts.entry(account).or_default();
        }
        regions.extend(cli.regions);
        if let Some(buckets) = cli.tables.get(&Table::Buckets) {
            bucket_owners = s3_inventory::bucket_owners(buckets);
        }
        for (table, frame) in cli.tables {
            writer.write_frame(table, frame)?;
        }
    }
    if plan.s3_inventories.is_empty() {
        writer.mark_absent(
            Table::S3Objects,
            "no S3 Inventory reports (manifest.json and its data files) among the inputs",
        );
    } else {
        let scratch = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let inventory = s3_inventory::read_inventories(&plan.s3_inventories, &bucket_owners, scratch)?;
        writer.write_lazy(Table::S3Objects, inventory.frame.clone())?;
        manifest_inputs.extend(inventory.inputs);
    }
    for table in Table::ALL {
        let present_from_cli = table != Table::Costs && table != Table::Metrics;
        if present_from_cli {
            writer.mark_absent_if_missing(table, || {
                let file = super::aws_cli::CLI_DUMPS
                    .iter()
                    .filter(|d| d.table == table)
                    .map(|d| d.file_name)
                    .collect::<Vec<_>>()
                    .join(" or ");
                format!("no {file} among the inputs")
            });
        }
    }
    if plan.metric_dumps.is_empty() {
        writer.mark_absent(Table::Metrics, "no CloudWatch metric dumps (get-metric-data.json) among the inputs");
        gaps.push(DataGap {
            table: Some(Table::Metrics),
            account_id: None,
            region: None,
            reason: "no CloudWatch metrics: utilization-based rules (idle, rightsizing) cannot run; use `costwise \
                     collect` or import get-metric-data.json dumps"
                .into(),
        });
    } else {
        let metrics = read_metric_dumps(&plan.metric_dumps)?;
        manifest_inputs.extend(metrics.inputs);
        writer.write_frame(Table::Metrics, metrics.frame)?;
    }

    for input in &mut manifest_inputs {
        let path = Path::new(&input.path);
        if let Some((relative, origin)) =
            options.origins.iter().find_map(|(dir, origin)| Some((path.strip_prefix(dir).ok()?, origin)))
        {
            input.path = format!("{}/{}", origin.trim_end_matches('/'), relative.display());
        }
    }
    let period = period.unwrap_or(Period { start: options.created_at, end: options.created_at });
    let description = options.description.clone().unwrap_or_else(|| {
        format!("import of {}", inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))
    });
    let manifest = writer.finish(SnapshotInfo {
        created_at: options.created_at,
        source: Source { kind: options.kind, description, inputs: manifest_inputs },
        accounts: accounts.into_iter().map(|(id, name)| Account { id, name }).collect(),
        regions: regions.into_iter().collect(),
        period,
        currency,
        data_gaps: gaps,
    })?;
    Ok(ImportSummary { manifest, ignored: plan.ignored })
}

fn count(frame: LazyFrame, path: &Path) -> Result<u64> {
    let df = frame.select([len().alias("rows")]).collect().during(|| format!("reading {}", path.display()))?;
    Ok(df.column("rows").ok().and_then(|c| c.get(0).ok()).and_then(|v| v.extract::<u64>()).unwrap_or(0))
}

struct BillingSummary {
    currency: String,
    period: Option<Period>,
    accounts: Vec<(String, Option<String>)>,
    regions: Vec<String>,
}

fn billing_summary(costs: LazyFrame, paths: &[PathBuf]) -> Result<BillingSummary> {
    let origin = if paths.len() == 1 { paths[0].clone() } else { common_parent(paths) };
    let currencies = costs
        .clone()
        .select([col("currency").unique().sort(SortOptions::default())])
        .collect()
        .during(|| format!("reading currencies of {}", origin.display()))?;
    let currencies: Vec<String> = currencies
        .column("currency")
        .and_then(|c| c.str().cloned())
        .during(|| "currencies".into())?
        .iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    if currencies.len() > 1 {
        return Err(Error::MixedCurrencies { path: origin, currencies });
    }
    let bounds = costs
        .clone()
        .select([col("usage_start").min().alias("start"), col("usage_end").max().alias("end")])
        .collect()
        .during(|| "billing period".into())?;
    let period = scalar_datetime(&bounds, "start")
        .zip(scalar_datetime(&bounds, "end"))
        .map(|(start, end)| Period { start, end });
    let accounts = costs
        .clone()
        .group_by([col("account_id")])
        .agg([col("account_name").drop_nulls().first()])
        .sort(["account_id"], SortMultipleOptions::default())
        .collect()
        .during(|| "billing accounts".into())?;
    let ids = accounts.column("account_id").and_then(|c| c.str().cloned()).during(|| "accounts".into())?;
    let names = accounts.column("account_name").and_then(|c| c.str().cloned()).during(|| "accounts".into())?;
    let accounts = (0..accounts.height())
        .filter_map(|i| Some((ids.get(i)?.to_owned(), names.get(i).map(str::to_owned))))
        .collect();
    let regions = costs
        .select([col("region").drop_nulls().unique().sort(SortOptions::default())])
        .collect()
        .during(|| "billing regions".into())?;
    let regions = regions
        .column("region")
        .and_then(|c| c.str().cloned())
        .during(|| "regions".into())?
        .iter()
        .flatten()
        .filter(|r| !r.is_empty() && *r != "global")
        .map(str::to_owned)
        .collect();
    Ok(BillingSummary {
        currency: currencies.into_iter().next().unwrap_or_else(|| "USD".into()),
        period,
        accounts,
        regions,
    })
}

fn common_parent(paths: &[PathBuf]) -> PathBuf {
    let mut common = paths.first().and_then(|p| p.parent()).map(Path::to_path_buf).unwrap_or_default();
    for path in paths {
        while !path.starts_with(&common) {
            if !common.pop() {
                return PathBuf::new();
            }
        }
    }
    common
}
