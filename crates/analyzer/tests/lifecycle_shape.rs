//! The lifecycle configurations costwise writes are what S3 and Terraform accept.
//!
//! JSON: every configuration shape `Recommendation` produces (each storage class as a
//! current and a noncurrent transition, noncurrent expiration with and without kept
//! versions, multipart abort, existing rules carried over, the small-object minimum
//! size) goes through `scripts/validate_s3_lifecycle.py`, which checks it against
//! botocore's S3 service model (`PutBucketLifecycleConfiguration`'s input shape and
//! its enums) and checks that the `aws s3api put-bucket-lifecycle-configuration`
//! command of `Recommendation::cli()`, split as a shell splits it, sends exactly that
//! configuration. Broken documents must fail the same script, so the check cannot pass
//! vacuously. The script needs python3 and botocore (`scripts/test` installs botocore);
//! without them these tests fail, they do not skip.
//!
//! Terraform: `Recommendation::terraform()` parses as HCL (hcl-rs) into one
//! `aws_s3_bucket_lifecycle_configuration` whose rule says what the JSON rule says,
//! with names that need escaping kept verbatim.

#[path = "support/hcl.rs"]
mod hcl_support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use costwise_analyzer::storage::lifecycle::{SMALL_OBJECTS_TO_ARCHIVE, hcl_string, terraform_label};
use costwise_analyzer::storage::{NewRule, Recommendation, TargetClass};
use hcl::Expression;
use hcl_support::{attr, int, keys, labelled, only, parse, str_attr};
use serde_json::{Value, json};

/// The rule ID that needs every kind of quoting: shell (`'`), JSON (`"`, `\`), HCL (`"`, `${`, `%{`, `$${`).
const AWKWARD_ID: &str = r#"costwise "tier" it's ${var.x} %{if} $${y} C:\logs"#;

/// A bucket name S3 would never allow, to prove the Terraform escaping (not sent to the CLI check).
const AWKWARD_BUCKET: &str = r#"we"ird${bucket}%{x}\"#;

fn recommendation(bucket: &str, rule: NewRule) -> Recommendation {
    Recommendation {
        bucket: bucket.into(),
        rules: vec![rule],
        existing: None,
        existing_unknown: false,
        minimum_object_size: None,
    }
}

