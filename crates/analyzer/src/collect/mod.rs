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
//! Scope: the credentials' own account, or a list of accounts (or every
//! active account of the organization) reached by assuming a read-only role
//! in each; every enabled region of each account (or the ones given); the
//! inventory of [`CALLS`] (EC2, EBS, launch templates, Auto Scaling groups,
//! reserved instances, load balancers, savings plans, S3 buckets and their
//! settings) and the CloudWatch metrics of what it found; and billing: the
//! CUR 2.0 export from its S3 bucket, or, without one, Cost Explorer's daily
//! cost by service and region ([`Billing`]). `docs/collect.md` lists what is
//! not read.

/// Every page of a paginated SDK request, or the first error: the SDK's
/// paginators share no trait to write this as a function over.
macro_rules! every_page {
    ($request:expr) => {
        $request.into_paginator().send().collect::<std::result::Result<Vec<_>, _>>().await
    };
}

mod autoscaling;
mod billing;
mod cli_json;
mod cloudwatch;
mod ec2;
mod elb;
mod pricing;
mod s3;
mod savings_plans;

use std::collections::BTreeMap;
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

pub use crate::ingest::export::ExportLocation;
pub use billing::DOLLARS_PER_COST_EXPLORER_REQUEST;
pub use pricing::{PriceRefresh, refresh_prices};

/// Which accounts to collect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accounts {
    /// The account the credentials belong to.
    Current,
    /// These accounts (12-digit ids); each other than the credentials' own is reached by assuming
    /// [`CollectOptions::role_name`] in it.
    Listed(Vec<String>),
    /// Every active account of the organization (Organizations `ListAccounts`, which needs the management
    /// account's or a delegated administrator's credentials), each reached like [`Accounts::Listed`].
    Organization,
}

/// What to collect and how.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// A named profile from `~/.aws/config`; `None` uses the default credential chain (environment, profile,
    /// SSO, container or instance role).
    pub profile: Option<String>,
    /// The accounts to read.
    pub accounts: Accounts,
    /// The role to assume in every account other than the credentials' own (`docs/iam-policy.json` is its
    /// permissions policy, `docs/iam-trust-policy.json` its trust policy).
    pub role_name: String,
    /// The external id the role's trust policy requires, if any.
    pub external_id: Option<String>,
    /// Regions to read; `None` reads every region enabled for each account (EC2 DescribeRegions).
    pub regions: Option<Vec<String>>,
    /// An endpoint to send every request to instead of AWS (a local emulator). `AWS_ENDPOINT_URL` in the
    /// environment works too; this wins over it.
    pub endpoint_url: Option<String>,
    /// Requests in flight at once, across accounts and regions.
    pub concurrency: usize,
    /// Attempts per request before a throttled or failing call becomes a gap (the SDK's adaptive retry mode
    /// backs off between them).
    pub max_attempts: u32,
    /// How long one attempt may take before it is abandoned (and retried, while attempts remain).
    pub attempt_timeout: std::time::Duration,
    /// When the collection happens; the snapshot's "as of" without billing data, and the end of the metrics.
    pub created_at: NaiveDateTime,
    /// Days of hourly CloudWatch metrics to read before `created_at` (CloudWatch keeps hourly data 63 days).
    pub lookback_days: u32,
    /// Where to keep the raw API responses (as AWS CLI JSON), replacing what a previous collection left there;
    /// `None` keeps them only until the import is done.
    pub keep_dumps: Option<PathBuf>,
    /// Where the billing comes from.
    pub billing: Billing,
    /// Files or directories imported into the same snapshot (billing exports already downloaded), as
    /// `costwise import` would.
    pub also_import: Vec<PathBuf>,
    /// Told about every phase and every call as it finishes (the binary draws progress bars); `None` is silent.
    pub progress: Option<Arc<dyn Progress>>,
}

