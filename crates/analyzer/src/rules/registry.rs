//! The one list of every rule. Adding a rule means adding its file and one line here.

use std::sync::OnceLock;

use super::{
    RuleSpec, ec2_rightsizing, gp2_to_gp3, idle_elastic_ip, idle_instance, idle_load_balancer, idle_nat_gateway,
    io1_to_gp3, orphaned_ebs_snapshot, previous_generation_instance, spend_overview, stopped_instance,
    unattached_ebs_volume, unused_ami,
};

/// Every rule, in the order reports list them.
pub fn registry() -> &'static [RuleSpec] {
    static REGISTRY: OnceLock<Vec<RuleSpec>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        vec![
            RuleSpec::of::<spend_overview::SpendOverviewRule>(include_str!("spend_overview.rs")),
            RuleSpec::of::<unattached_ebs_volume::UnattachedEbsVolume>(include_str!("unattached_ebs_volume.rs")),
            RuleSpec::of::<stopped_instance::StoppedInstance>(include_str!("stopped_instance.rs")),
            RuleSpec::of::<orphaned_ebs_snapshot::OrphanedEbsSnapshot>(include_str!("orphaned_ebs_snapshot.rs")),
            RuleSpec::of::<unused_ami::UnusedAmi>(include_str!("unused_ami.rs")),
            RuleSpec::of::<idle_elastic_ip::IdleElasticIp>(include_str!("idle_elastic_ip.rs")),
            RuleSpec::of::<idle_load_balancer::IdleLoadBalancer>(include_str!("idle_load_balancer.rs")),
            RuleSpec::of::<idle_nat_gateway::IdleNatGateway>(include_str!("idle_nat_gateway.rs")),
            RuleSpec::of::<idle_instance::IdleInstance>(include_str!("idle_instance.rs")),
            RuleSpec::of::<gp2_to_gp3::Gp2ToGp3>(include_str!("gp2_to_gp3.rs")),
            RuleSpec::of::<io1_to_gp3::Io1ToGp3>(include_str!("io1_to_gp3.rs")),
            RuleSpec::of::<previous_generation_instance::PreviousGenerationInstance>(include_str!(
                "previous_generation_instance.rs"
            )),
            RuleSpec::of::<ec2_rightsizing::Ec2Rightsizing>(include_str!("ec2_rightsizing.rs")),
            RuleSpec::of::<super::reserved_instance_purchase::ReservedInstancePurchase>(include_str!(
                "reserved_instance_purchase.rs"
            )),
            RuleSpec::of::<super::savings_plan_purchase::SavingsPlanPurchase>(include_str!("savings_plan_purchase.rs")),
            RuleSpec::of::<super::underused_reservation::UnderusedReservation>(include_str!(
                "underused_reservation.rs"
            )),
            RuleSpec::of::<super::expiring_commitment::ExpiringCommitment>(include_str!("expiring_commitment.rs")),
            RuleSpec::of::<super::data_transfer_out::DataTransferOut>(include_str!("data_transfer_out.rs")),
            RuleSpec::of::<super::s3_lifecycle_tiering::S3LifecycleTiering>(include_str!("s3_lifecycle_tiering.rs")),
            RuleSpec::of::<super::s3_incomplete_multipart_uploads::S3IncompleteMultipartUploads>(include_str!(
                "s3_incomplete_multipart_uploads.rs"
            )),
            RuleSpec::of::<super::s3_noncurrent_versions::S3NoncurrentVersions>(include_str!(
                "s3_noncurrent_versions.rs"
            )),
        ]
    })
}

/// Every rule's documentation as one Markdown page (`docs/rules.md`): an
/// index, then each rule's doc comment and default settings.
pub fn rules_markdown() -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "# Rules\n\nGenerated from the rules' doc comments (`crates/analyzer/src/rules/*.rs`); \
         `costwise rules <id>` prints the same text.\n\n| rule | category | what it finds |\n|---|---|---|\n",
    );
    for rule in registry() {
        let _ = writeln!(out, "| [`{}`](#{}) | {} | {} |", rule.id, rule.id, rule.category.name(), rule.summary());
    }
    for rule in registry() {
        let body = rule.doc.lines().skip(1).collect::<Vec<_>>().join("\n");
        // Rule docs use `##` sections; nest them under the rule's own heading.
        let body = body.replace("\n## ", "\n### ");
        let _ = write!(out, "\n## {}\n\n{}\n\n{}\n", rule.id, rule.summary(), body.trim());
        let defaults = rule.default_settings();
        if !defaults.trim().is_empty() {
            let _ = write!(out, "\nDefaults, as `[rules.{}]` in the config:\n\n```toml\n{}```\n", rule.id, defaults);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut seen = HashSet::new();
        for rule in registry() {
            assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
            assert!(
                !rule.id.is_empty()
                    && rule.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !rule.id.starts_with('-')
                    && !rule.id.ends_with('-'),
                "rule id `{}` is not kebab-case",
                rule.id
            );
        }
    }

    #[test]
    fn every_rule_documents_the_required_sections_and_defaults_resolve() {
        for rule in registry() {
            for section in ["## What it finds", "## Why it costs money", "## How savings are estimated", "## Settings"]
            {
                assert!(rule.doc.contains(section), "rule `{}` doc lacks `{section}`", rule.id);
            }
            assert!(!rule.summary().is_empty(), "rule `{}` has no summary line", rule.id);
            rule.configure(None).unwrap_or_else(|e| panic!("rule `{}` default settings: {e}", rule.id));
        }
    }

    #[test]
    fn rules_doc_matches_the_registry() {
        let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rules.md");
        let expected = rules_markdown();
        if std::env::var_os("COSTWISE_UPDATE_DOCS").is_some() {
            std::fs::write(doc_path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(doc_path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/rules.md is out of date; run `COSTWISE_UPDATE_DOCS=1 cargo test --workspace --lib rules_doc` and commit it"
        );
    }

    #[test]
    fn registry_listing_snapshot() {
        let listing: Vec<String> =
            registry().iter().map(|r| format!("{:<28} {:<12} {}", r.id, r.category.name(), r.summary())).collect();
        insta::assert_snapshot!(listing.join("\n"));
    }
}
