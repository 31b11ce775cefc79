#!/usr/bin/env python3
"""Plants a small AWS organization in a moto_server for tests/collect.rs.

Usage: moto_populate.py ENDPOINT --regions R1,R2 [--member-accounts N] [--cur FILE]

Creates an organization whose management account is moto's default
(123456789012) with N member accounts (default 1), and plants the same estate
in every account and region, reaching member accounts through the
CostwiseReadOnly role as costwise does:

- an AMI (registered, since moto runs without its default AMIs);
- three m5.large instances, one stopped: `busy` (CPU around 60 %), `oversized`
  (CPU around 3 % with a peak of 6 %, memory 20 % from the CloudWatch agent:
  an ec2-rightsizing finding) and the stopped one;
- a 200 GiB gp2 volume attached to `busy` (a gp2-to-gp3 finding), an
  unattached 50 GiB gp3 volume, and a snapshot of the gp2 volume;
- an Elastic IP associated with nothing (an idle-elastic-ip finding);
- a launch template `web-<region>` launching the AMI (so it is in use), and two
  Auto Scaling groups scaled to zero: `web` on its `$Latest` version and `batch`
  with a mixed-instances policy (m5.large, m6i.large) on its version 1;
- an application load balancer `checkout-web` and a classic one `checkout-legacy`,
  tagged team=checkout;
- buckets `logs-<account>-<region>` (a lifecycle rule, 14 days of S3 storage
  metrics: 2 TiB in Standard, and request metrics: 1,000 GETs and 5 GiB
  downloaded a day for the whole bucket, 7 GETs for a prefix filter) and `data-<account>-<region>` (versioning,
  a noncurrent version);
- 72 hours of hourly CloudWatch data for both running instances (AWS/EC2 CPU
  and network; CWAgent mem_used_percent with the dimensions the agent's
  default `append_dimensions` gives: InstanceId, ImageId, InstanceType), and
  target health: the ALB's two target groups with 1 and 2 healthy targets,
  the classic load balancer with none.

Every account also gets Cost Explorer results (queued through moto's
`/moto-api/static/ce/cost-and-usage-results`): the last COST_DAYS whole days,
each EC2 $10 ("Amazon Elastic Compute Cloud - Compute", amortized $8) and $2
("EC2 - Other") in us-east-1, S3 $2.50 in eu-west-1 and Tax $1 with no region.

With --cur FILE, the management account gets a bucket `billing-exports` in
us-east-1 holding a CUR 2.0 export under `cur/costwise/`: FILE as last
month's newest delivery, and decoys the collector must skip: an older
delivery of the same month and a file of a month outside the lookback (both
not Parquet at all, so reading them fails loudly) and the metadata manifest.

Prints what it planted as JSON ({account: {region: {...}}}), so the test
asserts against what exists rather than against hand-copied ids.
"""
import argparse
import datetime
import json

import boto3
from botocore.config import Config

ROLE = "CostwiseReadOnly"
HOURS = 72
COST_DAYS = 14
EXPORT_BUCKET = "billing-exports"


def session(endpoint, account=None):
    base = dict(endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing")
    if account is None:
        return base
    sts = boto3.client("sts", region_name="us-east-1", **base)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="populate")[
        "Credentials"
    ]
    return dict(
        endpoint_url=endpoint,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def put_hourly(cloudwatch, namespace, dimensions, metric, values_per_hour, now):
    """Puts, for each of the last HOURS whole hours, the datapoints `values_per_hour(hour)` inside that hour."""
    data = []
    for hour in range(1, HOURS + 1):
        start = now - datetime.timedelta(hours=hour)
        for index, value in enumerate(values_per_hour(hour)):
            data.append(
                {
                    "MetricName": metric,
                    "Dimensions": dimensions,
                    "Timestamp": start + datetime.timedelta(minutes=5 + 30 * index),
                    "Value": float(value),
                }
            )
    for offset in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[offset : offset + 1000])


