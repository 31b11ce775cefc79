//! `data-transfer-out`: internet egress a CDN would serve for less, and large cross-AZ transfer.

use chrono::NaiveDateTime;
use costwise_analyzer::Confidence::{Low, Medium};
use costwise_analyzer::{Config, Dataset, Table, analyze};
use polars::prelude::*;

use super::common::{at, by_id, datetime_series, findings_of, manifest};

const ACCOUNT: &str = "111111111111";

/// One CUR line per resource and usage type covering the whole billed window
/// `start..2026-11-01`: (service, usage type, resource, window usage, window amortized cost).
fn costs(start: NaiveDateTime, lines: &[(&str, &str, &str, f64, f64)]) -> DataFrame {
    let n = lines.len();
    DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &vec![Some(start); n]),
        datetime_series("usage_end", &vec![Some(at(11, 1)); n]),
        Column::new("account_id".into(), vec![ACCOUNT; n]),
        Column::new("region".into(), vec!["us-east-1"; n]),
        Column::new("service".into(), lines.iter().map(|l| l.0).collect::<Vec<_>>()),
        Column::new("usage_type".into(), lines.iter().map(|l| l.1).collect::<Vec<_>>()),
        Column::new("resource_id".into(), lines.iter().map(|l| l.2).collect::<Vec<_>>()),
        Column::new("line_item_type".into(), vec!["Usage"; n]),
        Column::new("usage_amount".into(), lines.iter().map(|l| l.3).collect::<Vec<_>>()),
        Column::new("unblended_cost".into(), lines.iter().map(|l| l.4).collect::<Vec<_>>()),
        Column::new("amortized_cost".into(), lines.iter().map(|l| l.4).collect::<Vec<_>>()),
        Column::new("public_on_demand_cost".into(), lines.iter().map(|l| l.4).collect::<Vec<_>>()),
        Column::new("currency".into(), vec!["USD"; n]),
        Column::new("tags".into(), vec!["{}"; n]),
    ])
    .unwrap()
}

/// A month-scaled figure back to the 30-day (720-hour) window: window = monthly × 720 / 730.
fn window(monthly: f64) -> f64 {
    monthly * 720.0 / 730.0
}

