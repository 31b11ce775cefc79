//! The Auto Scaling call: every EC2 Auto Scaling group of the region, with
//! its sizes, what it launches from (launch template and version, launch
//! configuration, mixed-instances policy) and its instances, as `aws
//! autoscaling describe-auto-scaling-groups` prints it.

// `|p| p.auto_scaling_groups()` reads better than the SDK's fully qualified paths.
#![allow(clippy::redundant_closure_for_method_calls)]

use serde_json::{Value, json};

use super::cli_json::{object, text, time};
use super::{Fetched, failure};

/// Every Auto Scaling group in the region: `describe-auto-scaling-groups.json`.
pub(super) async fn auto_scaling_groups(client: &aws_sdk_autoscaling::Client) -> Result<Fetched, String> {
    let pages = every_page!(client.describe_auto_scaling_groups()).map_err(|e| failure(&e))?;
    let groups: Vec<Value> = pages.iter().flat_map(|p| p.auto_scaling_groups()).map(group).collect();
    Ok(Fetched { document: json!({ "AutoScalingGroups": groups }), pages: pages.len() })
}

fn group(g: &aws_sdk_autoscaling::types::AutoScalingGroup) -> Value {
    object([
        ("AutoScalingGroupName", text(g.auto_scaling_group_name())),
        ("AutoScalingGroupARN", text(g.auto_scaling_group_arn())),
        ("LaunchConfigurationName", text(g.launch_configuration_name())),
        ("LaunchTemplate", g.launch_template().map(template)),
        ("MixedInstancesPolicy", g.mixed_instances_policy().map(mixed_instances_policy)),
        ("MinSize", g.min_size().map(Value::from)),
        ("MaxSize", g.max_size().map(Value::from)),
        ("DesiredCapacity", g.desired_capacity().map(Value::from)),
        (
            "Instances",
            Some(Value::Array(
                g.instances()
                    .iter()
                    .map(|i| {
                        object([
                            ("InstanceId", text(i.instance_id())),
                            ("InstanceType", text(i.instance_type())),
                            ("LifecycleState", text(i.lifecycle_state().map(|s| s.as_str()))),
                        ])
                    })
                    .collect(),
            )),
        ),
        ("CreatedTime", time(g.created_time())),
        (
            "Tags",
            Some(Value::Array(
                g.tags().iter().map(|t| object([("Key", text(t.key())), ("Value", text(t.value()))])).collect(),
            )),
        ),
    ])
}

fn template(t: &aws_sdk_autoscaling::types::LaunchTemplateSpecification) -> Value {
    object([
        ("LaunchTemplateId", text(t.launch_template_id())),
        ("LaunchTemplateName", text(t.launch_template_name())),
        ("Version", text(t.version())),
    ])
}

fn mixed_instances_policy(p: &aws_sdk_autoscaling::types::MixedInstancesPolicy) -> Value {
    let launch_template = p.launch_template().map(|t| {
        object([
            ("LaunchTemplateSpecification", t.launch_template_specification().map(template)),
            (
                "Overrides",
                Some(Value::Array(
                    t.overrides().iter().map(|o| object([("InstanceType", text(o.instance_type()))])).collect(),
                )),
            ),
        ])
    });
    object([("LaunchTemplate", launch_template)])
}