/// Where a collection reports its progress as it goes. Calls come from the collection's tasks, in the order
/// they finish.
pub trait Progress: Send + Sync {
    /// A phase begins (`inventory`, `bucket settings`, `metrics`, `billing`) with `steps` calls to make.
    fn phase(&self, name: &'static str, steps: usize);
    /// One step of the current phase finished: its account, region (none for account-wide calls), what it was
    /// (`ec2:DescribeVolumes`), and whether it failed (it is then a gap).
    fn step(&self, account: &str, region: Option<&str>, what: &str, failed: bool);
}

impl std::fmt::Debug for dyn Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// Progress nobody watches.
struct Silent;

impl Progress for Silent {
    fn phase(&self, _: &'static str, _: usize) {}
    fn step(&self, _: &str, _: Option<&str>, _: &str, _: bool) {}
}

/// Where a collection's billing data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Billing {
    /// The CUR 2.0 (or legacy CUR, or FOCUS) export delivered to this S3 location, read with the credentials'
    /// own account: the periods overlapping the lookback are downloaded and imported like files.
    Export(ExportLocation),
    /// Cost Explorer `GetCostAndUsage`, daily by service and region, one query per account ($0.01 per
    /// request): enough for the spend overview, not for resource-level billing.
    CostExplorer,
    /// No billing read by the collector (it comes with [`CollectOptions::also_import`], or is not wanted).
    None,
}

impl Billing {
    /// The billing a user's choices mean: the export when one is named; else Cost Explorer, unless it is
    /// turned off or billing files are imported alongside (they would count the same spend twice).
    pub fn choose(export: Option<ExportLocation>, cost_explorer: bool, importing_files: bool) -> Billing {
        match export {
            Some(location) => Billing::Export(location),
            None if cost_explorer && !importing_files => Billing::CostExplorer,
            None => Billing::None,
        }
    }
}

/// How to reach AWS: the part of [`CollectOptions`] every API client needs (`costwise prices refresh` too).
#[derive(Debug, Clone)]
pub struct Connection {
    /// A named profile from `~/.aws/config`; `None` uses the default credential chain.
    pub profile: Option<String>,
    /// An endpoint to send every request to instead of AWS (a local emulator).
    pub endpoint_url: Option<String>,
    /// Attempts per request (adaptive retry).
    pub max_attempts: u32,
    /// How long one attempt may take.
    pub attempt_timeout: std::time::Duration,
}

impl Connection {
    /// `profile` and `endpoint_url` with the default retries and timeout.
    pub fn with_defaults(profile: Option<String>, endpoint_url: Option<String>) -> Connection {
        Connection {
            profile,
            endpoint_url,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            attempt_timeout: std::time::Duration::from_secs(DEFAULT_ATTEMPT_TIMEOUT_SECONDS),
        }
    }
}

impl CollectOptions {
    fn connection(&self) -> Connection {
        Connection {
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            max_attempts: self.max_attempts,
            attempt_timeout: self.attempt_timeout,
        }
    }
}

/// The role name assumed in other accounts unless told otherwise.
pub const DEFAULT_ROLE_NAME: &str = "CostwiseReadOnly";

/// Attempts per request unless told otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// Seconds one attempt may take unless told otherwise.
pub const DEFAULT_ATTEMPT_TIMEOUT_SECONDS: u64 = 60;

/// The days of metrics read unless told otherwise: the longest lookback of the shipped rules.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 30;

/// What a collection produced.
#[derive(Debug, Clone)]
pub struct CollectSummary {
    /// The snapshot's import summary (its manifest holds the gaps too).
    pub import: ImportSummary,
    /// The accounts read (those whose role could not be assumed are gaps instead).
    pub accounts: Vec<String>,
    /// Every region read, in any account.
    pub regions: Vec<String>,
    /// API calls that failed: the snapshot is partial when this is not empty.
    pub gaps: Vec<DataGap>,
    /// API requests made (pages included).
    pub requests: usize,
    /// Metrics requested from CloudWatch `GetMetricData`, which bills per metric.
    pub metrics_requested: usize,
    /// Cost Explorer requests made, each billed.
    pub cost_explorer_requests: usize,
    /// Billing export files downloaded from S3.
    pub export_files: usize,
}

impl CollectSummary {
    /// What the collection's own API calls cost, in USD: `GetMetricData` at $0.01 per 1,000 metrics and
    /// Cost Explorer at $0.01 per request; the `Describe*`/`List*`/`Get*` calls made are free (S3 `GetObject`
    /// of the export costs fractions of a cent and its transfer within a region nothing).
    pub fn api_cost(&self) -> f64 {
        self.metrics_requested as f64 * cloudwatch::DOLLARS_PER_METRIC
            + self.cost_explorer_requests as f64 * DOLLARS_PER_COST_EXPLORER_REQUEST
    }
}

/// The API a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Amazon EC2, per region.
    Ec2,
    /// Elastic Load Balancing v2 (application, network, gateway), per region.
    LoadBalancing,
    /// Classic Elastic Load Balancing, per region.
    ClassicLoadBalancing,
    /// EC2 Auto Scaling, per region.
    AutoScaling,
    /// Savings Plans, once per account.
    SavingsPlans,
    /// Amazon S3's bucket list, once per account (each bucket's settings are then read in its region).
    S3,
}

impl Service {
    /// Whether the call is made once per account (saved in the account's directory) rather than per region.
    pub fn account_wide(self) -> bool {
        matches!(self, Service::SavingsPlans | Service::S3)
    }
}

/// One read-only inventory call the collector makes, saved under the AWS CLI dump name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// The IAM action it needs (`ec2:DescribeVolumes`); `docs/iam-policy.json` must allow it.
    pub action: &'static str,
    /// The AWS CLI dump file it is saved as.
    pub file_name: &'static str,
    /// The snapshot table it feeds.
    pub table: Table,
    /// The API it goes to.
    pub service: Service,
}

const fn call(service: Service, action: &'static str, file_name: &'static str, table: Table) -> Call {
    Call { action, file_name, table, service }
}