/// The CUR 2026-10-02 .. 2026-11-01 (30 days, scaled × 730/720 to a month). Per month:
/// - big-assets (bucket, `DataTransfer-Out-Bytes` under AWSDataTransfer): 11,680 GB, 73,000,000 GETs; its
///   inter-region replication (`USE1-USW2-AWS-Out-Bytes`) is not internet egress and is ignored.
/// - i-web (instance, `USE1-DataTransfer-Out-Bytes` under AmazonEC2): 584 GB, billed 584 × 0.09 = $52.56.
/// - hot-small (bucket): 146 GB billed $13.14, but 73,000,000 GETs a month.
/// - i-db: 1,460 GB cross-AZ billed $14.60; i-chatty: 292 GB cross-AZ billed $2.92.
///
/// Payer egress = 11,680 + 584 + 146 = 12,410 GB. Largest first:
/// - big-assets, priced at the margin over the payer's other 730 GB (which use the 100 free GB): the payer's
///   egress with it is 12,410 GB, without it 730 GB:
///   [(10,240 − 100) × 0.09 + (12,410 − 10,240) × 0.085] − (730 − 100) × 0.09 = 912.6 + 184.45 − 56.7 = $1,040.35
///   at list price (crossing the 10 TB tier); billed the same, $1,040.35, the cost now.
///   CloudFront: (10,240 − 1,024) × 0.085 + (11,680 − 10,240) × 0.08 = 783.36 + 115.2 = $898.56 transfer;
///   requests (73,000,000 − 10,000,000 free) / 10,000 × $0.01 = $63.00 → $961.56;
///   savings = 1,040.35 − 961.56 = $78.79 (≥ $10: recommended).
/// - i-web: CloudFront now starts at 11,680 GB (second tier): 584 × 0.08 = $46.72, no request count for an
///   instance → savings = 52.56 − 46.72 = $5.84 < $10: do nothing.
/// - hot-small: 146 × 0.08 = $11.68 + 73,000,000 / 10,000 × 0.01 = $73.00 (free requests used by big-assets)
///   = $84.68 > $13.14 billed: CloudFront costs more, do nothing.
/// - cross-AZ: i-db 1,460 GB > 100 and $14.60 ≥ $10 → flagged, savings $14.60; i-chatty $2.92 < $10 → not.
fn transfer_dataset(start: NaiveDateTime, big_assets_tags: &str) -> Dataset {
    let lines = [
        ("AWSDataTransfer", "DataTransfer-Out-Bytes", "big-assets", window(11_680.0), window(1_040.35)),
        ("AmazonS3", "Requests-Tier2", "big-assets", window(73_000_000.0), window(29.2)),
        ("AWSDataTransfer", "USE1-USW2-AWS-Out-Bytes", "big-assets", window(5_000.0), window(100.0)),
        ("AmazonEC2", "USE1-DataTransfer-Out-Bytes", "i-web", window(584.0), window(52.56)),
        ("AWSDataTransfer", "DataTransfer-Out-Bytes", "hot-small", window(146.0), window(13.14)),
        ("AmazonS3", "Requests-Tier2", "hot-small", window(73_000_000.0), window(29.2)),
        ("AWSDataTransfer", "DataTransfer-Regional-Bytes", "i-db", window(1_460.0), window(14.6)),
        ("AWSDataTransfer", "DataTransfer-Regional-Bytes", "i-chatty", window(292.0), window(2.92)),
    ];
    let buckets = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), [ACCOUNT; 2]),
        Column::new("region".into(), ["us-east-1"; 2]),
        Column::new("bucket".into(), ["big-assets", "hot-small"]),
        Column::new("tags".into(), [big_assets_tags, "{}"]),
    ])
    .unwrap();
    let instances = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), [ACCOUNT; 3]),
        Column::new("region".into(), ["us-east-1"; 3]),
        Column::new("instance_id".into(), ["i-web", "i-db", "i-chatty"]),
        Column::new("name".into(), [Some("web"), Some("db-primary"), None]),
        Column::new("instance_type".into(), ["m5.large"; 3]),
        Column::new("state".into(), ["running"; 3]),
        Column::new("tags".into(), ["{}"; 3]),
    ])
    .unwrap();
    Dataset::from_frames(
        manifest(at(9, 1), at(11, 1)),
        [(Table::Costs, costs(start, &lines)), (Table::Buckets, buckets), (Table::Instances, instances)],
    )
    .unwrap()
}

fn savings(findings: &[costwise_analyzer::Finding], id: &str) -> f64 {
    by_id(findings, id).monthly_savings
}