def plant_buckets(credentials, region, now):
    """Two buckets in `region`: `logs-*` with a lifecycle rule, 2 TiB of daily storage metrics in Standard and a
    few objects; `data-*` with versioning enabled and an object written twice (so it has a noncurrent
    version). (moto 5.2 mistakes PutBucketIntelligentTieringConfiguration for a CreateBucket, so there is no
    Intelligent-Tiering configuration.) Returns {kind: name}."""
    s3 = boto3.client("s3", region_name=region, **credentials)
    account = boto3.client("sts", region_name="us-east-1", **credentials).get_caller_identity()["Account"]
    names = {"logs": f"logs-{account}-{region}", "data": f"data-{account}-{region}"}
    for name in names.values():
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_lifecycle_configuration(
        Bucket=names["logs"],
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-old-logs",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "app/"},
                    "Expiration": {"Days": 400},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                }
            ]
        },
    )
    for key in ("app/2026-11-01.log", "app/2026-11-02.log"):
        s3.put_object(Bucket=names["logs"], Key=key, Body=b"GET /health 200\n" * 64)
    s3.put_bucket_versioning(Bucket=names["data"], VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=names["data"], Key="report.csv", Body=b"v1")
    s3.put_object(Bucket=names["data"], Key="report.csv", Body=b"v2")
    # S3 publishes storage metrics daily; moto does not, so plant 14 days of them.
    cloudwatch = boto3.client(
        "cloudwatch", region_name=region, config=Config(disable_request_compression=True), **credentials
    )
    day = now.replace(hour=0)
    data = []
    for n in range(1, 15):
        stamp = day - datetime.timedelta(days=n)
        for metric, dimension, value in [
            ("BucketSizeBytes", ("StorageType", "StandardStorage"), 2 * 1024**4),
            ("NumberOfObjects", ("StorageType", "AllStorageTypes"), 4_000_000),
            # Request metrics: the whole bucket's (the console's filter name) and a prefix filter's.
            ("GetRequests", ("FilterId", "EntireBucket"), 1_000),
            ("BytesDownloaded", ("FilterId", "EntireBucket"), 5 * 1024**3),
            ("GetRequests", ("FilterId", "archive-prefix"), 7),
        ]:
            data.append(
                {
                    "MetricName": metric,
                    "Dimensions": [
                        {"Name": "BucketName", "Value": names["logs"]},
                        {"Name": dimension[0], "Value": dimension[1]},
                    ],
                    "Timestamp": stamp,
                    "Value": float(value),
                }
            )
    cloudwatch.put_metric_data(Namespace="AWS/S3", MetricData=data)
    return names


