//! The Savings Plans call: every savings plan of the account (all states, so
//! expired ones show what lapsed), as `aws savingsplans
//! describe-savings-plans` prints it. Savings plans are account-wide: one
//! call per account, saved in the account's directory.

// `|t| t.as_str()` reads better than the SDK's fully qualified paths.
#![allow(clippy::redundant_closure_for_method_calls)]

use serde_json::{Value, json};

use super::cli_json::{object, text};
use super::{Fetched, failure};

/// Every savings plan of the account, every page (the API has no paginator: `nextToken` is followed here).
pub(super) async fn savings_plans(client: &aws_sdk_savingsplans::Client) -> Result<Fetched, String> {
    let mut plans = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let reply =
            client.describe_savings_plans().set_next_token(token.take()).send().await.map_err(|e| failure(&e))?;
        pages += 1;
        plans.extend(reply.savings_plans().iter().map(plan));
        match reply.next_token().filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    Ok(Fetched { document: json!({ "savingsPlans": plans }), pages })
}

fn plan(p: &aws_sdk_savingsplans::types::SavingsPlan) -> Value {
    object([
        ("savingsPlanId", text(p.savings_plan_id())),
        ("savingsPlanArn", text(p.savings_plan_arn())),
        ("savingsPlanType", text(p.savings_plan_type().map(|t| t.as_str()))),
        ("paymentOption", text(p.payment_option().map(|o| o.as_str()))),
        ("region", text(p.region())),
        ("ec2InstanceFamily", text(p.ec2_instance_family())),
        ("commitment", text(p.commitment())),
        ("upfrontPaymentAmount", text(p.upfront_payment_amount())),
        ("recurringPaymentAmount", text(p.recurring_payment_amount())),
        ("termDurationInSeconds", Some(Value::from(p.term_duration_in_seconds()))),
        ("start", text(p.start())),
        ("end", text(p.end())),
        ("state", text(p.state().map(|s| s.as_str()))),
        ("currency", text(p.currency().map(|c| c.as_str()))),
    ])
}
