//! The AWS CLI steps for changing an EC2 instance's type, shared by the rules
//! that recommend one (`previous-generation-instance`, `ec2-rightsizing`), so
//! the same move reads the same whichever rule suggests it, and what an Auto
//! Scaling group launches from (the `auto_scaling_groups` table), which
//! decides how a group's type is changed.

use std::collections::BTreeMap;

use super::columns::{bools, strings};
use crate::error::{Error, PolarsResultExt};
use crate::finding::shell_word;
use crate::{Dataset, Table};

/// What an in-place type change must take care of.
pub(crate) struct InPlaceResize<'a> {
    pub region: &'a str,
    pub instance_id: &'a str,
    /// Current type.
    pub from: &'a str,
    /// Target type.
    pub to: &'a str,
    /// Xen to Nitro: check the AMI is HVM with ENA and NVMe drivers first.
    pub to_nitro: bool,
    /// The current type has instance-store disks, which a stop erases.
    pub instance_store: bool,
    /// The target is burstable (T family): mention the credit mode.
    pub burstable_target: bool,
}

impl InPlaceResize<'_> {
    /// Stop, change the type, start — with the checks the move needs, in order.
    pub(crate) fn commands(&self) -> Vec<String> {
        let Self { region, instance_id, from, to, .. } = *self;
        let mut cli = Vec::new();
        if self.to_nitro {
            cli.push(format!(
                "# {to} is a Nitro type: it needs an HVM AMI with the ENA and NVMe drivers; expect \"hvm True\":\naws ec2 describe-instances --region {region} --instance-ids {instance_id} --query 'Reservations[].Instances[].[VirtualizationType,EnaSupport]' --output text"
            ));
            cli.push(format!(
                "# If EnaSupport is not True: install the ENA driver in the OS, then, while stopped:\n#   aws ec2 modify-instance-attribute --region {region} --instance-id {instance_id} --ena-support\n# Also install the NVMe driver and mount by UUID in /etc/fstab (EBS volumes appear as /dev/nvme*);\n# AWS's checker: https://github.com/awslabs/aws-support-tools/tree/master/EC2/C5M5InstanceChecks"
            ));
        }
        if self.instance_store {
            cli.push(format!(
                "# {from} has instance-store disks: copy anything on them to EBS or S3 first; stopping erases them."
            ));
        }
        cli.extend([
            format!("aws ec2 stop-instances --region {region} --instance-ids {instance_id}"),
            format!("aws ec2 wait instance-stopped --region {region} --instance-ids {instance_id}"),
            format!(
                "aws ec2 modify-instance-attribute --region {region} --instance-id {instance_id} --instance-type \"{{\\\"Value\\\": \\\"{to}\\\"}}\""
            ),
        ]);
        if self.burstable_target {
            cli.push(format!(
                "# {to} is burstable and may run in unlimited mode, which bills sustained bursts above its baseline; to keep standard mode:\naws ec2 modify-instance-credit-specification --region {region} --instance-credit-specifications 'InstanceId={instance_id},CpuCredits=standard'"
            ));
        }
        cli.push(format!("aws ec2 start-instances --region {region} --instance-ids {instance_id}"));
        cli
    }

    /// The Terraform change.
    pub(crate) fn terraform(&self) -> String {
        format!(
            "# In the aws_instance for {} (Terraform stops and starts it):\ninstance_type = \"{}\"",
            self.instance_id, self.to
        )
    }
}

/// What an Auto Scaling group launches from, as the `auto_scaling_groups`
/// table records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LaunchSource {
    /// A launch template, at the version the group asks for (`$Default` when unsaid, as AWS reads it).
    Template { id: String, version: String },
    /// A mixed-instances policy: its launch template and the types its overrides allow.
    MixedInstances { id: String, version: String, types: Vec<String> },
    /// A launch configuration, which cannot be edited.
    LaunchConfiguration(String),
}

/// Every Auto Scaling group's [`LaunchSource`], by (account, region, group name).
pub(crate) struct AutoScalingGroups(BTreeMap<(String, String, String), LaunchSource>);

