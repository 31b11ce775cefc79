//! The EC2 calls: every page of each `Describe*` reply turned into the JSON
//! the AWS CLI prints for it, with the keys the importer reads.

// `|t| t.as_str()` reads better than the SDK's fully qualified `aws_sdk_ec2::types::InstanceType::as_str` paths.
#![allow(clippy::redundant_closure_for_method_calls)]

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::Tag;
use serde_json::{Value, json};

use super::cli_json::{object, text, time};
use super::{Call, Fetched, failure};

/// Makes `call` (every page) and returns the CLI-shaped document, or the error as one line
/// (`AccessDenied: User is not authorized ...`).
pub(super) async fn fetch(client: &Client, call: Call) -> Result<Fetched, String> {
    match call.file_name {
        "describe-instances.json" => {
            let pages = every_page!(client.describe_instances()).map_err(|e| failure(&e))?;
            let reservations: Vec<Value> = pages.iter().flat_map(|p| p.reservations()).map(reservation).collect();
            Ok(Fetched { document: json!({ "Reservations": reservations }), pages: pages.len() })
        }
        "describe-volumes.json" => {
            let pages = every_page!(client.describe_volumes()).map_err(|e| failure(&e))?;
            let volumes: Vec<Value> = pages.iter().flat_map(|p| p.volumes()).map(volume).collect();
            Ok(Fetched { document: json!({ "Volumes": volumes }), pages: pages.len() })
        }
        "describe-snapshots.json" => {
            let pages = every_page!(client.describe_snapshots().owner_ids("self")).map_err(|e| failure(&e))?;
            let snapshots: Vec<Value> = pages.iter().flat_map(|p| p.snapshots()).map(snapshot).collect();
            Ok(Fetched { document: json!({ "Snapshots": snapshots }), pages: pages.len() })
        }
        "describe-images.json" => {
            // Without a page size DescribeImages returns every image in one reply.
            let reply = client.describe_images().owners("self").send().await.map_err(|e| failure(&e))?;
            let images: Vec<Value> = reply.images().iter().map(image).collect();
            Ok(Fetched { document: json!({ "Images": images }), pages: 1 })
        }
        "describe-addresses.json" => {
            let reply = client.describe_addresses().send().await.map_err(|e| failure(&e))?;
            let addresses: Vec<Value> = reply.addresses().iter().map(address).collect();
            Ok(Fetched { document: json!({ "Addresses": addresses }), pages: 1 })
        }
        "describe-nat-gateways.json" => {
            let pages = every_page!(client.describe_nat_gateways()).map_err(|e| failure(&e))?;
            let gateways: Vec<Value> = pages.iter().flat_map(|p| p.nat_gateways()).map(nat_gateway).collect();
            Ok(Fetched { document: json!({ "NatGateways": gateways }), pages: pages.len() })
        }
        "describe-launch-template-versions.json" => {
            // `$Latest` and `$Default` without a template id: those two versions of every template in the region.
            let pages =
                every_page!(client.describe_launch_template_versions().versions("$Latest").versions("$Default"))
                    .map_err(|e| failure(&e))?;
            let versions: Vec<Value> =
                pages.iter().flat_map(|p| p.launch_template_versions()).map(launch_template_version).collect();
            Ok(Fetched { document: json!({ "LaunchTemplateVersions": versions }), pages: pages.len() })
        }
        "describe-reserved-instances.json" => {
            // Not paginated: one reply holds every reservation, retired ones included.
            let reply = client.describe_reserved_instances().send().await.map_err(|e| failure(&e))?;
            let reservations: Vec<Value> = reply.reserved_instances().iter().map(reserved_instance).collect();
            Ok(Fetched { document: json!({ "ReservedInstances": reservations }), pages: 1 })
        }
        other => Err(format!("no EC2 call is saved as {other}")),
    }
}

fn tags(tags: &[Tag]) -> Option<Value> {
    (!tags.is_empty()).then(|| {
        Value::Array(
            tags.iter()
                .map(|t| json!({ "Key": t.key().unwrap_or_default(), "Value": t.value().unwrap_or_default() }))
                .collect(),
        )
    })
}

