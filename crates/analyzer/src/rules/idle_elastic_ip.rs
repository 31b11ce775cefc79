//! Elastic IPs attached to nothing, or to a stopped instance, billed as public IPv4 every hour.
//!
//! ## What it finds
//! Two kinds of Elastic IP address:
//!
//! - **unassociated**: no association, no instance and no network interface;
//! - **on a stopped instance**: associated with an instance whose state is
//!   `stopped` (switch off with `include-stopped-instances = false`).
//!
//! Addresses associated with a network interface that belongs to no instance
//! (NAT gateways, load balancers, VPC endpoints, ...) are in use and never
//! reported, and neither are addresses on running instances. An address on
//! an instance the inventory does not list (or without an `instances` table
//! at all) cannot be judged and is reported under "not enough data".
//!
//! ## Why it costs money
//! Since February 2024 AWS bills every public IPv4 address, in use or not,
//! $0.005 per hour in us-east-1 ($3.65 a month). An address nobody reaches —
//! unassociated, or parked on an instance that is switched off — is pure
//! cost. Idle addresses typically remain after an instance is terminated
//! (termination disassociates but does not release them) or after a
//! migration to a load balancer.
//!
//! ## How savings are estimated
//! The address's full monthly cost, since releasing it stops the charge:
//! its amortized cost in the CUR (billed under the public IP address), else
//! the public IPv4 hourly rate for the region × 730 hours (CUR-observed
//! rate, else the catalog scaled to the region; the report says which).
//!
//! Confidence is high for unassociated addresses and medium for addresses on
//! stopped instances (the instance may be started again and expect its
//! address). Releasing an unassociated address affects nothing running; on a
//! stopped instance it needs a change window: a released address is gone for
//! good, and DNS records or partners' allow-lists may name it.
//!
//! ## Settings
//! - `include-stopped-instances` (default true): also report addresses
//!   associated with stopped instances.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{strings, times};
use super::{Context, NotEnoughData, Rule, RuleOutput, parse_tags};
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::prices::PriceSource;
use crate::{Dataset, Table};

/// Default for `include-stopped-instances`.
pub const DEFAULT_INCLUDE_STOPPED_INSTANCES: bool = true;

/// Catalog key of the public IPv4 hourly rate.
pub(crate) const PUBLIC_IPV4_HOUR: &str = "ec2_network.public_ipv4_hour";

/// The rule.
pub struct IdleElasticIp;

/// User options under `[rules.idle-elastic-ip]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Also report addresses on stopped instances.
    pub include_stopped_instances: Option<bool>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Also report addresses on stopped instances.
    pub include_stopped_instances: bool,
}

impl Rule for IdleElasticIp {
    const ID: &'static str = "idle-elastic-ip";
    const CATEGORY: Category = Category::Unused;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        Ok(Settings {
            include_stopped_instances: options.include_stopped_instances.unwrap_or(DEFAULT_INCLUDE_STOPPED_INSTANCES),
        })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(addresses) = ctx.dataset.table(Table::Addresses) else {
            return Ok(RuleOutput::default());
        };
        let context = "idle-elastic-ip: addresses";
        let addresses = addresses.collect().during(|| context.into())?;
        if addresses.height() == 0 {
            return Ok(RuleOutput::default());
        }
        let instances = if settings.include_stopped_instances { InstanceStates::load(ctx.dataset)? } else { None };

        let account = strings(&addresses, "account_id", context)?;
        let region = strings(&addresses, "region", context)?;
        let allocation = strings(&addresses, "allocation_id", context)?;
        let name = strings(&addresses, "name", context)?;
        let public_ip = strings(&addresses, "public_ip", context)?;
        let association = strings(&addresses, "association_id", context)?;
        let instance = strings(&addresses, "instance_id", context)?;
        let interface = strings(&addresses, "network_interface_id", context)?;
        let tags = strings(&addresses, "tags", context)?;
        let as_of = ctx.dataset.as_of();

