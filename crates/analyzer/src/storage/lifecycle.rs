//! S3 lifecycle configurations: reading a bucket's current rules, and writing
//! the rules costwise recommends in the three forms a user applies them in.
//!
//! The JSON is the `LifecycleConfiguration` body of
//! `aws s3api put-bucket-lifecycle-configuration` (the S3 API's shape, checked
//! against botocore's service model in `tests/lifecycle_shape.rs`); the
//! Terraform is an `aws_s3_bucket_lifecycle_configuration` resource (parsed
//! as HCL in the same test). `put-bucket-lifecycle-configuration` replaces
//! the whole configuration, so a recommendation for a bucket that already
//! has rules carries them over verbatim next to the new one.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::tiering::TargetClass;
use crate::finding::shell_quote;

/// S3's header value that lets objects under 128 KiB transition to the
/// Glacier Flexible Retrieval and Deep Archive classes.
pub const SMALL_OBJECTS_TO_ARCHIVE: &str = "varies_by_storage_class";

/// One lifecycle rule costwise recommends (status Enabled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    /// The rule's `ID` (`costwise-glacier-ir-after-30-days`).
    pub id: String,
    /// The key prefix the rule applies to; empty for the whole bucket.
    pub prefix: String,
    /// Current versions move to `class` at `days`.
    pub transition: Option<(u32, TargetClass)>,
    /// Noncurrent versions move to `class` `days` after they become noncurrent.
    pub noncurrent_transition: Option<(u32, TargetClass)>,
    /// Noncurrent versions expire `days` after they become noncurrent, keeping
    /// the newest `keep` noncurrent versions (when set).
    pub noncurrent_expiration: Option<(u32, Option<u32>)>,
    /// Incomplete multipart uploads are aborted `days` after they start.
    pub abort_incomplete_multipart_days: Option<u32>,
}

impl NewRule {
    /// A rule with only an ID; set the actions on the result.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            prefix: String::new(),
            transition: None,
            noncurrent_transition: None,
            noncurrent_expiration: None,
            abort_incomplete_multipart_days: None,
        }
    }

    /// The rule in the S3 API's JSON shape.
    pub fn to_json(&self) -> Value {
        let mut rule = serde_json::Map::new();
        rule.insert("ID".into(), json!(self.id));
        rule.insert("Filter".into(), json!({ "Prefix": self.prefix }));
        rule.insert("Status".into(), json!("Enabled"));
        if let Some((days, class)) = self.transition {
            rule.insert("Transitions".into(), json!([{ "Days": days, "StorageClass": class.api_name() }]));
        }
        if let Some((days, class)) = self.noncurrent_transition {
            rule.insert(
                "NoncurrentVersionTransitions".into(),
                json!([{ "NoncurrentDays": days, "StorageClass": class.api_name() }]),
            );
        }
        if let Some((days, keep)) = self.noncurrent_expiration {
            let mut expiration = serde_json::Map::new();
            expiration.insert("NoncurrentDays".into(), json!(days));
            if let Some(keep) = keep {
                expiration.insert("NewerNoncurrentVersions".into(), json!(keep));
            }
            rule.insert("NoncurrentVersionExpiration".into(), Value::Object(expiration));
        }
        if let Some(days) = self.abort_incomplete_multipart_days {
            rule.insert("AbortIncompleteMultipartUpload".into(), json!({ "DaysAfterInitiation": days }));
        }
        Value::Object(rule)
    }

    /// The rule as a Terraform `rule { ... }` block, indented for a resource body.
    fn to_terraform(&self) -> String {
        let mut out = String::new();
        out.push_str("  rule {\n");
        let _ = writeln!(out, "    id     = {}", hcl_string(&self.id));
        out.push_str("    status = \"Enabled\"\n\n");
        if self.prefix.is_empty() {
            out.push_str("    filter {}\n");
        } else {
            let _ = writeln!(out, "    filter {{\n      prefix = {}\n    }}", hcl_string(&self.prefix));
        }
        if let Some((days, class)) = self.transition {
            let _ = write!(
                out,
                "\n    transition {{\n      days          = {days}\n      storage_class = \"{}\"\n    }}\n",
                class.api_name()
            );
        }
        if let Some((days, class)) = self.noncurrent_transition {
            let _ = write!(
                out,
                "\n    noncurrent_version_transition {{\n      noncurrent_days = {days}\n      storage_class   = \"{}\"\n    }}\n",
                class.api_name()
            );
        }
        if let Some((days, keep)) = self.noncurrent_expiration {
            let _ = write!(out, "\n    noncurrent_version_expiration {{\n      noncurrent_days           = {days}\n");
            if let Some(keep) = keep {
                let _ = writeln!(out, "      newer_noncurrent_versions = {keep}");
            }
            out.push_str("    }\n");
        }
        if let Some(days) = self.abort_incomplete_multipart_days {
            let _ = write!(
                out,
                "\n    abort_incomplete_multipart_upload {{\n      days_after_initiation = {days}\n    }}\n"
            );
        }
        out.push_str("  }\n");
        out
    }
}