/// Every inventory call the collector makes: the single list of what it reads.
pub const CALLS: [Call; 13] = [
    call(Service::Ec2, "ec2:DescribeInstances", "describe-instances.json", Table::Instances),
    call(Service::Ec2, "ec2:DescribeVolumes", "describe-volumes.json", Table::Volumes),
    call(Service::Ec2, "ec2:DescribeSnapshots", "describe-snapshots.json", Table::Snapshots),
    call(Service::Ec2, "ec2:DescribeImages", "describe-images.json", Table::Images),
    call(Service::Ec2, "ec2:DescribeAddresses", "describe-addresses.json", Table::Addresses),
    call(Service::Ec2, "ec2:DescribeNatGateways", "describe-nat-gateways.json", Table::NatGateways),
    call(
        Service::Ec2,
        "ec2:DescribeLaunchTemplateVersions",
        "describe-launch-template-versions.json",
        Table::LaunchTemplates,
    ),
    call(
        Service::AutoScaling,
        "autoscaling:DescribeAutoScalingGroups",
        "describe-auto-scaling-groups.json",
        Table::AutoScalingGroups,
    ),
    call(Service::Ec2, "ec2:DescribeReservedInstances", "describe-reserved-instances.json", Table::Reservations),
    call(
        Service::LoadBalancing,
        "elasticloadbalancing:DescribeLoadBalancers",
        "describe-load-balancers.json",
        Table::LoadBalancers,
    ),
    call(
        Service::ClassicLoadBalancing,
        "elasticloadbalancing:DescribeLoadBalancers",
        "describe-load-balancers-classic.json",
        Table::LoadBalancers,
    ),
    call(
        Service::SavingsPlans,
        "savingsplans:DescribeSavingsPlans",
        "describe-savings-plans.json",
        Table::SavingsPlans,
    ),
    call(Service::S3, s3::LIST_ACTION, "list-buckets.json", Table::Buckets),
];

/// The clients of one account in one region (the region is ignored by account-wide services).
#[derive(Clone)]
struct Clients {
    ec2: aws_sdk_ec2::Client,
    load_balancing: aws_sdk_elasticloadbalancingv2::Client,
    classic_load_balancing: aws_sdk_elasticloadbalancing::Client,
    auto_scaling: aws_sdk_autoscaling::Client,
    savings_plans: aws_sdk_savingsplans::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    s3: aws_sdk_s3::Client,
}

impl Clients {
    fn new(config: &aws_config::SdkConfig, region: &str) -> Clients {
        let config = config.to_builder().region(aws_config::Region::new(region.to_owned())).build();
        Clients {
            ec2: aws_sdk_ec2::Client::new(&config),
            load_balancing: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            classic_load_balancing: aws_sdk_elasticloadbalancing::Client::new(&config),
            auto_scaling: aws_sdk_autoscaling::Client::new(&config),
            savings_plans: aws_sdk_savingsplans::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            // A local endpoint (an emulator) serves buckets by path, not by host name.
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&config).force_path_style(config.endpoint_url().is_some()).build(),
            ),
        }
    }

    async fn fetch(&self, call: Call) -> std::result::Result<Fetched, String> {
        match call.service {
            Service::Ec2 => ec2::fetch(&self.ec2, call).await,
            Service::LoadBalancing => elb::load_balancers(&self.load_balancing).await,
            Service::ClassicLoadBalancing => elb::classic_load_balancers(&self.classic_load_balancing).await,
            Service::AutoScaling => autoscaling::auto_scaling_groups(&self.auto_scaling).await,
            Service::SavingsPlans => savings_plans::savings_plans(&self.savings_plans).await,
            Service::S3 => s3::list_buckets(&self.s3).await,
        }
    }
}

/// Every other action the collector can call: identity and regions per account, the metrics per region,
/// and the organization's accounts. `sts:AssumeRole` is not here: it is allowed on the collector's own
/// identity, not in the read-only role (see `docs/collect.md`).
pub const OTHER_ACTIONS: [&str; 15] = [
    "sts:GetCallerIdentity",
    s3::LOCATION_ACTION,
    s3::BUCKET_CALLS[0].action,
    s3::BUCKET_CALLS[1].action,
    s3::BUCKET_CALLS[2].action,
    elb::TAGS_ACTION,
    "ec2:DescribeRegions",
    cloudwatch::ACTIONS[0],
    cloudwatch::ACTIONS[1],
    "organizations:ListAccounts",
    billing::COST_EXPLORER_ACTION,
    billing::EXPORT_ACTIONS[0],
    billing::EXPORT_ACTIONS[1],
    pricing::ACTION,
    pricing::SAVINGS_PLAN_RATES_ACTION,
];