        let mut output = RuleOutput::default();
        for i in 0..addresses.height() {
            let (Some(account), Some(region), Some(allocation_id), Some(public_ip)) =
                (account.get(i), region.get(i), allocation.get(i), public_ip.get(i))
            else {
                continue;
            };
            let holder = match (instance.get(i), association.get(i), interface.get(i)) {
                (None, None, None) => Holder::Nothing,
                (Some(instance_id), _, _) if settings.include_stopped_instances => {
                    let state = match &instances {
                        None => Err(format!(
                            "associated with {instance_id}, but the snapshot has no instances table: cannot tell whether the instance is stopped"
                        )),
                        Some(states) => states.get(account, instance_id).ok_or_else(|| {
                            format!(
                                "associated with {instance_id}, which is not in the instances table: cannot tell whether it is stopped"
                            )
                        }),
                    };
                    match state {
                        Ok(state) if state.state == "stopped" => Holder::StoppedInstance { instance_id, state },
                        Ok(_) => continue,
                        Err(reason) => {
                            output.not_enough_data.push(NotEnoughData {
                                account_id: account.into(),
                                region: Some(region.into()),
                                resource_id: allocation_id.into(),
                                reason,
                            });
                            continue;
                        }
                    }
                }
                // On an instance (not judged), or on a network interface
                // without instance: a NAT gateway, load balancer or endpoint uses it.
                _ => continue,
            };
            let columns = Columns { name: &name, association: &association, tags: &tags };
            output.findings.push(finding(ctx, account, region, allocation_id, public_ip, &holder, i, &columns, as_of));
        }
        Ok(output)
    }
}

/// The per-row columns a finding needs beyond the ids.
struct Columns<'a> {
    name: &'a StringChunked,
    association: &'a StringChunked,
    tags: &'a StringChunked,
}

/// What holds an idle address.
enum Holder<'a> {
    Nothing,
    StoppedInstance { instance_id: &'a str, state: &'a InstanceState },
}

#[allow(clippy::too_many_arguments)]
fn finding(
    ctx: &Context<'_>,
    account: &str,
    region: &str,
    allocation_id: &str,
    public_ip: &str,
    holder: &Holder<'_>,
    row: usize,
    columns: &Columns<'_>,
    as_of: NaiveDateTime,
) -> Finding {
    let cost = address_monthly(ctx, region, public_ip, allocation_id);
    let mut evidence = Vec::new();
    let (title, confidence, risk) = match holder {
        Holder::Nothing => {
            evidence.push(Evidence::text("association", "none: not associated with any instance or network interface"));
            (format!("Elastic IP {public_ip} not associated with anything"), Confidence::High, Risk::NonDisruptive)
        }
        Holder::StoppedInstance { instance_id, state } => {
            let who =
                state.name.as_deref().map_or_else(|| (*instance_id).to_owned(), |n| format!("{instance_id} ({n})"));
            evidence.push(Evidence::text("associated with", format!("{who}, a stopped {}", state.instance_type)));
            if let Some(since) = state.state_changed_at {
                let days = ((as_of - since).num_seconds() as f64 / 86_400.0).floor();
                evidence.push(Evidence::quantity("days the instance has been stopped", days, "days"));
                evidence.push(Evidence::text("instance stopped since", since.format("%Y-%m-%d %H:%M UTC").to_string()));
            } else {
                evidence
                    .push(Evidence::text("instance stopped since", "unknown (no time in its state transition reason)"));
            }
            (format!("Elastic IP {public_ip} held by stopped instance {who}"), Confidence::Medium, Risk::ChangeWindow)
        }
    };
    evidence.push(Evidence::text("public IP", public_ip));
    if let Some(hourly) = cost.hourly {
        evidence.push(Evidence::money("public IPv4 rate per hour", hourly));
    }
    evidence.push(Evidence::monthly("address cost", cost.monthly));
    evidence.push(Evidence::text("cost basis", cost.basis.clone()));

    Finding {
        rule: IdleElasticIp::ID.into(),
        category: IdleElasticIp::CATEGORY,
        account_id: account.into(),
        region: Some(region.into()),
        resource_type: "elastic-ip".into(),
        resource_id: allocation_id.into(),
        resource_name: columns.name.get(row).map(str::to_owned),
        title,
        evidence,
        monthly_cost: cost.monthly,
        monthly_savings: cost.monthly,
        price_source: cost.source,
        confidence,
        risk,
        remediation: remediation(region, allocation_id, public_ip, columns.association.get(row), holder),
        tags: parse_tags(columns.tags.get(row)),
        covers: Vec::new(),
    }
}

/// What an Elastic IP costs per month, and where the figure came from.
#[derive(Debug, Clone)]
pub(crate) struct AddressCost {
    /// Monthly cost.
    pub monthly: f64,
    /// The hourly list rate, when the figure comes from the price book.
    pub hourly: Option<f64>,
    /// Source to attach to the figure.
    pub source: PriceSource,
    /// Words for the evidence (`billed in the CUR under 54.1.2.3`).
    pub basis: String,
    /// Whether the figure is the CUR's own.
    pub billed: bool,
}

