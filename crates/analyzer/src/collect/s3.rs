//! The S3 calls: every bucket of the account (`ListBuckets`, which says each
//! bucket's region), then, in the bucket's region, its lifecycle
//! configuration, versioning and Intelligent-Tiering configurations, saved
//! as the per-bucket dumps of `costwise import`
//! (`<account>/s3-bucket-config/<bucket>/get-bucket-versioning.json`, ...).
//!
//! "No lifecycle configuration" is an error code in S3
//! (`NoSuchLifecycleConfiguration`); here it is what it means: no rules
//! (`{"Rules": []}`). Any other failure leaves that setting of that bucket
//! "not collected" (null in the `buckets` table) and is a gap naming the
//! bucket.

// `|t| t.as_str()` reads better than the SDK's fully qualified paths.
#![allow(clippy::redundant_closure_for_method_calls)]

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{LifecycleRule, LifecycleRuleFilter, Tag};
use serde_json::{Value, json};

use super::cli_json::{object, text, time};
use super::{Fetched, failure};

/// Every bucket of the account with its region: `list-buckets.json`.
pub(super) async fn list_buckets(client: &Client) -> Result<Fetched, String> {
    let pages = every_page!(client.list_buckets()).map_err(|e| failure(&e))?;
    let mut items = Vec::new();
    let mut requests = pages.len();
    for bucket in pages.iter().flat_map(|p| p.buckets()) {
        let Some(name) = bucket.name() else { continue };
        // Endpoints that do not say `BucketRegion` (other partitions, emulators) are asked per bucket.
        let region = if let Some(region) = bucket.bucket_region().filter(|r| !r.is_empty()) {
            region.to_owned()
        } else {
            requests += 1;
            bucket_region(client, name).await?
        };
        let region = region.as_str();
        items.push(object([
            ("Name", text(Some(name))),
            ("CreationDate", time(bucket.creation_date())),
            ("BucketRegion", text(Some(region))),
        ]));
    }
    Ok(Fetched { document: json!({ "Buckets": items }), pages: requests })
}

/// The region of a bucket (`GetBucketLocation`).
pub(super) async fn bucket_region(client: &Client, name: &str) -> Result<String, String> {
    let reply = client
        .get_bucket_location()
        .bucket(name)
        .send()
        .await
        .map_err(|e| format!("{LOCATION_ACTION} failed for bucket {name}: {}", failure(&e)))?;
    Ok(match reply.location_constraint().map(|c| c.as_str()) {
        // No constraint is us-east-1; `EU` is the legacy name of eu-west-1.
        None | Some("") => "us-east-1".to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(region) => region.to_owned(),
    })
}

/// One per-bucket call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BucketCall {
    /// The IAM action.
    pub(super) action: &'static str,
    /// The dump's file name in the bucket's directory.
    pub(super) file_name: &'static str,
}

/// The per-bucket calls, in the order of `ingest::aws_cli::BUCKET_CONFIG_DUMPS`.
pub(super) const BUCKET_CALLS: [BucketCall; 3] = [
    BucketCall { action: "s3:GetLifecycleConfiguration", file_name: "get-bucket-lifecycle-configuration.json" },
    BucketCall { action: "s3:GetBucketVersioning", file_name: "get-bucket-versioning.json" },
    BucketCall {
        action: "s3:GetIntelligentTieringConfiguration",
        file_name: "list-bucket-intelligent-tiering-configurations.json",
    },
];

/// The account-wide action.
pub(super) const LIST_ACTION: &str = "s3:ListAllMyBuckets";

/// Where a bucket lives, for endpoints whose `ListBuckets` does not say.
pub(super) const LOCATION_ACTION: &str = "s3:GetBucketLocation";

