//! Live collection from AWS (`costwise collect`), read-only.
//!
//! The collector calls the same read-only APIs a user would run by hand with
//! the AWS CLI (see `docs/import-aws-cli.md`), writes each response as the
//! JSON the CLI prints (`<account>/<region>/describe-volumes.json`), and
//! builds the snapshot with the very importer `costwise import` uses. One
//! parser, one set of validation rules, and the raw responses can be kept as
//! evidence (`--keep-dumps`): a number in the report can always be traced to
//! the API reply it came from.
//!
//! Every call that fails (access denied in one region, an opt-in region,
//! throttling that outlasted the SDK's adaptive retries, a timeout) becomes a
//! [`DataGap`] in the manifest naming the account, region, service and error;
//! the rest of the collection goes on and nothing already collected is lost.
//! [`CollectSummary::gaps`] tells the caller whether the snapshot is partial.
//!
//! Scope today: the current credentials' account, every enabled region (or
//! the ones given), EC2 inventory (instances, volumes, snapshots and images
//! owned by the account, Elastic IPs, NAT gateways). The remaining services
//! of issue 8 (load balancers, S3, savings plans, CloudWatch, the CUR from
//! S3, Cost Explorer, other accounts through an assumed role) plug in as more
//! [`Call`]s.

mod ec2;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use chrono::NaiveDateTime;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::ingest::aws_cli::CliScope;
use crate::ingest::{ImportOptions, ImportSummary, import};
use crate::manifest::{DataGap, SourceKind};
use crate::schema::Table;

/// What to collect and how.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// A named profile from `~/.aws/config`; `None` uses the default credential chain (environment, profile,
    /// SSO, container or instance role).
    pub profile: Option<String>,
    /// Regions to read; `None` reads every region enabled for the account (EC2 DescribeRegions).
    pub regions: Option<Vec<String>>,
    /// An endpoint to send every request to instead of AWS (a local emulator). `AWS_ENDPOINT_URL` in the
    /// environment works too; this wins over it.
    pub endpoint_url: Option<String>,
    /// Requests in flight at once, across regions.
    pub concurrency: usize,
    /// When the collection happens; the snapshot's "as of" without billing data.
    pub created_at: NaiveDateTime,
    /// Where to keep the raw API responses (as AWS CLI JSON); `None` keeps them only until the import is done.
    pub keep_dumps: Option<PathBuf>,
}

/// What a collection produced.
#[derive(Debug, Clone)]
pub struct CollectSummary {
    /// The snapshot's import summary (its manifest holds the gaps too).
    pub import: ImportSummary,
    /// The account the credentials belong to.
    pub account_id: String,
    /// The regions read.
    pub regions: Vec<String>,
    /// API calls that failed: the snapshot is partial when this is not empty.
    pub gaps: Vec<DataGap>,
    /// API requests made (pages included).
    pub requests: usize,
}

/// One read-only API call the collector makes per region, saved under the AWS CLI dump name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// The IAM action it needs (`ec2:DescribeVolumes`); `docs/iam-policy.json` must allow it.
    pub action: &'static str,
    /// The AWS CLI dump file it is saved as.
    pub file_name: &'static str,
    /// The snapshot table it feeds.
    pub table: Table,
}

/// Every call the collector can make, including the account-level ones.
pub const CALLS: [Call; 6] = ec2::CALLS;

/// Account-level calls made once per collection (not saved as dumps).
pub const ACCOUNT_ACTIONS: [&str; 2] = ["sts:GetCallerIdentity", "ec2:DescribeRegions"];

/// Collects a snapshot into `out` (replaced atomically, like `costwise import`).
///
/// Fails only when nothing can be collected at all: no credentials, or the account or its regions cannot be
/// determined. Everything else is a gap.
pub fn collect(out: &Path, options: &CollectOptions) -> Result<CollectSummary> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.concurrency.clamp(1, 4))
        .enable_all()
        .build()
        .map_err(|e| Error::io(Path::new("(tokio runtime)"), e))?;
    let dumps = match &options.keep_dumps {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            Dumps::Kept(dir.clone())
        }
        None => Dumps::Temporary(tempfile::tempdir().map_err(|e| Error::io(Path::new("(temporary directory)"), e))?),
    };
    let collected = runtime.block_on(collect_dumps(dumps.path(), options))?;
    let import_options = ImportOptions {
        scope: CliScope::default(),
        created_at: options.created_at,
        description: Some(format!(
            "costwise collect: account {}, {} region(s)",
            collected.account_id,
            collected.regions.len()
        )),
        kind: SourceKind::Collect,
        gaps: collected.gaps.clone(),
    };
    let import = import(&[dumps.path().to_path_buf()], out, &import_options)?;
    Ok(CollectSummary {
        import,
        account_id: collected.account_id,
        regions: collected.regions,
        gaps: collected.gaps,
        requests: collected.requests,
    })
}