/// Collects a snapshot into `out` (replaced atomically, like `costwise import`).
///
/// Fails only when nothing can be collected at all: no credentials, the organization's accounts cannot be
/// listed, or no account can be read. Everything else is a gap.
pub fn collect(out: &Path, options: &CollectOptions) -> Result<CollectSummary> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.concurrency.clamp(1, 4))
        .enable_all()
        .build()
        .map_err(|e| Error::io(Path::new("(tokio runtime)"), e))?;
    // The dumps are written to a fresh directory and, when kept, replace the previous ones only at the end:
    // a stale dump left from an earlier collection must never be imported as if it were read now.
    let staging_parent = match &options.keep_dumps {
        Some(dir) => {
            replaceable_dumps(dir)?;
            let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            parent.to_path_buf()
        }
        None => std::env::temp_dir(),
    };
    let staging = tempfile::Builder::new()
        .prefix(".costwise-dumps-")
        .tempdir_in(&staging_parent)
        .map_err(|e| Error::io(&staging_parent, e))?;
    // The export's files can be large: they go next to the snapshot, not to a temporary file system.
    let billing_parent = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(billing_parent).map_err(|e| Error::io(billing_parent, e))?;
    let billing_dir = tempfile::Builder::new()
        .prefix(".costwise-billing-")
        .tempdir_in(billing_parent)
        .map_err(|e| Error::io(billing_parent, e))?;
    let collected = runtime.block_on(collect_dumps(staging.path(), billing_dir.path(), options))?;
    let import_options = ImportOptions {
        scope: CliScope::default(),
        created_at: options.created_at,
        description: Some(format!(
            "costwise collect: {} account(s), {} region(s)",
            collected.accounts.len(),
            collected.regions.len()
        )),
        kind: SourceKind::Collect,
        gaps: collected.gaps.clone(),
        origins: match &options.billing {
            Billing::Export(location) => vec![(billing_dir.path().to_path_buf(), location.to_string())],
            _ => Vec::new(),
        },
    };
    let mut inputs = vec![staging.path().to_path_buf()];
    if collected.export_files > 0 {
        inputs.push(billing_dir.path().to_path_buf());
    }
    inputs.extend(options.also_import.iter().cloned());
    let import = import(&inputs, out, &import_options)?;
    if let Some(keep) = &options.keep_dumps {
        replace_dumps(staging.path(), keep)?;
    }
    Ok(CollectSummary {
        import,
        accounts: collected.accounts,
        regions: collected.regions,
        gaps: collected.gaps,
        requests: collected.requests,
        metrics_requested: collected.metrics_requested,
        cost_explorer_requests: collected.cost_explorer_requests,
        export_files: collected.export_files,
    })
}

/// The file that marks a directory as one `--keep-dumps` wrote, so replacing it cannot delete anything else.
const DUMPS_MARKER: &str = ".costwise-dumps";

/// Moves the freshly collected dumps in `staging` to `keep`, replacing an earlier collection's dumps there.
fn replace_dumps(staging: &Path, keep: &Path) -> Result<()> {
    let marker = staging.join(DUMPS_MARKER);
    std::fs::write(&marker, "written by costwise collect --keep-dumps; replaced by the next collection\n")
        .map_err(|e| Error::io(&marker, e))?;
    if replaceable_dumps(keep)? {
        std::fs::remove_dir_all(keep).map_err(|e| Error::io(keep, e))?;
    }
    std::fs::rename(staging, keep).map_err(|e| Error::io(keep, e))
}

/// Whether `keep` exists and may be replaced: empty, or written by an earlier collection. Anything else is an
/// error, so a mistyped `--keep-dumps` never deletes a user's files.
fn replaceable_dumps(keep: &Path) -> Result<bool> {
    if !keep.exists() {
        return Ok(false);
    }
    let empty = std::fs::read_dir(keep).map_err(|e| Error::io(keep, e))?.next().is_none();
    if empty || keep.join(DUMPS_MARKER).is_file() {
        Ok(true)
    } else {
        Err(Error::Collect(format!(
            "--keep-dumps {}: refusing to replace a directory that earlier collections did not write (it has no \
             {DUMPS_MARKER} file); choose a new or empty directory",
            keep.display()
        )))
    }
}

#[derive(Default)]
struct Collected {
    accounts: Vec<String>,
    regions: Vec<String>,
    gaps: Vec<DataGap>,
    requests: usize,
    metrics_requested: usize,
    cost_explorer_requests: usize,
    export_files: usize,
}

impl Collected {
    fn gap(&mut self, table: Option<Table>, account: &str, region: Option<&str>, reason: String) {
        tracing::warn!(%account, region = region.unwrap_or("-"), "{reason}");
        self.gaps.push(DataGap {
            table,
            account_id: Some(account.to_owned()),
            region: region.map(str::to_owned),
            reason,
        });
    }
}

/// An account that can be read: its SDK configuration (assumed-role credentials for other accounts) and
/// regions.
struct Target {
    account: String,
    config: aws_config::SdkConfig,
    regions: Vec<String>,
}