impl AutoScalingGroups {
    /// The snapshot's groups; `None` without an `auto_scaling_groups` table. A group with neither a launch
    /// template nor a launch configuration (not possible in AWS), or whose template id or version is not one
    /// AWS writes (`lt-` and hex digits; `$Default`, `$Latest` or a number), is left out: its commands then
    /// look the template up instead of pasting a value from the input. Override types not shaped like instance
    /// types are dropped for the same reason.
    pub(crate) fn load(dataset: &Dataset, rule: &str) -> Result<Option<Self>, Error> {
        let Some(groups) = dataset.table(Table::AutoScalingGroups) else { return Ok(None) };
        let context = format!("{rule}: Auto Scaling groups");
        let df = groups.collect().during(|| context.clone())?;
        let account = strings(&df, "account_id", &context)?;
        let region = strings(&df, "region", &context)?;
        let name = strings(&df, "auto_scaling_group_name", &context)?;
        let template = strings(&df, "launch_template_id", &context)?;
        let version = strings(&df, "launch_template_version", &context)?;
        let configuration = strings(&df, "launch_configuration_name", &context)?;
        let mixed = bools(&df, "mixed_instances_policy", &context)?;
        let types = strings(&df, "instance_types", &context)?;
        let mut out = BTreeMap::new();
        for i in 0..df.height() {
            let (Some(account), Some(region), Some(name)) = (account.get(i), region.get(i), name.get(i)) else {
                continue;
            };
            let version = version.get(i).unwrap_or("$Default").to_owned();
            let valid_version =
                version == "$Default" || version == "$Latest" || version.bytes().all(|b| b.is_ascii_digit());
            let valid_id =
                |id: &str| id.strip_prefix("lt-").is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
            if template.get(i).is_some_and(|id| !valid_id(id) || !valid_version) {
                continue;
            }
            let source = match (template.get(i), configuration.get(i)) {
                (Some(id), _) if mixed.get(i) == Some(true) => LaunchSource::MixedInstances {
                    id: id.to_owned(),
                    version,
                    // Only names shaped like instance types: they are printed in a comment line of the commands.
                    types: types
                        .get(i)
                        .into_iter()
                        .flat_map(|t| t.split(','))
                        .filter(|t| {
                            !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                        })
                        .map(str::to_owned)
                        .collect(),
                },
                (Some(id), _) => LaunchSource::Template { id: id.to_owned(), version },
                (None, Some(configuration)) => LaunchSource::LaunchConfiguration(configuration.to_owned()),
                (None, None) => continue,
            };
            out.insert((account.to_owned(), region.to_owned(), name.to_owned()), source);
        }
        Ok(Some(Self(out)))
    }

    /// The group's launch source, if the snapshot records the group.
    pub(crate) fn get(&self, account: &str, region: &str, group: &str) -> Option<&LaunchSource> {
        self.0.get(&(account.to_owned(), region.to_owned(), group.to_owned()))
    }

    /// Every group: ((account, region, name), source), sorted.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&(String, String, String), &LaunchSource)> {
        self.0.iter()
    }
}

/// Moving an Auto Scaling group's instances to another type: a new launch
/// template version (or, for a launch configuration, a template copied from
/// it), the group pointed at it, and an instance refresh to replace the
/// running members.
pub(crate) struct GroupTypeChange<'a> {
    pub region: &'a str,
    pub group: &'a str,
    /// How the group launches, when the snapshot has its `auto_scaling_groups` row.
    pub source: Option<&'a LaunchSource>,
    /// Target type.
    pub to: &'a str,
    /// The target is another architecture (x86_64 to arm64): the version needs an arm64 AMI too.
    pub arm64_image: bool,
}