enum Dumps {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl Dumps {
    fn path(&self) -> &Path {
        match self {
            Dumps::Kept(path) => path,
            Dumps::Temporary(dir) => dir.path(),
        }
    }
}

struct Collected {
    account_id: String,
    regions: Vec<String>,
    gaps: Vec<DataGap>,
    requests: usize,
}

/// The SDK configuration: default credential chain, adaptive retries for throttling, per-call timeouts, and a
/// rustls (ring) HTTPS client. Its region (the profile's or the environment's, else us-east-1) is where the
/// account-level calls go; each region's client overrides it.
async fn sdk_config(options: &CollectOptions) -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::adaptive().with_max_attempts(8))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .operation_attempt_timeout(std::time::Duration::from_secs(60))
                .operation_timeout(std::time::Duration::from_secs(300))
                .build(),
        );
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    if config.region().is_some() {
        config
    } else {
        config.to_builder().region(aws_config::Region::new("us-east-1")).build()
    }
}

async fn collect_dumps(dir: &Path, options: &CollectOptions) -> Result<Collected> {
    let base = sdk_config(options).await;
    let home_region = base.region().map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
    let identity = aws_sdk_sts::Client::new(&base).get_caller_identity().send().await.map_err(|e| {
        Error::Collect(format!(
            "cannot find out which account the credentials belong to (sts:GetCallerIdentity): {}",
            aws_sdk_sts::error::DisplayErrorContext(&e)
        ))
    })?;
    let account_id = identity.account().unwrap_or_default().to_owned();
    if account_id.is_empty() {
        return Err(Error::Collect("sts:GetCallerIdentity returned no account id".into()));
    }
    let mut requests = 1;
    let regions = if let Some(regions) = &options.regions {
        regions.clone()
    } else {
        requests += 1;
        let reply = aws_sdk_ec2::Client::new(&base).describe_regions().send().await.map_err(|e| {
            Error::Collect(format!(
                "cannot list the enabled regions (ec2:DescribeRegions in {home_region}); pass --regions: {}",
                aws_sdk_ec2::error::DisplayErrorContext(&e)
            ))
        })?;
        let mut names: Vec<String> =
            reply.regions().iter().filter_map(|r| r.region_name().map(str::to_owned)).collect();
        names.sort();
        names
    };
    tracing::info!(account = %account_id, regions = regions.len(), "collecting");

    let limit = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for region in &regions {
        let config = aws_sdk_ec2::config::Builder::from(&base).region(aws_config::Region::new(region.clone())).build();
        let client = aws_sdk_ec2::Client::from_conf(config);
        for call in CALLS {
            let (client, limit, region, account_id) =
                (client.clone(), Arc::clone(&limit), region.clone(), account_id.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let result = ec2::fetch(&client, call).await;
                (call, account_id, region, result)
            });
        }
    }
    let mut gaps = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (call, account, region, result) =
            joined.map_err(|e| Error::Collect(format!("a collection task died: {e}")))?;
        match result {
            Ok(Fetched { document, pages }) => {
                requests += pages;
                write_dump(dir, &account, &region, call.file_name, &document)?;
            }
            Err(failure) => {
                requests += 1;
                tracing::warn!(%account, %region, action = call.action, "{failure}");
                gaps.push(DataGap {
                    table: Some(call.table),
                    account_id: Some(account),
                    region: Some(region),
                    reason: format!("{} failed: {failure}", call.action),
                });
            }
        }
    }
    gaps.sort_by(|a, b| (&a.account_id, &a.region, &a.reason).cmp(&(&b.account_id, &b.region, &b.reason)));
    Ok(Collected { account_id, regions, gaps, requests })
}

/// A successful call: the CLI-shaped JSON and how many pages it took.
pub(crate) struct Fetched {
    pub(crate) document: Value,
    pub(crate) pages: usize,
}

fn write_dump(dir: &Path, account: &str, region: &str, file_name: &str, document: &Value) -> Result<()> {
    let folder = dir.join(account).join(region);
    std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
    let path = folder.join(file_name);
    let text = serde_json::to_vec_pretty(document).map_err(|e| Error::Collect(format!("{}: {e}", path.display())))?;
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/iam-policy.json`, the policy users attach: it must allow every call the collector makes and nothing
    /// that writes.
    #[test]
    fn the_shipped_iam_policy_allows_every_call_and_only_reads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/iam-policy.json");
        let policy: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let allowed: Vec<&str> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .inspect(|statement| assert_eq!(statement["Effect"], "Allow", "{statement}"))
            .flat_map(|statement| statement["Action"].as_array().unwrap())
            .map(|action| action.as_str().unwrap())
            .collect();
        for action in CALLS.iter().map(|c| c.action).chain(ACCOUNT_ACTIONS) {
            assert!(allowed.contains(&action), "{action} is called but not in docs/iam-policy.json");
        }
        for action in &allowed {
            let (service, name) = action.split_once(':').unwrap();
            assert!(!service.is_empty() && !name.contains('*'), "{action}: no wildcards in a least-privilege policy");
            assert!(
                ["Describe", "Get", "List"].iter().any(|verb| name.starts_with(verb)),
                "{action} is not a read-only action"
            );
            let used = CALLS.iter().map(|c| c.action).chain(ACCOUNT_ACTIONS).any(|a| a == *action);
            assert!(used, "{action} is in the policy but the collector never calls it: least privilege");
        }
    }

    #[test]
    fn every_call_is_saved_under_a_name_the_importer_reads() {
        for call in CALLS {
            let dump = crate::ingest::aws_cli::CLI_DUMPS
                .iter()
                .find(|d| d.file_name == call.file_name)
                .unwrap_or_else(|| panic!("{} is not an AWS CLI dump name", call.file_name));
            assert_eq!(dump.table, call.table, "{}", call.file_name);
        }
    }
}