fn reservation(r: &aws_sdk_ec2::types::Reservation) -> Value {
    object([
        ("OwnerId", text(r.owner_id())),
        ("Instances", Some(Value::Array(r.instances().iter().map(instance).collect()))),
    ])
}

fn instance(i: &aws_sdk_ec2::types::Instance) -> Value {
    let mappings: Vec<Value> = i
        .block_device_mappings()
        .iter()
        .map(|m| {
            object([
                ("DeviceName", text(m.device_name())),
                ("Ebs", m.ebs().map(|e| object([("VolumeId", text(e.volume_id()))]))),
            ])
        })
        .collect();
    object([
        ("InstanceId", text(i.instance_id())),
        ("InstanceType", text(i.instance_type().map(|t| t.as_str()))),
        ("ImageId", text(i.image_id())),
        ("State", i.state().map(|s| object([("Name", text(s.name().map(|n| n.as_str())))]))),
        ("StateTransitionReason", text(i.state_transition_reason())),
        ("LaunchTime", time(i.launch_time())),
        (
            "Placement",
            i.placement().map(|p| {
                object([
                    ("AvailabilityZone", text(p.availability_zone())),
                    ("Tenancy", text(p.tenancy().map(|t| t.as_str()))),
                ])
            }),
        ),
        ("PlatformDetails", text(i.platform_details())),
        ("Architecture", text(i.architecture().map(|a| a.as_str()))),
        ("InstanceLifecycle", text(i.instance_lifecycle().map(|l| l.as_str()))),
        ("RootDeviceName", text(i.root_device_name())),
        ("BlockDeviceMappings", Some(Value::Array(mappings))),
        ("Tags", tags(i.tags())),
    ])
}

fn volume(v: &aws_sdk_ec2::types::Volume) -> Value {
    let attachments: Vec<Value> = v
        .attachments()
        .iter()
        .map(|a| {
            object([
                ("InstanceId", text(a.instance_id())),
                ("State", text(a.state().map(|s| s.as_str()))),
                ("AttachTime", time(a.attach_time())),
                ("Device", text(a.device())),
            ])
        })
        .collect();
    object([
        ("VolumeId", text(v.volume_id())),
        ("AvailabilityZone", text(v.availability_zone())),
        ("Size", v.size().map(Value::from)),
        ("VolumeType", text(v.volume_type().map(|t| t.as_str()))),
        ("Iops", v.iops().map(Value::from)),
        ("Throughput", v.throughput().map(Value::from)),
        ("State", text(v.state().map(|s| s.as_str()))),
        ("CreateTime", time(v.create_time())),
        ("Encrypted", v.encrypted().map(Value::from)),
        ("SnapshotId", text(v.snapshot_id())),
        ("Attachments", Some(Value::Array(attachments))),
        ("Tags", tags(v.tags())),
    ])
}

fn snapshot(s: &aws_sdk_ec2::types::Snapshot) -> Value {
    object([
        ("SnapshotId", text(s.snapshot_id())),
        ("VolumeId", text(s.volume_id())),
        ("VolumeSize", s.volume_size().map(Value::from)),
        ("StartTime", time(s.start_time())),
        ("State", text(s.state().map(|x| x.as_str()))),
        ("StorageTier", text(s.storage_tier().map(|x| x.as_str()))),
        ("Description", text(s.description())),
        ("OwnerId", text(s.owner_id())),
        ("FullSnapshotSizeInBytes", s.full_snapshot_size_in_bytes().map(Value::from)),
        ("Tags", tags(s.tags())),
    ])
}