def plant(credentials, region, now):
    ec2 = boto3.client("ec2", region_name=region, **credentials)
    # moto cannot read the gzip-compressed bodies botocore sends for large PutMetricData requests.
    cloudwatch = boto3.client(
        "cloudwatch", region_name=region, config=Config(disable_request_compression=True), **credentials
    )
    image = ec2.register_image(
        Name=f"costwise-test-{region}",
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "VolumeType": "gp3"}}],
        Architecture="x86_64",
        VirtualizationType="hvm",
    )["ImageId"]
    zone = f"{region}a"
    reservation = ec2.run_instances(
        ImageId=image,
        InstanceType="m5.large",
        MinCount=3,
        MaxCount=3,
        Placement={"AvailabilityZone": zone},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "checkout"}]}],
    )
    busy, oversized, stopped = [i["InstanceId"] for i in reservation["Instances"]]
    ec2.stop_instances(InstanceIds=[stopped])
    gp2 = ec2.create_volume(
        AvailabilityZone=zone,
        Size=200,
        VolumeType="gp2",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": f"db-data-{region}"}]}],
    )["VolumeId"]
    ec2.attach_volume(VolumeId=gp2, InstanceId=busy, Device="/dev/sdf")
    loose = ec2.create_volume(AvailabilityZone=zone, Size=50, VolumeType="gp3")["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=gp2, Description="nightly")["SnapshotId"]
    address = ec2.allocate_address(Domain="vpc")
    subnets = [
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    ][:2]
    team = [{"Key": "team", "Value": "checkout"}]
    alb = boto3.client("elbv2", region_name=region, **credentials).create_load_balancer(
        Name="checkout-web", Subnets=subnets, Type="application", Tags=team
    )["LoadBalancers"][0]["LoadBalancerArn"]
    boto3.client("elb", region_name=region, **credentials).create_load_balancer(
        LoadBalancerName="checkout-legacy",
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
        AvailabilityZones=[zone],
        Tags=team,
    )
    buckets = plant_buckets(credentials, region, now)
    template = ec2.create_launch_template(
        LaunchTemplateName=f"web-{region}", LaunchTemplateData={"ImageId": image, "InstanceType": "m5.large"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    # Two Auto Scaling groups scaled to zero (so they add no instances): one on the template's $Latest
    # version, one with a mixed-instances policy over two types.
    autoscaling = boto3.client("autoscaling", region_name=region, **credentials)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
        MinSize=0,
        MaxSize=4,
        DesiredCapacity=0,
        AvailabilityZones=[zone],
        Tags=[{"Key": "team", "Value": "checkout", "PropagateAtLaunch": True}],
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="batch",
        MixedInstancesPolicy={
            "LaunchTemplate": {
                "LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "1"},
                "Overrides": [{"InstanceType": "m5.large"}, {"InstanceType": "m6i.large"}],
            }
        },
        MinSize=0,
        MaxSize=2,
        DesiredCapacity=0,
        AvailabilityZones=[zone],
    )

    for instance, cpu, network in [(busy, (50, 70), 4e8), (oversized, (1, 6), 2e6)]:
        dimensions = [{"Name": "InstanceId", "Value": instance}]
        put_hourly(cloudwatch, "AWS/EC2", dimensions, "CPUUtilization", lambda h, cpu=cpu: cpu, now)
        put_hourly(cloudwatch, "AWS/EC2", dimensions, "NetworkIn", lambda h, n=network: (n,), now)
        put_hourly(cloudwatch, "AWS/EC2", dimensions, "NetworkOut", lambda h, n=network: (n / 2,), now)
    agent = [
        {"Name": "InstanceId", "Value": oversized},
        {"Name": "ImageId", "Value": image},
        {"Name": "InstanceType", "Value": "m5.large"},
    ]
    put_hourly(cloudwatch, "CWAgent", agent, "mem_used_percent", lambda h: (18, 22), now)
    # Target health as Elastic Load Balancing reports it: per target group of the ALB (1 and 2 healthy
    # targets), also per zone (which costwise does not read), and for the classic load balancer (none).
    balancer = alb.split(":loadbalancer/")[1]
    for group, healthy in [("targetgroup/web-blue/73e2d6bc24d8a067", 1), ("targetgroup/web-green/5e1b1c4d9a7f0b21", 2)]:
        dimensions = [{"Name": "TargetGroup", "Value": group}, {"Name": "LoadBalancer", "Value": balancer}]
        put_hourly(cloudwatch, "AWS/ApplicationELB", dimensions, "HealthyHostCount", lambda h, n=healthy: (n,), now)
        put_hourly(cloudwatch, "AWS/ApplicationELB", dimensions, "UnHealthyHostCount", lambda h: (0,), now)
        zonal = dimensions + [{"Name": "AvailabilityZone", "Value": zone}]
        put_hourly(cloudwatch, "AWS/ApplicationELB", zonal, "HealthyHostCount", lambda h, n=healthy: (n,), now)
    classic = [{"Name": "LoadBalancerName", "Value": "checkout-legacy"}]
    put_hourly(cloudwatch, "AWS/ELB", classic, "HealthyHostCount", lambda h: (0,), now)
    return {
        "image": image,
        "instances": [busy, oversized, stopped],
        "busy": busy,
        "oversized": oversized,
        "stopped": stopped,
        "gp2_volume": gp2,
        "unattached_volume": loose,
        "snapshot": snapshot,
        "address": address["PublicIp"],
        "allocation": address["AllocationId"],
        "alb": alb,
        "buckets": buckets,
        "buckets_logs": buckets["logs"],
    }


def queue_cost_explorer(endpoint, account, today):
    """Queues one GetCostAndUsage reply (daily, by SERVICE and REGION) for `account`."""
    import urllib.request

    def cost(unblended, amortized=None):
        amortized = unblended if amortized is None else amortized
        return {
            "UnblendedCost": {"Amount": str(unblended), "Unit": "USD"},
            "AmortizedCost": {"Amount": str(amortized), "Unit": "USD"},
        }

    days = []
    for back in range(COST_DAYS, 0, -1):
        start = today - datetime.timedelta(days=back)
        groups = [
            (["Amazon Elastic Compute Cloud - Compute", "us-east-1"], cost(10, 8)),
            (["EC2 - Other", "us-east-1"], cost(2)),
            (["Amazon Simple Storage Service", "eu-west-1"], cost(2.5)),
            (["Tax", "NoRegion"], cost(1)),
        ]
        days.append(
            {
                "TimePeriod": {"Start": start.isoformat(), "End": (start + datetime.timedelta(days=1)).isoformat()},
                "Total": {},
                "Groups": [{"Keys": keys, "Metrics": metrics} for keys, metrics in groups],
                "Estimated": False,
            }
        )
    body = json.dumps({"account_id": account, "results": [{"ResultsByTime": days, "DimensionValueAttributes": []}]})
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/ce/cost-and-usage-results",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as reply:
        assert reply.status == 201, reply.status


def plant_export(credentials, cur_file, today):
    """Plants a CUR 2.0 export with decoys; returns the key of the file the collector must read."""
    import time

    s3 = boto3.client("s3", region_name="us-east-1", **credentials)
    s3.create_bucket(Bucket=EXPORT_BUCKET)
    this_month = today.replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    long_ago = (last_month - datetime.timedelta(days=70)).replace(day=1)
    root = "cur/costwise"
    period = f"BILLING_PERIOD={last_month:%Y-%m}"
    s3.put_object(Bucket=EXPORT_BUCKET, Key=f"{root}/data/{period}/20000101T0000-old/costwise-00001.snappy.parquet",
                  Body=b"an older delivery: not Parquet")
    s3.put_object(Bucket=EXPORT_BUCKET, Key=f"{root}/data/BILLING_PERIOD={long_ago:%Y-%m}/costwise-00001.snappy.parquet",
                  Body=b"outside the lookback: not Parquet")
    s3.put_object(Bucket=EXPORT_BUCKET, Key=f"{root}/metadata/{period}/costwise-Manifest.json", Body=b"{}")
    # Deliveries are told apart by their last-modified second.
    time.sleep(1.5)
    key = f"{root}/data/{period}/20000102T0000-new/costwise-00001.snappy.parquet"
    with open(cur_file, "rb") as data:
        s3.put_object(Bucket=EXPORT_BUCKET, Key=key, Body=data.read())
    return key


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoint")
    parser.add_argument("--regions", required=True)
    parser.add_argument("--member-accounts", type=int, default=1)
    parser.add_argument("--cur")
    args = parser.parse_args()
    regions = args.regions.split(",")
    now = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)

    management = session(args.endpoint)
    organizations = boto3.client("organizations", region_name="us-east-1", **management)
    organizations.create_organization(FeatureSet="ALL")
    members = [
        organizations.create_account(Email=f"member{n}@example.com", AccountName=f"member-{n}")[
            "CreateAccountStatus"
        ]["AccountId"]
        for n in range(args.member_accounts)
    ]
    management_id = boto3.client("sts", region_name="us-east-1", **management).get_caller_identity()["Account"]
    planted = {management_id: {region: plant(management, region, now) for region in regions}}
    for account in members:
        credentials = session(args.endpoint, account)
        planted[account] = {region: plant(credentials, region, now) for region in regions}
    for account in [management_id, *members]:
        queue_cost_explorer(args.endpoint, account, now.date())
    if args.cur:
        plant_export(management, args.cur, now.date())
    print(json.dumps(planted))


if __name__ == "__main__":
    main()
