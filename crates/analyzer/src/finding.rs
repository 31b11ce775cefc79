//! `Finding`: one thing to do, what it saves, and why we believe it.
//!
//! Every field a reader needs to act without opening the AWS console lives
//! here: the dollar figure, the evidence behind it, the risk of acting, and a
//! remediation that can be pasted. Findings serialize as-is into
//! `findings.json`, so field names are part of the public contract.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::prices::PriceSource;

/// The family a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Resources that cost money and do nothing.
    Unused,
    /// Resources larger than their load needs.
    Rightsizing,
    /// Reserved instances and savings plans.
    Commitments,
    /// Storage classes, tiers and lifecycles.
    Storage,
    /// Where the money goes and how it moves.
    Spend,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 5] =
        [Category::Unused, Category::Rightsizing, Category::Commitments, Category::Storage, Category::Spend];

    /// Kebab-case name, as in config and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Category::Unused => "unused",
            Category::Rightsizing => "rightsizing",
            Category::Commitments => "commitments",
            Category::Storage => "storage",
            Category::Spend => "spend",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How sure the rule is that the saving is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Signals are thin or indirect; verify before acting.
    Low,
    /// One strong signal, or several consistent weak ones.
    Medium,
    /// Direct evidence (state, metrics and billing agree).
    High,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        })
    }
}

/// What acting on the finding risks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    /// Nothing running is affected (deleting an unattached volume after a snapshot).
    NonDisruptive,
    /// Needs a restart or brief outage; do it in a change window.
    ChangeWindow,
    /// Changes behaviour or capacity; test before production.
    NeedsTesting,
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Risk::NonDisruptive => "non-disruptive",
            Risk::ChangeWindow => "change window",
            Risk::NeedsTesting => "needs testing",
        })
    }
}

/// One number (or fact) behind a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// What it is (`days unattached`).
    pub label: String,
    /// Its value.
    pub value: EvidenceValue,
}

/// The value of a piece of evidence, typed so JSON consumers get numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EvidenceValue {
    /// A quantity with a unit (`412 GiB`, `38 days`).
    Quantity {
        /// The number.
        value: f64,
        /// Its unit.
        unit: String,
    },
    /// An amount of money in the snapshot's currency.
    Money {
        /// The amount.
        amount: f64,
        /// What it is per (`month`, `hour`), if a rate.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        per: Option<String>,
    },
    /// A percentage (0–100).
    Percent {
        /// The percentage.
        value: f64,
    },
    /// Free text (`available`, `gp2`).
    Text {
        /// The text.
        text: String,
    },
    /// A short series, oldest first (a daily maximum the report draws as a sparkline).
    Series {
        /// The values.
        values: Vec<f64>,
        /// Their unit (`%`).
        unit: String,
    },
}

/// Rounds evidence numbers to 4 decimals: precise enough to recompute any
/// dollar figure to the cent, free of binary floating-point noise in JSON.
fn tidy(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

impl Evidence {
    /// A quantity with a unit.
    pub fn quantity(label: impl Into<String>, value: f64, unit: impl Into<String>) -> Self {
        Self { label: label.into(), value: EvidenceValue::Quantity { value: tidy(value), unit: unit.into() } }
    }

    /// A monthly dollar amount.
    pub fn monthly(label: impl Into<String>, amount: f64) -> Self {
        Self { label: label.into(), value: EvidenceValue::Money { amount: tidy(amount), per: Some("month".into()) } }
    }

    /// An hourly rate, kept to 6 decimals (instance rates such as $0.0052/hour need more than 4).
    pub fn hourly(label: impl Into<String>, rate: f64) -> Self {
        Self {
            label: label.into(),
            value: EvidenceValue::Money { amount: (rate * 1e6).round() / 1e6, per: Some("hour".into()) },
        }
    }

    /// A dollar amount.
    pub fn money(label: impl Into<String>, amount: f64) -> Self {
        Self { label: label.into(), value: EvidenceValue::Money { amount: tidy(amount), per: None } }
    }

    /// A percentage.
    pub fn percent(label: impl Into<String>, value: f64) -> Self {
        Self { label: label.into(), value: EvidenceValue::Percent { value: tidy(value) } }
    }

    /// A short series, oldest first.
    pub fn series(label: impl Into<String>, values: impl IntoIterator<Item = f64>, unit: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: EvidenceValue::Series { values: values.into_iter().map(tidy).collect(), unit: unit.into() },
        }
    }

    /// A piece of text.
    pub fn text(label: impl Into<String>, text: impl Into<String>) -> Self {
        Self { label: label.into(), value: EvidenceValue::Text { text: text.into() } }
    }
}