fn image(i: &aws_sdk_ec2::types::Image) -> Value {
    let mappings: Vec<Value> = i
        .block_device_mappings()
        .iter()
        .map(|m| {
            object([
                ("DeviceName", text(m.device_name())),
                (
                    "Ebs",
                    m.ebs().map(|e| {
                        object([
                            ("SnapshotId", text(e.snapshot_id())),
                            ("VolumeSize", e.volume_size().map(Value::from)),
                        ])
                    }),
                ),
            ])
        })
        .collect();
    object([
        ("ImageId", text(i.image_id())),
        ("Name", text(i.name())),
        ("Description", text(i.description())),
        ("OwnerId", text(i.owner_id())),
        ("State", text(i.state().map(|s| s.as_str()))),
        ("CreationDate", text(i.creation_date())),
        ("LastLaunchedTime", text(i.last_launched_time())),
        ("BlockDeviceMappings", Some(Value::Array(mappings))),
        ("Tags", tags(i.tags())),
    ])
}

fn address(a: &aws_sdk_ec2::types::Address) -> Value {
    object([
        ("AllocationId", text(a.allocation_id())),
        ("PublicIp", text(a.public_ip())),
        ("AssociationId", text(a.association_id())),
        ("InstanceId", text(a.instance_id())),
        ("NetworkInterfaceId", text(a.network_interface_id())),
        ("Domain", text(a.domain().map(|d| d.as_str()))),
        ("NetworkBorderGroup", text(a.network_border_group())),
        ("Tags", tags(a.tags())),
    ])
}

fn nat_gateway(n: &aws_sdk_ec2::types::NatGateway) -> Value {
    object([
        ("NatGatewayId", text(n.nat_gateway_id())),
        ("SubnetId", text(n.subnet_id())),
        ("VpcId", text(n.vpc_id())),
        ("State", text(n.state().map(|s| s.as_str()))),
        ("ConnectivityType", text(n.connectivity_type().map(|c| c.as_str()))),
        ("CreateTime", time(n.create_time())),
        ("Tags", tags(n.tags())),
    ])
}

fn launch_template_version(v: &aws_sdk_ec2::types::LaunchTemplateVersion) -> Value {
    object([
        ("LaunchTemplateId", text(v.launch_template_id())),
        ("LaunchTemplateName", text(v.launch_template_name())),
        ("VersionNumber", v.version_number().map(Value::from)),
        ("DefaultVersion", v.default_version().map(Value::from)),
        ("CreateTime", time(v.create_time())),
        ("CreatedBy", text(v.created_by())),
        ("LaunchTemplateData", v.launch_template_data().map(|d| object([("ImageId", text(d.image_id()))]))),
    ])
}

fn reserved_instance(r: &aws_sdk_ec2::types::ReservedInstances) -> Value {
    let charges: Vec<Value> = r
        .recurring_charges()
        .iter()
        .map(|c| {
            object([("Frequency", text(c.frequency().map(|f| f.as_str()))), ("Amount", c.amount().map(Value::from))])
        })
        .collect();
    object([
        ("ReservedInstancesId", text(r.reserved_instances_id())),
        ("InstanceType", text(r.instance_type().map(|t| t.as_str()))),
        ("InstanceCount", r.instance_count().map(Value::from)),
        ("ProductDescription", text(r.product_description().map(|p| p.as_str()))),
        ("Scope", text(r.scope().map(|s| s.as_str()))),
        ("AvailabilityZone", text(r.availability_zone())),
        ("OfferingClass", text(r.offering_class().map(|c| c.as_str()))),
        ("OfferingType", text(r.offering_type().map(|t| t.as_str()))),
        ("InstanceTenancy", text(r.instance_tenancy().map(|t| t.as_str()))),
        ("Start", time(r.start())),
        ("End", time(r.end())),
        ("FixedPrice", r.fixed_price().map(|p| Value::from(f64::from(p)))),
        ("UsagePrice", r.usage_price().map(|p| Value::from(f64::from(p)))),
        ("RecurringCharges", Some(Value::Array(charges))),
        ("State", text(r.state().map(|s| s.as_str()))),
        ("CurrencyCode", text(r.currency_code().map(|c| c.as_str()))),
        ("Tags", tags(r.tags())),
    ])
}