/// The SDK configuration: default credential chain, adaptive retries for throttling, per-call timeouts, and a
/// rustls (ring) HTTPS client. Its region (the profile's or the environment's, else us-east-1) is where the
/// account-level calls go; each region's client overrides it.
async fn sdk_config(options: &Connection) -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::adaptive().with_max_attempts(options.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10).min(options.attempt_timeout))
                .operation_attempt_timeout(options.attempt_timeout)
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

/// The account `config`'s credentials belong to.
async fn account_of(config: &aws_config::SdkConfig) -> std::result::Result<String, String> {
    let identity = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| format!("sts:GetCallerIdentity failed: {}", failure(&e)))?;
    identity
        .account()
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| "sts:GetCallerIdentity returned no account id".to_owned())
}

/// Every active account of the organization, sorted.
async fn organization_accounts(config: &aws_config::SdkConfig) -> Result<(Vec<String>, usize)> {
    let pages = every_page!(aws_sdk_organizations::Client::new(config).list_accounts()).map_err(|e| {
        Error::Collect(format!(
            "cannot list the organization's accounts (organizations:ListAccounts needs the management account's \
                 or a delegated administrator's credentials); pass --accounts instead: {}",
            failure(&e)
        ))
    })?;
    #[allow(deprecated)] // `status` is what every Organizations API version returns; `state` is newer.
    let mut accounts: Vec<String> = pages
        .iter()
        .flat_map(aws_sdk_organizations::operation::list_accounts::ListAccountsOutput::accounts)
        .filter(|a| a.status().is_none_or(|s| s.as_str() == "ACTIVE"))
        .filter_map(|a| a.id().map(str::to_owned))
        .collect();
    accounts.sort();
    accounts.dedup();
    Ok((accounts, pages.len()))
}

/// The configuration for `account`: the caller's own, or credentials from assuming the role there, fetched
/// once up front (so a role that cannot be assumed is found before any other call, and reported as such); the
/// provider refreshes them when they expire during a long collection.
async fn account_config(
    base: &aws_config::SdkConfig,
    caller: &str,
    account: &str,
    options: &CollectOptions,
) -> std::result::Result<aws_config::SdkConfig, String> {
    use aws_sdk_sts::config::ProvideCredentials as _;
    if account == caller {
        return Ok(base.clone());
    }
    let arn = format!("arn:aws:iam::{account}:role/{}", options.role_name);
    let mut provider =
        aws_config::sts::AssumeRoleProvider::builder(&arn).session_name("costwise-collect").configure(base);
    if let Some(id) = &options.external_id {
        provider = provider.external_id(id);
    }
    let provider = provider.build().await;
    if let Err(error) = provider.provide_credentials().await {
        return Err(format!(
            "cannot assume {arn} (sts:AssumeRole): {}",
            aws_sdk_sts::error::DisplayErrorContext(&error)
        ));
    }
    Ok(base.to_builder().credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(provider)).build())
}

/// The regions to read in an account: the ones given, else every region enabled for it.
async fn regions_of(
    config: &aws_config::SdkConfig,
    options: &CollectOptions,
) -> std::result::Result<(Vec<String>, usize), String> {
    if let Some(regions) = &options.regions {
        return Ok((regions.clone(), 0));
    }
    let reply = aws_sdk_ec2::Client::new(config).describe_regions().send().await.map_err(|e| {
        format!("cannot list the enabled regions (ec2:DescribeRegions); pass --regions: {}", failure(&e))
    })?;
    let mut names: Vec<String> = reply.regions().iter().filter_map(|r| r.region_name().map(str::to_owned)).collect();
    names.sort();
    Ok((names, 1))
}

