//! The Elastic Load Balancing calls: application, network and gateway load
//! balancers (ELBv2) and classic ones, each with its tags (`DescribeTags`,
//! 20 load balancers a call), turned into the JSON `aws elbv2
//! describe-load-balancers` and `aws elb describe-load-balancers` print.

// `|t| t.as_str()` reads better than the SDK's fully qualified paths.
#![allow(clippy::redundant_closure_for_method_calls)]

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::cli_json::{object, text, time};
use super::{Fetched, failure};

/// The action both `DescribeTags` calls need.
pub(super) const TAGS_ACTION: &str = "elasticloadbalancing:DescribeTags";

/// The most load balancers one `DescribeTags` call takes.
const TAGS_PER_CALL: usize = 20;

/// Every ELBv2 load balancer in the region, with tags: `describe-load-balancers.json`.
pub(super) async fn load_balancers(client: &aws_sdk_elasticloadbalancingv2::Client) -> Result<Fetched, String> {
    let pages = every_page!(client.describe_load_balancers()).map_err(|e| failure(&e))?;
    let balancers: Vec<_> = pages.iter().flat_map(|p| p.load_balancers()).collect();
    let arns: Vec<String> = balancers.iter().filter_map(|b| b.load_balancer_arn().map(str::to_owned)).collect();
    let mut tags: BTreeMap<String, Value> = BTreeMap::new();
    let mut requests = pages.len();
    for chunk in arns.chunks(TAGS_PER_CALL) {
        let reply = client
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| format!("{TAGS_ACTION}: {}", failure(&e)))?;
        requests += 1;
        for description in reply.tag_descriptions() {
            let pairs = description.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value()));
            if let (Some(arn), Some(list)) = (description.resource_arn(), tag_list(pairs)) {
                tags.insert(arn.to_owned(), list);
            }
        }
    }
    let items: Vec<Value> = balancers
        .iter()
        .map(|b| {
            object([
                ("LoadBalancerArn", text(b.load_balancer_arn())),
                ("LoadBalancerName", text(b.load_balancer_name())),
                ("Type", text(b.r#type().map(|t| t.as_str()))),
                ("Scheme", text(b.scheme().map(|s| s.as_str()))),
                ("State", b.state().map(|s| object([("Code", text(s.code().map(|c| c.as_str())))]))),
                ("CreatedTime", time(b.created_time())),
                ("VpcId", text(b.vpc_id())),
                ("Tags", b.load_balancer_arn().and_then(|arn| tags.get(arn).cloned())),
            ])
        })
        .collect();
    Ok(Fetched { document: json!({ "LoadBalancers": items }), pages: requests })
}

/// Every classic load balancer in the region, with tags: `describe-load-balancers-classic.json`.
pub(super) async fn classic_load_balancers(client: &aws_sdk_elasticloadbalancing::Client) -> Result<Fetched, String> {
    let pages = every_page!(client.describe_load_balancers()).map_err(|e| failure(&e))?;
    let balancers: Vec<_> = pages.iter().flat_map(|p| p.load_balancer_descriptions()).collect();
    let names: Vec<String> = balancers.iter().filter_map(|b| b.load_balancer_name().map(str::to_owned)).collect();
    let mut tags: BTreeMap<String, Value> = BTreeMap::new();
    let mut requests = pages.len();
    for chunk in names.chunks(TAGS_PER_CALL) {
        let reply = client
            .describe_tags()
            .set_load_balancer_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| format!("{TAGS_ACTION}: {}", failure(&e)))?;
        requests += 1;
        for description in reply.tag_descriptions() {
            let pairs = description.tags().iter().map(|t| (t.key(), t.value()));
            if let (Some(name), Some(list)) = (description.load_balancer_name(), tag_list(pairs)) {
                tags.insert(name.to_owned(), list);
            }
        }
    }
    let items: Vec<Value> = balancers
        .iter()
        .map(|b| {
            object([
                ("LoadBalancerName", text(b.load_balancer_name())),
                ("AvailabilityZones", Some(Value::from(b.availability_zones().to_vec()))),
                ("Scheme", text(b.scheme())),
                ("CreatedTime", time(b.created_time())),
                ("VPCId", text(b.vpc_id())),
                ("Tags", b.load_balancer_name().and_then(|name| tags.get(name).cloned())),
            ])
        })
        .collect();
    Ok(Fetched { document: json!({ "LoadBalancerDescriptions": items }), pages: requests })
}

/// Tags as the CLI's `[{"Key": ..., "Value": ...}]`, or `None` when there are none.
fn tag_list<'a>(pairs: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> Option<Value> {
    let list: Vec<Value> =
        pairs.map(|(key, value)| json!({ "Key": key, "Value": value.unwrap_or_default() })).collect();
    (!list.is_empty()).then_some(Value::Array(list))
}