/// The configuration to apply: the bucket's current rules (when known) plus the new ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// Bucket name.
    pub bucket: String,
    /// The rules costwise adds (one per prefix when they differ by prefix).
    pub rules: Vec<NewRule>,
    /// The bucket's current rules, verbatim, when the snapshot has them.
    pub existing: Option<Vec<Value>>,
    /// The bucket has rules the snapshot does not show (only their count is known).
    pub existing_unknown: bool,
    /// Set `TransitionDefaultMinimumObjectSize` to this value (objects under 128 KiB must move).
    pub minimum_object_size: Option<&'static str>,
}

impl Recommendation {
    /// The `LifecycleConfiguration` JSON, pretty-printed.
    pub fn configuration_json(&self) -> String {
        let mut rules: Vec<Value> = self
            .existing
            .iter()
            .flatten()
            .filter(|r| {
                let id = r.get("ID").and_then(Value::as_str);
                !self.rules.iter().any(|new| Some(new.id.as_str()) == id)
            })
            .cloned()
            .collect();
        rules.extend(self.rules.iter().map(NewRule::to_json));
        serde_json::to_string_pretty(&json!({ "Rules": rules })).expect("JSON values serialize")
    }

    /// AWS CLI commands: back the current configuration up, then put the new one.
    pub fn cli(&self) -> Vec<String> {
        let compact: Value = serde_json::from_str(&self.configuration_json()).expect("own JSON parses");
        let mut put = format!(
            "aws s3api put-bucket-lifecycle-configuration --bucket {} --lifecycle-configuration {}",
            self.bucket,
            shell_quote(&compact.to_string())
        );
        if let Some(size) = self.minimum_object_size {
            let _ = write!(put, " --transition-default-minimum-object-size {size}");
        }
        let mut commands = vec![format!(
            "aws s3api get-bucket-lifecycle-configuration --bucket {0} > {0}-lifecycle-before.json  # backup; fails harmlessly when the bucket has none",
            self.bucket
        )];
        if self.existing_unknown {
            commands.push(format!(
                "# {} already has lifecycle rules this snapshot does not show: add them to the Rules array below, put replaces every rule",
                self.bucket
            ));
        }
        commands.push(put);
        commands
    }

    /// A Terraform `aws_s3_bucket_lifecycle_configuration` resource with the new rules.
    ///
    /// Existing rules are not rendered: a bucket managed by Terraform already
    /// has this resource, and the rule block goes into it.
    pub fn terraform(&self) -> String {
        let mut out = String::new();
        if self.existing.as_ref().is_some_and(|r| !r.is_empty()) || self.existing_unknown {
            let _ = write!(
                out,
                "# {} already has lifecycle rules: add the rule block(s) below to its existing\n# aws_s3_bucket_lifecycle_configuration (one resource per bucket).\n",
                self.bucket
            );
        }
        let _ = write!(
            out,
            "resource \"aws_s3_bucket_lifecycle_configuration\" \"{}\" {{\n  bucket = {}\n",
            terraform_label(&self.bucket),
            hcl_string(&self.bucket)
        );
        if let Some(size) = self.minimum_object_size {
            let _ = writeln!(out, "  transition_default_minimum_object_size = \"{size}\"");
        }
        for rule in &self.rules {
            out.push('\n');
            out.push_str(&rule.to_terraform());
        }
        out.push_str("}\n");
        out
    }
}

/// What costwise needs to know about a bucket's current lifecycle rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurrentRules {
    /// The rules, verbatim.
    pub rules: Vec<Value>,
    /// An enabled rule transitions current versions (the bucket is at least partly tiered).
    pub transitions_current: bool,
    /// An enabled whole-bucket rule transitions current versions (the bucket is tiered).
    pub transitions_whole_bucket: bool,
    /// Prefixes (`filtered` for tag or size filters) of enabled rules that transition only part of the bucket.
    pub transition_prefixes: Vec<String>,
    /// The shortest expiration (days) of an enabled whole-bucket rule.
    pub expiration_days: Option<u32>,
    /// An enabled rule aborts incomplete multipart uploads.
    pub aborts_multipart: bool,
    /// An enabled rule expires or transitions noncurrent versions.
    pub handles_noncurrent: bool,
}