impl GroupTypeChange<'_> {
    /// What to do, as a clause after "Auto Scaling group <name>: ".
    pub(crate) fn how(&self) -> String {
        let Self { to, .. } = *self;
        let image = if self.arm64_image { " and an arm64 AMI" } else { "" };
        match self.source {
            Some(LaunchSource::MixedInstances { types, .. }) => format!(
                "its mixed-instances policy picks the type ({}): create a launch template version with {to}{image}, make it the policy's template and {to} its override, and roll it out with an instance refresh",
                if types.is_empty() { "by instance requirements".to_owned() } else { types.join(", ") }
            ),
            Some(LaunchSource::LaunchConfiguration(name)) => format!(
                "it launches from launch configuration {name}, which cannot be edited: copy it to a launch template with {to}{image}, point the group at the template and roll it out with an instance refresh"
            ),
            Some(LaunchSource::Template { id, version }) => format!(
                "create a version of its launch template {id} (from version {version}) with {to}{image}, point the group at it and roll it out with an instance refresh"
            ),
            None => format!(
                "create a launch template version with {to}{image}, point the group at it and roll it out with an instance refresh (a group on a launch configuration or a mixed-instances policy needs the type changed there instead)"
            ),
        }
    }

    /// The AWS CLI steps. The group is pinned to the version created (`$V`), so a later version someone
    /// else creates does not roll out with it.
    pub(crate) fn commands(&self) -> Vec<String> {
        let Self { region, to, .. } = *self;
        let group = shell_word(self.group);
        let data = if self.arm64_image {
            format!("{{\"InstanceType\":\"{to}\",\"ImageId\":\"<arm64-ami-id>\"}}")
        } else {
            format!("{{\"InstanceType\":\"{to}\"}}")
        };
        let refresh =
            format!("aws autoscaling start-instance-refresh --region {region} --auto-scaling-group-name {group}");
        let new_version = |template: &str, source: &str| {
            format!(
                "V=$(aws ec2 create-launch-template-version --region {region} --launch-template-id {template} --source-version {source} --launch-template-data '{data}' --query 'LaunchTemplateVersion.VersionNumber' --output text)"
            )
        };
        match self.source {
            Some(LaunchSource::LaunchConfiguration(name)) => vec![
                format!(
                    // The name is quoted like a shell word so that no character of it can end the comment.
                    "# {name} is a launch configuration, which cannot be edited: copy it to a launch template (EC2 console: Launch configurations, select {name}, Actions, Copy to launch template) with instance type {to}{}, then:",
                    if self.arm64_image { " and an arm64 AMI" } else { "" },
                    name = shell_word(name)
                ),
                format!(
                    "aws autoscaling update-auto-scaling-group --region {region} --auto-scaling-group-name {group} --launch-template 'LaunchTemplateName=<the new template>,Version=$Latest'"
                ),
                refresh,
            ],
            Some(LaunchSource::MixedInstances { id, version, types }) => vec![
                new_version(id, &shell_word(version)),
                format!(
                    "# Replaces the overrides{} with {to} alone; list more types that fit if the group relies on Spot diversity:\naws autoscaling update-auto-scaling-group --region {region} --auto-scaling-group-name {group} --mixed-instances-policy '{{\"LaunchTemplate\":{{\"LaunchTemplateSpecification\":{{\"LaunchTemplateId\":\"{id}\",\"Version\":\"'\"$V\"'\"}},\"Overrides\":[{{\"InstanceType\":\"{to}\"}}]}}}}'",
                    if types.is_empty() { String::new() } else { format!(" ({})", types.join(", ")) }
                ),
                refresh,
            ],
            Some(LaunchSource::Template { id, version }) => vec![
                new_version(id, &shell_word(version)),
                format!(
                    "aws autoscaling update-auto-scaling-group --region {region} --auto-scaling-group-name {group} --launch-template \"LaunchTemplateId={id},Version=$V\""
                ),
                refresh,
            ],
            None => vec![
                format!(
                    "LT=$(aws autoscaling describe-auto-scaling-groups --region {region} --auto-scaling-group-names {group} --query 'AutoScalingGroups[0].LaunchTemplate.LaunchTemplateId' --output text)"
                ),
                new_version("\"$LT\"", "'$Latest'"),
                format!(
                    "aws autoscaling update-auto-scaling-group --region {region} --auto-scaling-group-name {group} --launch-template \"LaunchTemplateId=$LT,Version=$V\""
                ),
                refresh,
            ],
        }
    }

    /// The Terraform change.
    pub(crate) fn terraform(&self) -> String {
        let Self { to, .. } = *self;
        let group = shell_word(self.group);
        let image =
            if self.arm64_image { "\nimage_id      = data.aws_ami.<arm64 image>.id  # an arm64 AMI" } else { "" };
        match self.source {
            Some(LaunchSource::MixedInstances { .. }) => format!(
                "# In the mixed_instances_policy of the aws_autoscaling_group for {group}, in place of the current overrides:\noverride {{\n  instance_type = \"{to}\"\n}}\n# (and image_id in its aws_launch_template if the architecture changes), with an instance_refresh block to roll the change out."
            ),
            Some(LaunchSource::LaunchConfiguration(name)) => format!(
                "# Replace the aws_launch_configuration {} of {group} with an aws_launch_template:\ninstance_type = \"{to}\"{image}\n# referenced from the aws_autoscaling_group's launch_template block, with an instance_refresh block to roll the change out.",
                shell_word(name)
            ),
            Some(LaunchSource::Template { .. }) | None => format!(
                "# In the aws_launch_template used by {group}:\ninstance_type = \"{to}\"{image}\n# and an instance_refresh block in its aws_autoscaling_group to roll the change out."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arguments bash passes to `aws` when it runs `command` (with `$V` = 7), one per element: what
    /// the user gets when pasting it.
    fn aws_arguments(command: &str) -> Vec<String> {
        let script = format!("aws() {{ printf '%s\\0' \"$@\"; }}\nV=7\n{command}");
        let output = std::process::Command::new("bash").arg("-c").arg(script).output().expect("bash runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().split('\0').filter(|a| !a.is_empty()).map(str::to_owned).collect()
    }

    fn after<'a>(arguments: &'a [String], flag: &str) -> &'a str {
        let at = arguments.iter().position(|a| a == flag).unwrap_or_else(|| panic!("no {flag} in {arguments:?}"));
        &arguments[at + 1]
    }

    fn change(source: Option<&LaunchSource>) -> GroupTypeChange<'_> {
        GroupTypeChange { region: "eu-west-1", group: "web", source, to: "m7g.large", arm64_image: false }
    }

    #[test]
    fn a_template_group_gets_a_version_of_its_own_template_and_is_pinned_to_it() {
        let source = LaunchSource::Template { id: "lt-0abc".into(), version: "3".into() };
        let cli = change(Some(&source)).commands();
        assert_eq!(cli.len(), 3);
        let create = aws_arguments(cli[0].trim_start_matches("V=$(").trim_end_matches(')'));
        assert_eq!(after(&create, "--launch-template-id"), "lt-0abc");
        assert_eq!(after(&create, "--source-version"), "3", "built from the version the group runs");
        let data: serde_json::Value = serde_json::from_str(after(&create, "--launch-template-data")).unwrap();
        assert_eq!(data, serde_json::json!({"InstanceType": "m7g.large"}));
        let update = aws_arguments(&cli[1]);
        assert_eq!(after(&update, "--launch-template"), "LaunchTemplateId=lt-0abc,Version=7");
        assert!(change(Some(&source)).how().contains("launch template lt-0abc (from version 3)"));
    }

    #[test]
    fn a_mixed_instances_group_gets_its_override_replaced_with_valid_json() {
        let source = LaunchSource::MixedInstances {
            id: "lt-0abc".into(),
            version: "$Default".into(),
            types: vec!["m5.large".into(), "m6i.large".into()],
        };
        let cli = change(Some(&source)).commands();
        assert!(cli[1].starts_with("# Replaces the overrides (m5.large, m6i.large) with m7g.large alone"));
        let update = aws_arguments(&cli[1]);
        let policy: serde_json::Value = serde_json::from_str(after(&update, "--mixed-instances-policy")).unwrap();
        assert_eq!(
            policy,
            serde_json::json!({"LaunchTemplate": {
                "LaunchTemplateSpecification": {"LaunchTemplateId": "lt-0abc", "Version": "7"},
                "Overrides": [{"InstanceType": "m7g.large"}]
            }})
        );
        let how = change(Some(&source)).how();
        assert!(how.starts_with("its mixed-instances policy picks the type (m5.large, m6i.large)"), "{how}");
        assert!(change(Some(&source)).terraform().contains("mixed_instances_policy"));
    }

    #[test]
    fn a_launch_configuration_group_is_told_to_copy_it_to_a_template() {
        let source = LaunchSource::LaunchConfiguration("reports-2019".into());
        let change = change(Some(&source));
        let cli = change.commands();
        assert!(cli[0].contains("Copy to launch template"), "{}", cli[0]);
        assert!(
            !cli.iter().any(|c| c.contains("create-launch-template-version")),
            "a launch configuration has no versions"
        );
        assert!(change.how().starts_with("it launches from launch configuration reports-2019, which cannot be edited"));
        assert!(change.terraform().contains("aws_launch_configuration reports-2019"));
    }

    #[test]
    fn values_not_in_aws_form_never_reach_the_commands() {
        use polars::prelude::{Column, DataFrame};
        let groups = DataFrame::new_infer_height(vec![
            Column::new("account_id".into(), ["111111111111"; 3]),
            Column::new("region".into(), ["us-east-1"; 3]),
            Column::new("auto_scaling_group_name".into(), ["good", "bad-id", "bad-version"]),
            Column::new("launch_template_id".into(), ["lt-0abc", "lt-0xyz", "lt-0abc"]),
            Column::new("launch_template_version".into(), ["$Latest", "1", "$(id)"]),
            Column::new("mixed_instances_policy".into(), [true, false, false]),
            Column::new("instance_types".into(), [Some("m5.large,m6i.large\nrm -rf ~,c7g.xlarge"), None, None]),
            Column::new("min_size".into(), [1i64; 3]),
            Column::new("max_size".into(), [1i64; 3]),
            Column::new("desired_capacity".into(), [1i64; 3]),
            Column::new("instance_count".into(), [1i64; 3]),
            Column::new("tags".into(), ["{}"; 3]),
        ])
        .unwrap();
        let period =
            crate::manifest::Period { start: chrono::NaiveDateTime::default(), end: chrono::NaiveDateTime::default() };
        let manifest = crate::manifest::Manifest::in_memory("groups", vec![], period);
        let dataset = Dataset::from_frames(manifest, [(Table::AutoScalingGroups, groups)]).unwrap();
        let groups = AutoScalingGroups::load(&dataset, "test").unwrap().unwrap();
        assert_eq!(
            groups.get("111111111111", "us-east-1", "good"),
            Some(&LaunchSource::MixedInstances {
                id: "lt-0abc".into(),
                version: "$Latest".into(),
                types: vec!["m5.large".into(), "c7g.xlarge".into()],
            }),
            "the override that is not an instance type is dropped"
        );
        assert_eq!(groups.get("111111111111", "us-east-1", "bad-id"), None);
        assert_eq!(groups.get("111111111111", "us-east-1", "bad-version"), None);
        // A group left out is changed through a lookup, with its name quoted.
        let change = GroupTypeChange { group: "bad id", ..change(None) };
        assert!(change.commands()[0].contains("--auto-scaling-group-names 'bad id'"), "{}", change.commands()[0]);
    }

    #[test]
    fn an_unknown_group_looks_its_template_up_first() {
        let cli = change(None).commands();
        assert!(cli[0].starts_with("LT=$(aws autoscaling describe-auto-scaling-groups"));
        let update = aws_arguments(&format!("LT=lt-0def\n{}", cli[2]));
        assert_eq!(after(&update, "--launch-template"), "LaunchTemplateId=lt-0def,Version=7");
    }
}