async fn collect_dumps(dir: &Path, billing_dir: &Path, options: &CollectOptions) -> Result<Collected> {
    let base = sdk_config(&options.connection()).await;
    let caller = account_of(&base)
        .await
        .map_err(|e| Error::Collect(format!("cannot find out which account the credentials belong to: {e}")))?;
    let mut collected = Collected { requests: 1, ..Collected::default() };
    let wanted = match &options.accounts {
        Accounts::Current => vec![caller.clone()],
        Accounts::Listed(accounts) => {
            let mut accounts = accounts.clone();
            accounts.sort();
            accounts.dedup();
            accounts
        }
        Accounts::Organization => {
            let (accounts, requests) = organization_accounts(&base).await?;
            collected.requests += requests;
            accounts
        }
    };
    let mut targets = Vec::new();
    for account in wanted {
        let config = match account_config(&base, &caller, &account, options).await {
            Ok(config) => config,
            Err(reason) => {
                collected.requests += 1;
                collected.gap(None, &account, None, reason);
                continue;
            }
        };
        collected.requests += usize::from(account != caller);
        match regions_of(&config, options).await {
            Ok((regions, requests)) => {
                collected.requests += requests;
                targets.push(Target { account, config, regions });
            }
            Err(reason) => {
                collected.requests += 1;
                collected.gap(None, &account, None, reason);
            }
        }
    }
    if targets.is_empty() {
        let reasons: Vec<String> = collected.gaps.iter().map(|g| g.reason.clone()).collect();
        return Err(Error::Collect(format!("no account could be read: {}", reasons.join("; "))));
    }
    tracing::info!(accounts = targets.len(), "collecting");
    let progress: Arc<dyn Progress> = options.progress.clone().unwrap_or_else(|| Arc::new(Silent));

    let limit = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut documents: BTreeMap<(String, String), BTreeMap<&'static str, Value>> = BTreeMap::new();
    let mut account_documents: BTreeMap<String, BTreeMap<&'static str, Value>> = BTreeMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    for target in &targets {
        // Account-wide services (Savings Plans) answer on their global endpoint in us-east-1.
        let account_clients = Clients::new(&target.config, "us-east-1");
        for call in CALLS.into_iter().filter(|c| c.service.account_wide()) {
            let (clients, limit, account) = (account_clients.clone(), Arc::clone(&limit), target.account.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                (call, account, None, clients.fetch(call).await)
            });
        }
        for region in &target.regions {
            let region_clients = Clients::new(&target.config, region);
            documents.entry((target.account.clone(), region.clone())).or_default();
            for call in CALLS.into_iter().filter(|c| !c.service.account_wide()) {
                let (clients, limit, region, account) =
                    (region_clients.clone(), Arc::clone(&limit), region.clone(), target.account.clone());
                tasks.spawn(async move {
                    let _permit = limit.acquire_owned().await;
                    (call, account, Some(region), clients.fetch(call).await)
                });
            }
        }
    }
    progress.phase("inventory", tasks.len());
    while let Some(joined) = tasks.join_next().await {
        let (call, account, region, result) =
            joined.map_err(|e| Error::Collect(format!("a collection task died: {e}")))?;
        progress.step(&account, region.as_deref(), call.action, result.is_err());
        match result {
            Ok(Fetched { document, pages }) => {
                collected.requests += pages;
                write_dump(dir, &account, region.as_deref(), call.file_name, &document)?;
                match region {
                    Some(region) => documents.entry((account, region)).or_default().insert(call.file_name, document),
                    None => account_documents.entry(account).or_default().insert(call.file_name, document),
                };
            }
            Err(failure) => {
                collected.requests += 1;
                let reason = format!("{} failed: {failure}", call.action);
                collected.gap(Some(call.table), &account, region.as_deref(), reason);
            }
        }
    }

    // Each bucket's settings, in the bucket's region.
    let mut bucket_tasks = tokio::task::JoinSet::new();
    let mut buckets_by_region: BTreeMap<(String, String), std::collections::BTreeSet<String>> = BTreeMap::new();
    for target in &targets {
        let listed = account_documents.get(&target.account).and_then(|d| d.get("list-buckets.json"));
        for bucket in listed.and_then(|d| d["Buckets"].as_array()).into_iter().flatten() {
            let (Some(name), Some(region)) = (bucket["Name"].as_str(), bucket["BucketRegion"].as_str()) else {
                continue;
            };
            buckets_by_region.entry((target.account.clone(), region.to_owned())).or_default().insert(name.to_owned());
            let client = Clients::new(&target.config, region).s3;
            for call in s3::BUCKET_CALLS {
                let (client, limit, account, region, name) =
                    (client.clone(), Arc::clone(&limit), target.account.clone(), region.to_owned(), name.to_owned());
                bucket_tasks.spawn(async move {
                    let _permit = limit.acquire_owned().await;
                    let result = s3::bucket_setting(&client, &name, call).await;
                    (call, account, region, name, result)
                });
            }
        }
    }
    progress.phase("bucket settings", bucket_tasks.len());
    while let Some(joined) = bucket_tasks.join_next().await {
        let (call, account, region, bucket, result) =
            joined.map_err(|e| Error::Collect(format!("a collection task died: {e}")))?;
        progress.step(&account, Some(&region), &format!("{} {bucket}", call.action), result.is_err());
        collected.requests += 1;
        match result {
            Ok(Fetched { document, .. }) => {
                let folder = dir.join(&account).join(crate::ingest::aws_cli::BUCKET_CONFIG_DIR).join(&bucket);
                write_json(&folder, call.file_name, &document)?;
            }
            Err(failure) => {
                let reason = format!("{} failed for bucket {bucket}: {failure}", call.action);
                collected.gap(Some(Table::Buckets), &account, Some(&region), reason);
            }
        }
    }

    // Metrics need the inventory: they are read for what the EC2 calls found.
    let mut metric_tasks = tokio::task::JoinSet::new();
    for target in &targets {
        for region in &target.regions {
            let key = (target.account.clone(), region.clone());
            let mut resources = cloudwatch::Resources::from_dumps(&documents[&key]);
            resources.buckets = buckets_by_region.get(&key).cloned().unwrap_or_default();
            if resources.is_empty() {
                continue;
            }
            let client = Clients::new(&target.config, region).cloudwatch;
            let (limit, region, account) = (Arc::clone(&limit), region.clone(), target.account.clone());
            let (end, lookback) = (options.created_at, options.lookback_days);
            metric_tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let result = cloudwatch::fetch(&client, &resources, end, lookback).await;
                (account, region, result)
            });
        }
    }
    progress.phase("metrics", metric_tasks.len());
    while let Some(joined) = metric_tasks.join_next().await {
        let (account, region, result) = joined.map_err(|e| Error::Collect(format!("a collection task died: {e}")))?;
        progress.step(&account, Some(&region), cloudwatch::ACTIONS[1], result.is_err());
        match result {
            Ok(metrics) => {
                collected.requests += metrics.requests;
                collected.metrics_requested += metrics.metrics_requested;
                let file = crate::ingest::cloudwatch::METRIC_DATA_DUMP;
                write_dump(dir, &account, Some(&region), file, &metrics.document)?;
            }
            Err(failure) => {
                collected.requests += 1;
                collected.gap(Some(Table::Metrics), &account, Some(&region), failure);
            }
        }
    }

    collect_billing(&base, &caller, &targets, billing_dir, dir, options, progress.as_ref(), &mut collected).await?;

    collected.gaps.sort_by(|a, b| (&a.account_id, &a.region, &a.reason).cmp(&(&b.account_id, &b.region, &b.reason)));
    collected.accounts = targets.iter().map(|t| t.account.clone()).collect();
    let mut regions: Vec<String> = targets.iter().flat_map(|t| t.regions.iter().cloned()).collect();
    regions.sort();
    regions.dedup();
    collected.regions = regions;
    Ok(collected)
}