impl CurrentRules {
    /// Reads the `Rules` array of `GetBucketLifecycleConfiguration` (or a
    /// whole `{"Rules": [...]}` object).
    pub fn parse(json: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
        let rules = match value {
            Value::Array(rules) => rules,
            Value::Object(mut object) => match object.remove("Rules") {
                Some(Value::Array(rules)) => rules,
                _ => return Err("expected a `Rules` array".into()),
            },
            _ => return Err("expected a `Rules` array".into()),
        };
        let mut current = CurrentRules::default();
        for rule in &rules {
            if rule.get("Status").and_then(Value::as_str) != Some("Enabled") {
                continue;
            }
            let has = |key: &str| rule.get(key).is_some_and(|v| !v.is_null());
            if rule.get("Transitions").and_then(Value::as_array).is_some_and(|t| !t.is_empty()) || has("Transition") {
                current.transitions_current = true;
                if whole_bucket(rule) {
                    current.transitions_whole_bucket = true;
                } else {
                    let prefix = rule
                        .pointer("/Filter/Prefix")
                        .or_else(|| rule.pointer("/Filter/And/Prefix"))
                        .or_else(|| rule.get("Prefix"))
                        .and_then(Value::as_str)
                        .filter(|p| !p.is_empty())
                        .unwrap_or("filtered");
                    current.transition_prefixes.push(prefix.to_owned());
                }
            }
            if has("AbortIncompleteMultipartUpload") {
                current.aborts_multipart = true;
            }
            if has("NoncurrentVersionExpiration")
                || rule.get("NoncurrentVersionTransitions").and_then(Value::as_array).is_some_and(|t| !t.is_empty())
            {
                current.handles_noncurrent = true;
            }
            if whole_bucket(rule)
                && let Some(days) = rule.pointer("/Expiration/Days").and_then(Value::as_u64)
            {
                let days = u32::try_from(days).unwrap_or(u32::MAX);
                current.expiration_days = Some(current.expiration_days.map_or(days, |d| d.min(days)));
            }
        }
        current.rules = rules;
        Ok(current)
    }
}

/// Whether a rule applies to every object (no filter, or an empty prefix).
fn whole_bucket(rule: &Value) -> bool {
    let empty_prefix = |v: Option<&Value>| v.is_none_or(|p| p.as_str().is_some_and(str::is_empty));
    match rule.get("Filter") {
        None | Some(Value::Null) => empty_prefix(rule.get("Prefix")),
        Some(Value::Object(filter)) => filter.is_empty() || (filter.len() == 1 && empty_prefix(filter.get("Prefix"))),
        Some(_) => false,
    }
}

/// An HCL string literal (quotes, backslashes and template sequences escaped).
pub fn hcl_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out.replace("${", "$${").replace("%{", "%%{")
}

/// A Terraform resource label from a bucket name (`acme_prod_logs`).
pub fn terraform_label(name: &str) -> String {
    let mut label: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if !label.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        label.insert(0, '_');
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_current_rules() {
        let rules = r#"[
          {"ID": "logs", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 400}},
          {"ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 1}},
          {"ID": "old", "Status": "Disabled", "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]},
          {"ID": "mpu", "Filter": {}, "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}}
        ]"#;
        let current = CurrentRules::parse(rules).unwrap();
        assert_eq!(current.expiration_days, Some(400), "the tmp/ rule covers a prefix only");
        assert!(!current.transitions_current, "disabled rules do nothing");
        assert!(current.aborts_multipart);
        assert!(!current.handles_noncurrent);
        assert_eq!(current.rules.len(), 4);
        assert!(CurrentRules::parse(r#"{"Rules": []}"#).unwrap().rules.is_empty());
        assert!(CurrentRules::parse("{").is_err());
    }

    #[test]
    fn keeps_existing_rules_and_replaces_its_own() {
        let mut rule = NewRule::new("costwise-abort-incomplete-multipart-uploads");
        rule.abort_incomplete_multipart_days = Some(7);
        let existing = vec![
            json!({"ID": "logs", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 400}}),
            json!({"ID": "costwise-abort-incomplete-multipart-uploads", "Status": "Disabled"}),
        ];
        let rec = Recommendation {
            bucket: "b".into(),
            rules: vec![rule],
            existing: Some(existing),
            existing_unknown: false,
            minimum_object_size: None,
        };
        let config: Value = serde_json::from_str(&rec.configuration_json()).unwrap();
        let ids: Vec<&str> = config["Rules"].as_array().unwrap().iter().map(|r| r["ID"].as_str().unwrap()).collect();
        assert_eq!(ids, ["logs", "costwise-abort-incomplete-multipart-uploads"]);
        assert_eq!(config["Rules"][1]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"], 7);
    }

    #[test]
    fn quoting() {
        assert_eq!(hcl_string(r#"a"b\${c}"#), r#""a\"b\\$${c}""#);
        assert_eq!(terraform_label("1st.bucket-x"), "_1st_bucket_x");
    }
}