/// A single-quoted shell word.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Whether `text` is a shell word no shell treats specially: letters, digits and `. _ - / : @ % + = ,`, not
/// empty.
pub fn is_plain_shell_word(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "._-/:@%+=,".contains(c))
}

/// `text` as one shell word in a command to paste: as it is when every character is one no shell treats
/// specially (ids, most names, ARNs), else quoted. AWS allows spaces, quotes and newlines in some names (Auto
/// Scaling groups, launch configurations), and a pasted remediation must never run what a name holds: a name
/// with control characters is written in ANSI-C quoting (`$'a\nb'`, bash and zsh), so it also stays on one line
/// inside a `#` comment.
pub fn shell_word(text: &str) -> String {
    if is_plain_shell_word(text) {
        return text.to_owned();
    }
    if !text.chars().any(char::is_control) {
        return shell_quote(text);
    }
    let mut out = String::from("$'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// How to act on a finding.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Remediation {
    /// One sentence: what to do.
    pub summary: String,
    /// AWS CLI commands, in order, ready to paste.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cli: Vec<String>,
    /// Terraform change, where one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terraform: Option<String>,
    /// An S3 lifecycle configuration (the JSON body of
    /// `aws s3api put-bucket-lifecycle-configuration --lifecycle-configuration`),
    /// pretty-printed, for the storage rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_configuration: Option<String>,
}

/// One recommended action with its dollar figure and evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Id of the rule that produced it (`unattached-ebs-volume`).
    pub rule: String,
    /// The rule's category.
    pub category: Category,
    /// Account the resource lives in.
    pub account_id: String,
    /// Region, when the finding is regional.
    pub region: Option<String>,
    /// Kind of resource (`ebs-volume`, `ec2-instance`, `service`).
    pub resource_type: String,
    /// Resource id or ARN; for aggregate findings, what they aggregate (`AmazonEC2`).
    pub resource_id: String,
    /// Human name (the `Name` tag), if any.
    pub resource_name: Option<String>,
    /// One line: what is wrong (`gp3 volume of 500 GiB unattached for 41 days`).
    pub title: String,
    /// The numbers that triggered the finding.
    pub evidence: Vec<Evidence>,
    /// What the resource costs per month now.
    pub monthly_cost: f64,
    /// What acting on the finding saves per month.
    pub monthly_savings: f64,
    /// Where the prices behind the dollar figures came from.
    pub price_source: PriceSource,
    /// How sure the rule is.
    pub confidence: Confidence,
    /// What acting risks.
    pub risk: Risk,
    /// How to act.
    pub remediation: Remediation,
    /// The resource's tags.
    pub tags: BTreeMap<String, String>,
    /// Other resources whose cost `monthly_savings` includes (a stopped
    /// instance's volumes and Elastic IP; an Auto Scaling group's instances).
    /// Another finding on any of them is not counted twice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
}

impl Finding {
    /// Key used to spot two findings about the same resource.
    pub fn resource_key(&self) -> (String, String) {
        (self.account_id.clone(), self.resource_id.clone())
    }

    /// Keys of every resource whose cost the savings include: the resource itself and what it covers.
    pub fn claimed_keys(&self) -> impl Iterator<Item = (String, String)> + '_ {
        std::iter::once(self.resource_id.as_str())
            .chain(self.covers.iter().map(String::as_str))
            .map(|id| (self.account_id.clone(), id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_reach_the_command_as_written_and_never_run() {
        let names = [
            "web",
            "acme-web-asg",
            "arn:aws:autoscaling:us-east-1:111111111111:autoScalingGroup:x:autoScalingGroupName/web",
            "$Latest",
            "it's mine",
            "a b; rm -rf ~",
            "$(touch /tmp/costwise-pwned)`id`",
            "line one\nline two\ttab\r\\back'slash",
            "bell\u{7}and\u{1b}[31mescape, café",
            "",
        ];
        assert_eq!(shell_word("acme-web-asg"), "acme-web-asg", "plain names stay readable");
        let script = names.iter().fold(String::new(), |mut script, n| {
            let _ = writeln!(script, "printf '%s\\0' {}", shell_word(n));
            script
        });
        let output = std::process::Command::new("bash").arg("-c").arg(&script).output().expect("bash runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let words: Vec<&str> = std::str::from_utf8(&output.stdout).unwrap().split('\0').collect();
        assert_eq!(words[..names.len()], names, "every name arrives intact: {script}");
    }
}