/// Reads the billing: the export from S3 with the caller's credentials, or each account's Cost Explorer.
#[allow(clippy::too_many_arguments)] // One call site; a struct for it would only rename these.
async fn collect_billing(
    base: &aws_config::SdkConfig,
    caller: &str,
    targets: &[Target],
    billing_dir: &Path,
    dumps_dir: &Path,
    options: &CollectOptions,
    progress: &dyn Progress,
    collected: &mut Collected,
) -> Result<()> {
    let (from, to) = billing::billing_window(options.created_at, options.lookback_days);
    match &options.billing {
        Billing::None => {}
        Billing::Export(location) => {
            progress.phase("billing", 1);
            let global = Clients::new(base, "us-east-1").s3;
            let downloaded = match s3::bucket_region(&global, &location.bucket).await {
                Ok(region) => {
                    collected.requests += 1;
                    let client = Clients::new(base, &region).s3;
                    billing::download_export(&client, location, from, to, billing_dir).await
                }
                Err(failure) => Err(failure),
            };
            progress.step(caller, None, &location.to_string(), downloaded.is_err());
            match downloaded {
                Ok((files, requests)) => {
                    collected.requests += requests;
                    collected.export_files = files;
                }
                Err(failure) => {
                    collected.requests += 1;
                    let reason = format!("cannot read the billing export {location}: {failure}");
                    collected.gap(Some(Table::Costs), caller, None, reason);
                }
            }
        }
        Billing::CostExplorer => {
            let mut tasks = tokio::task::JoinSet::new();
            for target in targets {
                // Cost Explorer has one endpoint, in us-east-1.
                let config = target.config.to_builder().region(aws_config::Region::new("us-east-1")).build();
                let client = aws_sdk_costexplorer::Client::new(&config);
                let account = target.account.clone();
                tasks.spawn(async move {
                    let result = billing::cost_and_usage(&client, &account, from, to).await;
                    (account, result)
                });
            }
            progress.phase("billing", tasks.len());
            while let Some(joined) = tasks.join_next().await {
                let (account, result) = joined.map_err(|e| Error::Collect(format!("a collection task died: {e}")))?;
                progress.step(&account, None, billing::COST_EXPLORER_ACTION, result.is_err());
                match result {
                    Ok((document, requests)) => {
                        collected.requests += requests;
                        collected.cost_explorer_requests += requests;
                        let file = crate::ingest::cost_explorer::COST_AND_USAGE_DUMP;
                        write_dump(dumps_dir, &account, None, file, &document)?;
                    }
                    Err(failure) => {
                        collected.requests += 1;
                        collected.cost_explorer_requests += 1;
                        collected.gap(Some(Table::Costs), &account, None, failure);
                    }
                }
            }
        }
    }
    Ok(())
}

/// A successful call: the CLI-shaped JSON and how many pages it took.
pub(crate) struct Fetched {
    pub(crate) document: Value,
    pub(crate) pages: usize,
}