/// An Elastic IP's monthly cost: its CUR cost under the public IP (or the
/// allocation id), else the region's public IPv4 hourly rate × hours per month.
pub(crate) fn address_monthly(ctx: &Context<'_>, region: &str, public_ip: &str, allocation_id: &str) -> AddressCost {
    if let Some(billed) = ctx.billed.first_of([public_ip, allocation_id]) {
        return AddressCost {
            monthly: billed.monthly,
            hourly: None,
            source: ctx.billed.source(),
            basis: format!("billed in the CUR under {public_ip}"),
            billed: true,
        };
    }
    let hours = ctx.prices.hours_per_month();
    match ctx.prices.list_price(region, PUBLIC_IPV4_HOUR) {
        Some(price) => AddressCost {
            monthly: price.value * hours,
            hourly: Some(price.value),
            basis: format!("not billed by address in the CUR: public IPv4 rate × {hours} hours"),
            source: price.source,
            billed: false,
        },
        None => AddressCost {
            monthly: 0.0,
            hourly: None,
            source: PriceSource::billed("no public IPv4 rate"),
            basis: "no public IPv4 rate known".into(),
            billed: false,
        },
    }
}

/// The state of an instance an address may be associated with.
#[derive(Debug, Clone)]
struct InstanceState {
    state: String,
    instance_type: String,
    name: Option<String>,
    state_changed_at: Option<NaiveDateTime>,
}

/// Instance states by account and id.
struct InstanceStates(HashMap<(String, String), InstanceState>);

impl InstanceStates {
    /// `None` when the snapshot has no instances table.
    fn load(dataset: &Dataset) -> Result<Option<Self>, Error> {
        let Some(instances) = dataset.table(Table::Instances) else { return Ok(None) };
        let context = "idle-elastic-ip: instances";
        let df = instances
            .select([
                col("account_id"),
                col("instance_id"),
                col("state"),
                col("instance_type"),
                col("name"),
                col("state_changed_at"),
            ])
            .collect()
            .during(|| context.into())?;
        let account = strings(&df, "account_id", context)?;
        let id = strings(&df, "instance_id", context)?;
        let state = strings(&df, "state", context)?;
        let instance_type = strings(&df, "instance_type", context)?;
        let name = strings(&df, "name", context)?;
        let changed = times(&df, "state_changed_at", context)?;
        let map = (0..df.height())
            .filter_map(|i| {
                Some((
                    (account.get(i)?.to_owned(), id.get(i)?.to_owned()),
                    InstanceState {
                        state: state.get(i)?.to_owned(),
                        instance_type: instance_type.get(i).unwrap_or_default().to_owned(),
                        name: name.get(i).map(str::to_owned),
                        state_changed_at: changed[i],
                    },
                ))
            })
            .collect();
        Ok(Some(Self(map)))
    }

    fn get(&self, account: &str, instance_id: &str) -> Option<&InstanceState> {
        self.0.get(&(account.to_owned(), instance_id.to_owned()))
    }
}

/// The `release-address` command: by allocation id in a VPC, by public IP for EC2-Classic.
pub(crate) fn release_command(region: &str, allocation_id: &str, public_ip: &str) -> String {
    if allocation_id.starts_with("eipalloc-") {
        format!("aws ec2 release-address --region {region} --allocation-id {allocation_id}")
    } else {
        format!("aws ec2 release-address --region {region} --public-ip {public_ip}")
    }
}

fn remediation(
    region: &str,
    allocation_id: &str,
    public_ip: &str,
    association_id: Option<&str>,
    holder: &Holder<'_>,
) -> Remediation {
    let mut cli = Vec::new();
    let summary = match holder {
        Holder::Nothing => format!(
            "Release {public_ip} after checking that no DNS record or allow-list still names it (a released address cannot be recovered)."
        ),
        Holder::StoppedInstance { instance_id, .. } => {
            if let Some(association_id) = association_id {
                cli.push(format!("aws ec2 disassociate-address --region {region} --association-id {association_id}"));
            }
            format!(
                "Disassociate {public_ip} from stopped instance {instance_id} and release it, after checking that no DNS record or allow-list names it; if the instance is started again it gets a new address (or none)."
            )
        }
    };
    cli.push(release_command(region, allocation_id, public_ip));
    Remediation {
        lifecycle_configuration: None,
        summary,
        cli,
        terraform: Some(format!(
            "# Remove the aws_eip for {allocation_id} ({public_ip}) and any aws_eip_association using it from your configuration, then apply."
        )),
    }
}
