//! The one list of every rule. Adding a rule means adding its file and one line here.

use std::sync::OnceLock;

use super::{RuleSpec, spend_overview, unattached_ebs_volume};

/// Every rule, in the order reports list them.
pub fn registry() -> &'static [RuleSpec] {
    static REGISTRY: OnceLock<Vec<RuleSpec>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        vec![
            RuleSpec::of::<spend_overview::SpendOverviewRule>(include_str!("spend_overview.rs")),
            RuleSpec::of::<unattached_ebs_volume::UnattachedEbsVolume>(include_str!("unattached_ebs_volume.rs")),
        ]
    })
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
    fn registry_listing_snapshot() {
        let listing: Vec<String> =
            registry().iter().map(|r| format!("{:<28} {:<12} {}", r.id, r.category.name(), r.summary())).collect();
        insta::assert_snapshot!(listing.join("\n"));
    }
}