/// Makes one per-bucket call with a client for the bucket's region.
pub(super) async fn bucket_setting(client: &Client, bucket: &str, call: BucketCall) -> Result<Fetched, String> {
    let document = match call.file_name {
        "get-bucket-lifecycle-configuration.json" => {
            match client.get_bucket_lifecycle_configuration().bucket(bucket).send().await {
                Ok(reply) => json!({ "Rules": reply.rules().iter().map(rule).collect::<Vec<_>>() }),
                Err(e) if aws_sdk_s3::error::ProvideErrorMetadata::code(&e) == Some("NoSuchLifecycleConfiguration") => {
                    json!({ "Rules": [] })
                }
                Err(e) => return Err(failure(&e)),
            }
        }
        "get-bucket-versioning.json" => {
            let reply = client.get_bucket_versioning().bucket(bucket).send().await.map_err(|e| failure(&e))?;
            object([("Status", text(reply.status().map(|s| s.as_str())))])
        }
        "list-bucket-intelligent-tiering-configurations.json" => {
            let mut configurations = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let reply = client
                    .list_bucket_intelligent_tiering_configurations()
                    .bucket(bucket)
                    .set_continuation_token(token.take())
                    .send()
                    .await
                    .map_err(|e| failure(&e))?;
                configurations.extend(
                    reply
                        .intelligent_tiering_configuration_list()
                        .iter()
                        .map(|c| object([("Id", text(Some(c.id()))), ("Status", text(Some(c.status().as_str())))])),
                );
                match reply.next_continuation_token().filter(|_| reply.is_truncated() == Some(true)) {
                    Some(next) => token = Some(next.to_owned()),
                    None => break,
                }
            }
            json!({ "IntelligentTieringConfigurationList": configurations })
        }
        other => return Err(format!("no S3 call is saved as {other}")),
    };
    Ok(Fetched { document, pages: 1 })
}

/// A lifecycle rule as `aws s3api get-bucket-lifecycle-configuration` prints it.
// The rule-level `Prefix` is deprecated for new rules, but rules written before `Filter` existed still carry it
// and it is their scope: the lifecycle analysis must see it.
#[allow(deprecated)]
fn rule(r: &LifecycleRule) -> Value {
    let transitions: Vec<Value> = r
        .transitions()
        .iter()
        .map(|t| {
            object([
                ("Days", t.days().map(Value::from)),
                ("Date", time(t.date())),
                ("StorageClass", text(t.storage_class().map(|c| c.as_str()))),
            ])
        })
        .collect();
    let noncurrent_transitions: Vec<Value> = r
        .noncurrent_version_transitions()
        .iter()
        .map(|t| {
            object([
                ("NoncurrentDays", t.noncurrent_days().map(Value::from)),
                ("StorageClass", text(t.storage_class().map(|c| c.as_str()))),
                ("NewerNoncurrentVersions", t.newer_noncurrent_versions().map(Value::from)),
            ])
        })
        .collect();
    object([
        ("ID", text(r.id())),
        ("Status", text(Some(r.status().as_str()))),
        ("Prefix", text(r.prefix())),
        ("Filter", r.filter().map(filter)),
        (
            "Expiration",
            r.expiration().map(|e| {
                object([
                    ("Days", e.days().map(Value::from)),
                    ("Date", time(e.date())),
                    ("ExpiredObjectDeleteMarker", e.expired_object_delete_marker().map(Value::from)),
                ])
            }),
        ),
        ("Transitions", (!transitions.is_empty()).then_some(Value::Array(transitions))),
        (
            "NoncurrentVersionTransitions",
            (!noncurrent_transitions.is_empty()).then_some(Value::Array(noncurrent_transitions)),
        ),
        (
            "NoncurrentVersionExpiration",
            r.noncurrent_version_expiration().map(|e| {
                object([
                    ("NoncurrentDays", e.noncurrent_days().map(Value::from)),
                    ("NewerNoncurrentVersions", e.newer_noncurrent_versions().map(Value::from)),
                ])
            }),
        ),
        (
            "AbortIncompleteMultipartUpload",
            r.abort_incomplete_multipart_upload()
                .map(|a| object([("DaysAfterInitiation", a.days_after_initiation().map(Value::from))])),
        ),
    ])
}

fn filter(f: &LifecycleRuleFilter) -> Value {
    let tag = |t: &Tag| json!({ "Key": t.key(), "Value": t.value() });
    object([
        ("Prefix", text(f.prefix())),
        ("Tag", f.tag().map(tag)),
        ("ObjectSizeGreaterThan", f.object_size_greater_than().map(Value::from)),
        ("ObjectSizeLessThan", f.object_size_less_than().map(Value::from)),
        (
            "And",
            f.and().map(|a| {
                object([
                    ("Prefix", text(a.prefix())),
                    ("Tags", (!a.tags().is_empty()).then(|| Value::Array(a.tags().iter().map(tag).collect()))),
                    ("ObjectSizeGreaterThan", a.object_size_greater_than().map(Value::from)),
                    ("ObjectSizeLessThan", a.object_size_less_than().map(Value::from)),
                ])
            }),
        ),
    ])
}