/// Rules a bucket already has, in `GetBucketLifecycleConfiguration`'s shape: prefix, tag and
/// `And` filters, the legacy top-level `Prefix`, dated and delete-marker expirations, several
/// transitions, and a disabled rule with costwise's own ID (replaced, not duplicated).
fn existing_rules() -> Vec<Value> {
    vec![
        json!({"ID": "expire-tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 7}}),
        json!({
            "ID": "archive-reports",
            "Filter": {"And": {
                "Prefix": "reports/",
                "Tags": [{"Key": "retention", "Value": "long"}, {"Key": "team", "Value": "finance"}],
                "ObjectSizeGreaterThan": 131_072
            }},
            "Status": "Enabled",
            "Transitions": [{"Days": 90, "StorageClass": "GLACIER"}, {"Days": 365, "StorageClass": "DEEP_ARCHIVE"}]
        }),
        json!({"ID": "scratch", "Filter": {"Tag": {"Key": "scratch", "Value": "true"}}, "Status": "Enabled",
               "Expiration": {"Days": 1}}),
        json!({"ID": "legacy", "Prefix": "old/", "Status": "Disabled", "Expiration": {"Date": "2027-01-01T00:00:00Z"}}),
        json!({"ID": "markers", "Filter": {"Prefix": ""}, "Status": "Enabled",
               "Expiration": {"ExpiredObjectDeleteMarker": true},
               "NoncurrentVersionExpiration": {"NoncurrentDays": 30, "NewerNoncurrentVersions": 2}}),
        json!({"ID": "costwise-abort-incomplete-multipart-uploads", "Filter": {}, "Status": "Disabled",
               "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}}),
    ]
}

/// Every configuration shape costwise writes, named.
fn cases() -> Vec<(String, Recommendation)> {
    let mut cases = Vec::new();
    for class in TargetClass::ALL {
        let api = class.api_name().to_lowercase();
        let mut rule = NewRule::new(format!("costwise-{api}-after-30-days"));
        rule.transition = Some((30, class));
        cases.push((format!("transition-{api}"), recommendation("acme-prod-logs", rule)));
        let mut rule = NewRule::new(format!("costwise-noncurrent-{api}"));
        rule.noncurrent_transition = Some((30, class));
        cases.push((format!("noncurrent-transition-{api}"), recommendation("acme-prod-uploads", rule)));
    }
    let mut rule = NewRule::new("costwise-expire-noncurrent-versions");
    rule.noncurrent_expiration = Some((30, None));
    cases.push(("noncurrent-expiration".into(), recommendation("acme-prod-uploads", rule.clone())));
    rule.noncurrent_expiration = Some((90, Some(3)));
    cases.push(("noncurrent-expiration-keep-newer".into(), recommendation("acme-prod-uploads", rule)));

    let mut abort = NewRule::new("costwise-abort-incomplete-multipart-uploads");
    abort.abort_incomplete_multipart_days = Some(7);
    cases.push(("abort-multipart".into(), recommendation("acme-data-lake-curated", abort.clone())));

    let mut archive = NewRule::new("costwise-deep-archive-after-365-days");
    archive.transition = Some((365, TargetClass::DeepArchive));
    let mut small = recommendation("acme-staging-old-builds", archive);
    small.minimum_object_size = Some(SMALL_OBJECTS_TO_ARCHIVE);
    cases.push(("deep-archive-small-objects".into(), small));

    let mut everything = NewRule::new(AWKWARD_ID);
    everything.transition = Some((90, TargetClass::GlacierFlexibleRetrieval));
    everything.noncurrent_transition = Some((30, TargetClass::StandardIa));
    everything.noncurrent_expiration = Some((365, Some(5)));
    everything.abort_incomplete_multipart_days = Some(7);
    let mut all = recommendation("acme.logs-2026", everything);
    all.minimum_object_size = Some(SMALL_OBJECTS_TO_ARCHIVE);
    cases.push(("every-action-awkward-id".into(), all));

    let mut merged = recommendation("acme-prod-assets", abort.clone());
    merged.existing = Some(existing_rules());
    cases.push(("merged-existing-rules".into(), merged));
    let mut unknown = recommendation("acme-prod-backups", abort);
    unknown.existing_unknown = true;
    cases.push(("existing-rules-not-in-snapshot".into(), unknown));

    // One rule per prefix (s3-lifecycle-tiering with an S3 Inventory), next to existing rules.
    let mut logs = NewRule::new("costwise-deep-archive-after-180-days-logs");
    logs.prefix = "logs/".into();
    logs.transition = Some((180, TargetClass::DeepArchive));
    let mut exports = NewRule::new("costwise-glacier-ir-after-30-days-exports-2024");
    exports.prefix = "exports 2024/${x}\"".into();
    exports.transition = Some((30, TargetClass::GlacierInstantRetrieval));
    let mut per_prefix = recommendation("acme-data-exports", logs);
    per_prefix.rules.push(exports);
    per_prefix.existing = Some(existing_rules());
    per_prefix.minimum_object_size = Some(SMALL_OBJECTS_TO_ARCHIVE);
    cases.push(("one-rule-per-prefix".into(), per_prefix));
    cases
}

/// The one `put-bucket-lifecycle-configuration` command of `cli()`, after checking the
/// sequence: the backup first, the put last, a warning in between when rules are unknown.
fn put_command(rec: &Recommendation) -> String {
    let cli = rec.cli();
    let backup =
        format!("aws s3api get-bucket-lifecycle-configuration --bucket {0} > {0}-lifecycle-before.json", rec.bucket);
    assert!(cli[0].starts_with(&backup), "{cli:?}");
    let puts: Vec<&String> =
        cli.iter().filter(|c| c.starts_with("aws s3api put-bucket-lifecycle-configuration ")).collect();
    assert_eq!(puts.len(), 1, "{cli:?}");
    assert_eq!(cli.last(), Some(puts[0]), "the put comes last: {cli:?}");
    assert_eq!(cli.len(), if rec.existing_unknown { 3 } else { 2 }, "{cli:?}");
    if rec.existing_unknown {
        assert!(cli[1].starts_with("# ") && cli[1].contains("put replaces every rule"), "{cli:?}");
    }
    puts[0].clone()
}

/// The validator's input for one case: what to check and the command that applies it.
fn document(name: &str, rec: &Recommendation) -> Value {
    let mut doc = json!({
        "name": name,
        "bucket": rec.bucket,
        "configuration": rec.configuration_json(),
        "cli": put_command(rec),
    });
    if let Some(size) = rec.minimum_object_size {
        doc["transition_default_minimum_object_size"] = json!(size);
    }
    doc
}

/// Runs `scripts/validate_s3_lifecycle.py` on `documents`; fails the test when it cannot run.
fn validate(documents: &Value) -> (Output, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/validate_s3_lifecycle.py");
    let script = script.canonicalize().unwrap_or(script);
    let mut child = Command::new("python3")
        .arg(&script)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run python3 ({e}): the S3 lifecycle shape check needs python3 with botocore; scripts/test installs botocore"
            )
        });
    child.stdin.take().unwrap().write_all(documents.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{} could not check anything (it needs python3 with botocore; scripts/test installs botocore):\n{}{stdout}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, stdout)
}

#[test]
fn generated_configurations_match_the_s3_api_model() {
    let cases = cases();
    let documents: Vec<Value> = cases.iter().map(|(name, rec)| document(name, rec)).collect();
    let (output, stdout) = validate(&Value::Array(documents));
    assert!(output.status.success(), "botocore rejects what costwise writes:\n{stdout}");
    assert!(
        stdout.contains(&format!("{} document(s) checked", cases.len())) && stdout.contains(": 0 with errors"),
        "every document was checked: {stdout}"
    );
}

#[test]
fn configurations_carry_the_rule_and_the_existing_rules() {
    for (name, rec) in cases() {
        let config: Value = serde_json::from_str(&rec.configuration_json()).unwrap();
        let rules = config["Rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["ID"].as_str().unwrap()).collect();
        for new in &rec.rules {
            assert_eq!(ids.iter().filter(|id| **id == new.id).count(), 1, "{name}: each new rule once: {ids:?}");
        }
        let added = rules.len() - rec.rules.len();
        let new_json: Vec<Value> = rec.rules.iter().map(NewRule::to_json).collect();
        assert_eq!(rules[added..], new_json[..], "{name}: the new rules come last, in order");
        let kept: Vec<&Value> =
            rec.existing.iter().flatten().filter(|r| !rec.rules.iter().any(|new| r["ID"] == new.id.as_str())).collect();
        assert_eq!(rules[..added].iter().collect::<Vec<_>>(), kept, "{name}: existing rules verbatim");
    }
}

/// A corrupted copy of a generated document.
fn broken(name: &str, source: &Value, corrupt: impl FnOnce(&mut Value)) -> Value {
    let mut doc = source.clone();
    doc["name"] = json!(name);
    let mut config: Value = serde_json::from_str(doc["configuration"].as_str().unwrap()).unwrap();
    corrupt(&mut config);
    doc["configuration"] = json!(config.to_string());
    doc.as_object_mut().unwrap().remove("cli");
    doc
}

#[test]
fn the_validator_rejects_broken_documents() {
    let cases = cases();
    let find = |name: &str| document(name, &cases.iter().find(|(n, _)| n == name).unwrap().1);
    let good = find("transition-glacier_ir");
    let small = find("deep-archive-small-objects");
    let mut documents = vec![
        good.clone(),
        broken("unknown-key", &good, |c| {
            let rule = c["Rules"][0].as_object_mut().unwrap();
            let transitions = rule.remove("Transitions").unwrap();
            rule.insert("Transition".into(), transitions);
        }),
        broken("wrong-storage-class", &good, |c| {
            c["Rules"][0]["Transitions"][0]["StorageClass"] = json!("GLACIER_INSTANT_RETRIEVAL");
        }),
        broken("missing-status", &good, |c| {
            c["Rules"][0].as_object_mut().unwrap().remove("Status");
        }),
        broken("lowercase-status", &good, |c| c["Rules"][0]["Status"] = json!("enabled")),
        broken("days-as-text", &good, |c| c["Rules"][0]["Transitions"][0]["Days"] = json!("30")),
        broken("no-rules", &good, |c| *c = json!({"rules": []})),
    ];
    let mut bad_size = small.clone();
    bad_size["name"] = json!("bad-minimum-size");
    bad_size["transition_default_minimum_object_size"] = json!("128K");
    bad_size.as_object_mut().unwrap().remove("cli");
    documents.push(bad_size);
    let mut other_config = good.clone();
    other_config["name"] = json!("cli-sends-another-configuration");
    other_config["cli"] = json!(find("transition-deep_archive")["cli"]);
    documents.push(other_config);
    let mut dropped_size = small.clone();
    dropped_size["name"] = json!("cli-drops-the-minimum-size");
    let cli = small["cli"].as_str().unwrap();
    let without = cli.replace(&format!(" --transition-default-minimum-object-size {SMALL_OBJECTS_TO_ARCHIVE}"), "");
    assert_ne!(without, cli);
    dropped_size["cli"] = json!(without);
    documents.push(dropped_size);
    let mut unbalanced = good.clone();
    unbalanced["name"] = json!("cli-unbalanced-quote");
    unbalanced["cli"] = json!(good["cli"].as_str().unwrap().trim_end_matches('\''));
    documents.push(unbalanced);

    let expected = [
        ("unknown-key", r#"Unknown parameter in LifecycleConfiguration.Rules[0]: "Transition""#),
        ("wrong-storage-class", "Transitions[0].StorageClass, value: 'GLACIER_INSTANT_RETRIEVAL'"),
        ("missing-status", r#"Missing required parameter in LifecycleConfiguration.Rules[0]: "Status""#),
        ("lowercase-status", "Rules[0].Status, value: 'enabled'"),
        ("days-as-text", "Invalid type for parameter LifecycleConfiguration.Rules[0].Transitions[0].Days"),
        ("no-rules", r#"Missing required parameter in LifecycleConfiguration: "Rules""#),
        ("bad-minimum-size", "TransitionDefaultMinimumObjectSize, value: '128K'"),
        ("cli-sends-another-configuration", "cli: LifecycleConfiguration is"),
        ("cli-drops-the-minimum-size", "cli: TransitionDefaultMinimumObjectSize is null"),
        ("cli-unbalanced-quote", "cli: not a shell command"),
    ];
    let (output, stdout) = validate(&Value::Array(documents));
    assert_eq!(output.status.code(), Some(1), "broken documents must fail:\n{stdout}");
    for (name, error) in expected {
        assert!(
            stdout.lines().any(|line| line.starts_with(&format!("{name}: ")) && line.contains(error)),
            "{name} must fail with `{error}`:\n{stdout}"
        );
    }
    assert!(!stdout.lines().any(|line| line.starts_with("transition-glacier_ir: ")), "the good one passes:\n{stdout}");
    assert!(stdout.contains(&format!(": {} with errors", expected.len())), "{stdout}");
}

/// `days` in a Terraform block equals the JSON number.
fn days(body: &hcl::Body, key: &str, json: &Value) {
    assert_eq!(int(attr(body, key)), json.as_u64().unwrap(), "{key}");
}

/// Parses `rec.terraform()` and checks it says what `rec.configuration_json()`'s new rule says.
fn check_terraform(name: &str, rec: &Recommendation) {
    let text = rec.terraform();
    let body = parse(&text);
    assert_eq!(keys(&body), (vec![], vec!["resource"]), "{name}: one resource");
    let label = terraform_label(&rec.bucket);
    let resource = labelled(&body, "resource", &["aws_s3_bucket_lifecycle_configuration", &label]).body();
    assert_eq!(str_attr(resource, "bucket"), rec.bucket, "{name}");
    let mut attributes = vec!["bucket"];
    if let Some(size) = rec.minimum_object_size {
        assert_eq!(str_attr(resource, "transition_default_minimum_object_size"), size, "{name}");
        attributes.push("transition_default_minimum_object_size");
    }
    assert_eq!(keys(resource), (attributes, vec!["rule"; rec.rules.len()]), "{name}");
    let has_existing = rec.existing.as_ref().is_some_and(|r| !r.is_empty()) || rec.existing_unknown;
    assert_eq!(text.starts_with("# "), has_existing, "{name}: says where existing rules go");

    let config: Value = serde_json::from_str(&rec.configuration_json()).unwrap();
    let json_rules = config["Rules"].as_array().unwrap();
    let new_rules = &json_rules[json_rules.len() - rec.rules.len()..];
    let rule_blocks = hcl_support::blocks(resource, "rule");
    assert_eq!(rule_blocks.len(), new_rules.len(), "{name}: one rule block per new rule");
    for (block, json_rule) in rule_blocks.iter().zip(new_rules) {
        check_rule(name, &text, block.body(), json_rule);
    }
}

/// One Terraform `rule` block says what its JSON rule says.
fn check_rule(name: &str, text: &str, rule: &hcl::Body, json_rule: &Value) {
    assert_eq!(str_attr(rule, "id"), json_rule["ID"].as_str().unwrap(), "{name}");
    assert_eq!(str_attr(rule, "status"), json_rule["Status"].as_str().unwrap(), "{name}");
    let prefix = json_rule["Filter"]["Prefix"].as_str().unwrap();
    assert_eq!(json_rule["Filter"], json!({"Prefix": prefix}), "{name}");
    let filter = only(rule, "filter").body();
    if prefix.is_empty() {
        assert_eq!(keys(filter), (vec![], vec![]), "{name}: the whole bucket");
    } else {
        assert_eq!(keys(filter), (vec!["prefix"], vec![]), "{name}");
        assert_eq!(str_attr(filter, "prefix"), prefix, "{name}: the prefix, verbatim");
    }

    let mut blocks = vec!["filter"];
    if let Some(transition) = json_rule.get("Transitions") {
        let [transition] = transition.as_array().unwrap().as_slice() else { panic!("{name}: one transition") };
        let block = only(rule, "transition").body();
        assert_eq!(keys(block), (vec!["days", "storage_class"], vec![]), "{name}");
        days(block, "days", &transition["Days"]);
        assert_eq!(str_attr(block, "storage_class"), transition["StorageClass"].as_str().unwrap(), "{name}");
        blocks.push("transition");
    }
    if let Some(transition) = json_rule.get("NoncurrentVersionTransitions") {
        let [transition] = transition.as_array().unwrap().as_slice() else { panic!("{name}: one transition") };
        let block = only(rule, "noncurrent_version_transition").body();
        assert_eq!(keys(block), (vec!["noncurrent_days", "storage_class"], vec![]), "{name}");
        days(block, "noncurrent_days", &transition["NoncurrentDays"]);
        assert_eq!(str_attr(block, "storage_class"), transition["StorageClass"].as_str().unwrap(), "{name}");
        blocks.push("noncurrent_version_transition");
    }
    if let Some(expiration) = json_rule.get("NoncurrentVersionExpiration") {
        let block = only(rule, "noncurrent_version_expiration").body();
        days(block, "noncurrent_days", &expiration["NoncurrentDays"]);
        match expiration.get("NewerNoncurrentVersions") {
            Some(keep) => {
                assert_eq!(keys(block).0, ["newer_noncurrent_versions", "noncurrent_days"], "{name}");
                days(block, "newer_noncurrent_versions", keep);
            }
            None => assert_eq!(keys(block).0, ["noncurrent_days"], "{name}"),
        }
        blocks.push("noncurrent_version_expiration");
    }
    if let Some(abort) = json_rule.get("AbortIncompleteMultipartUpload") {
        let block = only(rule, "abort_incomplete_multipart_upload").body();
        assert_eq!(keys(block), (vec!["days_after_initiation"], vec![]), "{name}");
        days(block, "days_after_initiation", &abort["DaysAfterInitiation"]);
        blocks.push("abort_incomplete_multipart_upload");
    }
    blocks.sort_unstable();
    assert_eq!(keys(rule), (vec!["id", "status"], blocks), "{name}: nothing else in the rule\n{text}");
}

#[test]
fn terraform_is_hcl_that_says_what_the_json_says() {
    for (name, rec) in cases() {
        check_terraform(&name, &rec);
    }
    // Names that need escaping come back verbatim, as plain strings (no interpolation).
    let mut rule = NewRule::new(AWKWARD_ID);
    rule.transition = Some((30, TargetClass::StandardIa));
    rule.abort_incomplete_multipart_days = Some(3);
    let mut awkward = recommendation(AWKWARD_BUCKET, rule);
    awkward.minimum_object_size = Some(SMALL_OBJECTS_TO_ARCHIVE);
    check_terraform("awkward-bucket", &awkward);
    let label = terraform_label(AWKWARD_BUCKET);
    assert!(label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{label}");
    // A label that would start with a digit gets a leading underscore (valid identifier).
    check_terraform("digit-bucket", &recommendation("2026-exports", NewRule::new("costwise-x")));
}

#[test]
fn the_hcl_check_catches_unescaped_strings() {
    // Negative controls: without hcl_string's escaping the same text is not HCL, or is a template.
    let quoted = format!("resource \"a\" \"b\" {{\n  bucket = \"{AWKWARD_BUCKET}\"\n}}\n");
    assert!(hcl::parse(&quoted).is_err(), "an unescaped quote must not parse");
    let template = "resource \"a\" \"b\" {\n  id = \"x ${var.y}\"\n}\n";
    let body = parse(template);
    let resource = labelled(&body, "resource", &["a", "b"]).body();
    assert!(matches!(attr(resource, "id"), Expression::TemplateExpr(_)), "an unescaped ${{ interpolates");
    let escaped = format!("resource \"a\" \"b\" {{\n  id = {}\n}}\n", hcl_string("x ${var.y} $${z}"));
    let body = parse(&escaped);
    assert_eq!(str_attr(labelled(&body, "resource", &["a", "b"]).body(), "id"), "x ${var.y} $${z}");
}