#[test]
fn cloudfront_is_recommended_only_where_it_saves_and_cross_az_is_flagged() {
    let analysis = analyze(&transfer_dataset(at(10, 2), r#"{"team":"web"}"#), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, "data-transfer-out");
    let ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    assert_eq!(ids, ["big-assets", "i-db"], "i-web saves $5.84 < $10; hot-small costs more through CloudFront");

    let big = by_id(&findings, "big-assets");
    assert!((big.monthly_cost - 1_040.35).abs() < 1e-9, "{}", big.monthly_cost);
    assert!((savings(&findings, "big-assets") - 78.79).abs() < 1e-9, "{}", big.monthly_savings);
    assert_eq!(big.confidence, Medium);
    assert_eq!(big.resource_type, "s3-bucket");
    let money = |label: &str| {
        let evidence = big.evidence.iter().find(|e| e.label.starts_with(label));
        match evidence.map(|e| &e.value) {
            Some(costwise_analyzer::EvidenceValue::Money { amount, .. }) => *amount,
            other => panic!("{label}: {other:?}"),
        }
    };
    assert_eq!(money("internet egress at list price"), 1_040.35);
    assert_eq!(money("CloudFront data transfer"), 898.56);
    assert_eq!(money("CloudFront HTTPS requests"), 63.0);
    assert_eq!(money("CloudFront total"), 961.56);
    assert!(big.remediation.terraform.as_deref().unwrap().contains("aws_cloudfront_distribution"));
    assert!(big.remediation.cli.iter().any(|c| c.contains("create-origin-access-control")));

    let db = by_id(&findings, "i-db");
    assert_eq!((db.monthly_cost, db.monthly_savings, db.confidence), (14.6, 14.6, Low));
    assert_eq!(db.resource_name.as_deref(), Some("db-primary"));
    // 78.79 + 14.60
    assert!((analysis.totals.monthly_savings - 93.39).abs() < 1e-9, "{}", analysis.totals.monthly_savings);
    insta::assert_json_snapshot!("data_transfer_out_findings", findings);
}

#[test]
fn lower_thresholds_report_smaller_savings() {
    let config =
        Config::parse("[rules.data-transfer-out]\nmin-monthly-savings = 2\ncross-az-min-gb-month = 300", None).unwrap();
    let analysis = analyze(&transfer_dataset(at(10, 2), "{}"), &config).unwrap();
    let findings = findings_of(&analysis, "data-transfer-out");
    let ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    // i-web now clears $2 ($5.84, no request count → low confidence); i-chatty's 292 GB is under 300 GB;
    // hot-small still costs more through CloudFront.
    assert_eq!(ids, ["big-assets", "i-db", "i-web"]);
    let web = by_id(&findings, "i-web");
    assert!((web.monthly_savings - 5.84).abs() < 1e-9, "{}", web.monthly_savings);
    assert_eq!((web.confidence, web.resource_type.as_str()), (Low, "ec2-instance"));
    assert!(web.evidence.iter().any(|e| e.label == "CloudFront request fee"), "says the request fee is not included");

    let chatty = Config::parse("[rules.data-transfer-out]\nmin-monthly-savings = 2", None).unwrap();
    let analysis = analyze(&transfer_dataset(at(10, 2), "{}"), &chatty).unwrap();
    assert!((savings(&findings_of(&analysis, "data-transfer-out"), "i-chatty") - 2.92).abs() < 1e-9);
}

#[test]
fn excluded_by_tag() {
    let config = Config::parse("[exclusions]\ntags = [\"env=prod\"]", None).unwrap();
    let analysis = analyze(&transfer_dataset(at(10, 2), r#"{"env":"prod"}"#), &config).unwrap();
    let ids: Vec<String> = findings_of(&analysis, "data-transfer-out").into_iter().map(|f| f.resource_id).collect();
    assert_eq!(ids, ["i-db"]);
}

#[test]
fn fewer_than_seven_days_of_billing_is_not_enough_data() {
    // The CUR starts 2026-10-27: 5 days.
    let analysis = analyze(&transfer_dataset(at(10, 27), "{}"), &Config::default()).unwrap();
    assert!(findings_of(&analysis, "data-transfer-out").is_empty());
    let skipped: Vec<(&str, &str)> = analysis
        .not_enough_data
        .iter()
        .filter(|s| s.rule == "data-transfer-out")
        .map(|s| (s.skipped.resource_id.as_str(), s.skipped.reason.as_str()))
        .collect();
    let ids: Vec<&str> = skipped.iter().map(|s| s.0).collect();
    assert_eq!(ids, ["big-assets", "hot-small", "i-chatty", "i-db", "i-web"]);
    assert!(skipped[0].1.contains("only 5.0 days"), "{}", skipped[0].1);
    insta::assert_json_snapshot!(
        "data_transfer_out_not_enough_data",
        analysis.not_enough_data.iter().filter(|s| s.rule == "data-transfer-out").collect::<Vec<_>>()
    );
}

#[test]
fn no_transfer_gives_an_empty_result() {
    let lines = [("AmazonS3", "TimedStorage-ByteHrs", "quiet", 100.0, 2.3)];
    let dataset =
        Dataset::from_frames(manifest(at(9, 1), at(11, 1)), [(Table::Costs, costs(at(10, 2), &lines))]).unwrap();
    let analysis = analyze(&dataset, &Config::default()).unwrap();
    insta::assert_json_snapshot!("data_transfer_out_empty", findings_of(&analysis, "data-transfer-out"));
    assert!(analysis.not_enough_data.iter().all(|s| s.rule != "data-transfer-out"));
}

#[path = "../support/hcl.rs"]
mod hcl_support;

/// The CloudFront Terraform for each kind of origin is complete, valid HCL: every block the
/// distribution needs, the managed cache policy, and only references to what it declares.
#[test]
fn cloudfront_terraform_is_complete_hcl_for_every_origin() {
    use hcl_support::{
        assert_references_resolve, attr, blocks, boolean, call, declared, field, int, keys, labelled, only, parse,
        reference, str_attr, string, strings,
    };

    const ALB: &str = "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/web-alb/50dc6c495c0c9188";
    const CLASSIC: &str = "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/legacy-elb";
    // 5,000 GB a month from each origin, billed $450 (0.09/GB): each is cheaper through CloudFront.
    let mut lines = vec![("AmazonS3", "Requests-Tier2", "big-assets", window(1_000_000.0), window(0.4))];
    for (service, id) in [
        ("AWSDataTransfer", "big-assets"),
        ("AmazonEC2", "i-0web"),
        ("AWSDataTransfer", ALB),
        ("AWSDataTransfer", CLASSIC),
    ] {
        lines.push((service, "USE1-DataTransfer-Out-Bytes", id, window(5_000.0), window(450.0)));
    }
    let dataset =
        Dataset::from_frames(manifest(at(9, 1), at(11, 1)), [(Table::Costs, costs(at(10, 2), &lines))]).unwrap();
    let analysis = analyze(&dataset, &Config::default()).unwrap();
    let findings = findings_of(&analysis, "data-transfer-out");
    let mut ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, [ALB, CLASSIC, "big-assets", "i-0web"]);

    let terraform = |id: &str| by_id(&findings, id).remediation.terraform.clone().unwrap();
    // What every distribution has: enabled, the US/Europe price class the saving is priced at,
    // HTTPS for viewers, CachingOptimized, no geo restriction, the default certificate, an output.
    let distribution = |body: &hcl::Body, label: &str, text: &str| -> (String, hcl::Body) {
        let dist = labelled(body, "resource", &["aws_cloudfront_distribution", label]).body();
        assert!(boolean(attr(dist, "enabled")), "{text}");
        assert_eq!(str_attr(dist, "price_class"), "PriceClass_100");
        let origin = only(dist, "origin").body();
        let origin_id = str_attr(origin, "origin_id").to_owned();
        let behavior = only(dist, "default_cache_behavior").body();
        assert_eq!(str_attr(behavior, "target_origin_id"), origin_id);
        assert_eq!(str_attr(behavior, "viewer_protocol_policy"), "redirect-to-https");
        assert_eq!(str_attr(behavior, "cache_policy_id"), "658327ea-f89d-4fab-a63d-7e88639e58f6");
        assert_eq!(strings(attr(behavior, "cached_methods")), ["GET", "HEAD"]);
        let geo = only(only(dist, "restrictions").body(), "geo_restriction").body();
        assert_eq!(str_attr(geo, "restriction_type"), "none");
        assert!(boolean(attr(only(dist, "viewer_certificate").body(), "cloudfront_default_certificate")));
        let output = labelled(body, "output", &[&format!("{label}_cdn_domain")]).body();
        assert_eq!(reference(attr(output, "value")), format!("aws_cloudfront_distribution.{label}.domain_name"));
        assert_references_resolve(body, text);
        (origin_id, origin.clone())
    };

    // S3 origin: origin access control, distribution, a bucket policy for the distribution only.
    let text = terraform("big-assets");
    let body = parse(&text);
    assert_eq!(
        declared(&body),
        [
            "aws_cloudfront_origin_access_control.big_assets",
            "aws_cloudfront_distribution.big_assets",
            "aws_s3_bucket_policy.big_assets"
        ]
    );
    assert_eq!(keys(&body), (vec![], vec!["output", "resource", "resource", "resource"]));
    let oac = labelled(&body, "resource", &["aws_cloudfront_origin_access_control", "big_assets"]).body();
    assert_eq!(str_attr(oac, "name"), "big-assets-oac");
    assert_eq!(str_attr(oac, "origin_access_control_origin_type"), "s3");
    assert_eq!((str_attr(oac, "signing_behavior"), str_attr(oac, "signing_protocol")), ("always", "sigv4"));
    let (origin_id, origin) = distribution(&body, "big_assets", &text);
    assert_eq!(origin_id, "s3-big-assets");
    assert_eq!(str_attr(&origin, "domain_name"), "big-assets.s3.us-east-1.amazonaws.com", "the regional domain");
    assert_eq!(
        reference(attr(&origin, "origin_access_control_id")),
        "aws_cloudfront_origin_access_control.big_assets.id"
    );
    assert!(blocks(&origin, "custom_origin_config").is_empty());
    let dist = labelled(&body, "resource", &["aws_cloudfront_distribution", "big_assets"]).body();
    assert_eq!(strings(attr(only(dist, "default_cache_behavior").body(), "allowed_methods")), ["GET", "HEAD"]);
    let bucket_policy = labelled(&body, "resource", &["aws_s3_bucket_policy", "big_assets"]).body();
    assert_eq!(str_attr(bucket_policy, "bucket"), "big-assets");
    let [policy] = call(attr(bucket_policy, "policy"), "jsonencode") else { panic!("jsonencode(one object)") };
    assert_eq!(string(field(policy, "Version")), "2012-10-17");
    let hcl::Expression::Array(statements) = field(policy, "Statement") else { panic!("a Statement array") };
    let [statement] = statements.as_slice() else { panic!("one statement") };
    assert_eq!(string(field(statement, "Effect")), "Allow");
    assert_eq!(string(field(field(statement, "Principal"), "Service")), "cloudfront.amazonaws.com");
    assert_eq!(string(field(statement, "Action")), "s3:GetObject");
    assert_eq!(string(field(statement, "Resource")), "arn:aws:s3:::big-assets/*");
    let source_arn = field(field(field(statement, "Condition"), "StringEquals"), "AWS:SourceArn");
    assert_eq!(reference(source_arn), "aws_cloudfront_distribution.big_assets.arn");

    // Custom origins: the public DNS name from a data source, reached over HTTP (AWS-assigned
    // names carry no certificate CloudFront can verify), every viewer method passed through.
    for (id, data_type, label, key, value, domain, expected_origin_id) in [
        (
            "i-0web",
            "aws_instance",
            "i_0web",
            "instance_id",
            "i-0web",
            "data.aws_instance.i_0web.public_dns",
            "ec2-i-0web",
        ),
        (ALB, "aws_lb", "web_alb", "arn", ALB, "data.aws_lb.web_alb.dns_name", "lb-web-alb"),
        (CLASSIC, "aws_elb", "legacy_elb", "name", "legacy-elb", "data.aws_elb.legacy_elb.dns_name", "lb-legacy-elb"),
    ] {
        let text = terraform(id);
        let body = parse(&text);
        assert_eq!(
            declared(&body),
            [format!("data.{data_type}.{label}"), format!("aws_cloudfront_distribution.{label}")],
            "{text}"
        );
        assert_eq!(keys(&body), (vec![], vec!["data", "output", "resource"]));
        let data = labelled(&body, "data", &[data_type, label]).body();
        assert_eq!(keys(data), (vec![key], vec![]));
        assert_eq!(str_attr(data, key), value);
        let (origin_id, origin) = distribution(&body, label, &text);
        assert_eq!(origin_id, expected_origin_id);
        assert_eq!(reference(attr(&origin, "domain_name")), domain);
        assert_eq!(keys(&origin), (vec!["domain_name", "origin_id"], vec!["custom_origin_config"]));
        let custom = only(&origin, "custom_origin_config").body();
        assert_eq!((int(attr(custom, "http_port")), int(attr(custom, "https_port"))), (80, 443));
        assert_eq!(str_attr(custom, "origin_protocol_policy"), "http-only");
        assert_eq!(strings(attr(custom, "origin_ssl_protocols")), ["TLSv1.2"]);
        let dist = labelled(&body, "resource", &["aws_cloudfront_distribution", label]).body();
        let allowed = strings(attr(only(dist, "default_cache_behavior").body(), "allowed_methods"));
        assert_eq!(allowed, ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]);
    }
    let classic = by_id(&findings, CLASSIC);
    assert!(
        classic.remediation.cli[0]
            .contains("aws elb describe-load-balancers --region us-east-1 --load-balancer-names legacy-elb")
    );
}