/// An SDK error as one line: the service's error code and message when there is one
/// (`AccessDenied: User is not authorized ...`), else what kind of failure it was (a timeout, a connection
/// that failed, an HTTP status without an error document), never the raw response dump. Every `aws-sdk-*`
/// crate re-exports the same smithy error type, so this serves them all.
pub(crate) fn failure<E>(err: &aws_sdk_sts::error::SdkError<E>) -> String
where
    E: aws_sdk_sts::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata as _, SdkError};
    let detail = || {
        let text = DisplayErrorContext(err).to_string();
        // The context ends with the debug dump of the request or response; the first line says enough.
        text.split(" (").next().unwrap_or(&text).to_owned()
    };
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => match err {
            SdkError::TimeoutError(_) => "timed out: no reply within the attempt timeout (--timeout)".to_owned(),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => "timed out connecting (--timeout)".to_owned(),
            SdkError::DispatchFailure(failure) if failure.is_io() => format!("connection failed: {}", detail()),
            SdkError::ServiceError(service) if service.raw().status().is_success() => {
                format!("the reply (HTTP {}) could not be parsed", service.raw().status().as_u16())
            }
            SdkError::ServiceError(service) => {
                format!("HTTP {} without an error code the SDK could read", service.raw().status().as_u16())
            }
            _ => detail(),
        },
    }
}

/// Writes a reply to `<dir>/<account>/<region>/<file_name>`, or to the account's directory for account-wide
/// calls.
fn write_dump(dir: &Path, account: &str, region: Option<&str>, file_name: &str, document: &Value) -> Result<()> {
    let folder = match region {
        Some(region) => dir.join(account).join(region),
        None => dir.join(account),
    };
    write_json(&folder, file_name, document)
}

fn write_json(folder: &Path, file_name: &str, document: &Value) -> Result<()> {
    std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, e))?;
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
            // Reading object contents is allowed on the billing export's bucket only, never on every bucket.
            .inspect(|statement| {
                let reads_objects = statement["Action"].as_array().unwrap().iter().any(|a| a == "s3:GetObject");
                let everywhere = statement["Resource"] == "*";
                assert!(!(reads_objects && everywhere), "s3:GetObject on every bucket: {statement}");
            })
            .flat_map(|statement| statement["Action"].as_array().unwrap())
            .map(|action| action.as_str().unwrap())
            .collect();
        for action in CALLS.iter().map(|c| c.action).chain(OTHER_ACTIONS) {
            assert!(allowed.contains(&action), "{action} is called but not in docs/iam-policy.json");
        }
        for action in &allowed {
            let (service, name) = action.split_once(':').unwrap();
            assert!(!service.is_empty() && !name.contains('*'), "{action}: no wildcards in a least-privilege policy");
            assert!(
                ["Describe", "Get", "List"].iter().any(|verb| name.starts_with(verb)),
                "{action} is not a read-only action"
            );
            let used = CALLS.iter().map(|c| c.action).chain(OTHER_ACTIONS).any(|a| a == *action);
            assert!(used, "{action} is in the policy but the collector never calls it: least privilege");
        }
    }

    /// The policy the collector's own identity needs to reach other accounts, and the role's trust policy: both
    /// allow exactly `sts:AssumeRole`, the first only on the role the collector assumes by default.
    #[test]
    fn the_cross_account_policies_allow_only_assuming_the_read_only_role() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
        for file in ["iam-assume-role-policy.json", "iam-trust-policy.json"] {
            let policy: Value = serde_json::from_str(&std::fs::read_to_string(docs.join(file)).unwrap()).unwrap();
            for statement in policy["Statement"].as_array().unwrap() {
                assert_eq!(statement["Effect"], "Allow", "{file}");
                assert_eq!(statement["Action"], "sts:AssumeRole", "{file}");
                if file == "iam-assume-role-policy.json" {
                    let resource = statement["Resource"].as_str().unwrap();
                    assert_eq!(resource, format!("arn:aws:iam::*:role/{DEFAULT_ROLE_NAME}"));
                }
            }
        }
    }

    #[test]
    fn kept_dumps_replace_only_what_a_collection_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let keep = dir.path().join("dumps");
        assert!(!replaceable_dumps(&keep).unwrap(), "nothing to replace yet");
        let staging = dir.path().join("staging");
        std::fs::create_dir_all(staging.join("111111111111")).unwrap();
        replace_dumps(&staging, &keep).unwrap();
        assert!(keep.join("111111111111").is_dir() && keep.join(DUMPS_MARKER).is_file());
        assert!(replaceable_dumps(&keep).unwrap(), "an earlier collection's dumps are replaced");

        let precious = dir.path().join("home");
        std::fs::create_dir_all(&precious).unwrap();
        std::fs::write(precious.join("notes.txt"), "mine").unwrap();
        let error = replaceable_dumps(&precious).unwrap_err().to_string();
        assert!(error.contains("refusing to replace") && error.contains("home"), "{error}");
        assert!(precious.join("notes.txt").is_file());
    }

    #[test]
    fn every_bucket_setting_is_saved_under_a_name_the_importer_reads() {
        let names: Vec<&str> = s3::BUCKET_CALLS.iter().map(|c| c.file_name).collect();
        let expected: Vec<&str> = crate::ingest::aws_cli::BUCKET_CONFIG_DUMPS.iter().map(|d| d.file_name).collect();
        assert_eq!(names, expected);
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
