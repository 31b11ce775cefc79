#!/usr/bin/env python3
"""Plants a small AWS estate in a moto_server for tests/collect.rs.

Usage: moto_populate.py ENDPOINT REGION [REGION ...]

In each region: an AMI (registered, since moto runs without its default AMIs),
two running instances and one stopped one, a 200 GiB gp2 volume attached to a
running instance (a gp2-to-gp3 finding), an unattached 50 GiB gp3 volume, a
snapshot of the gp2 volume, and an Elastic IP associated with nothing (an
idle-elastic-ip finding). Prints what it planted as JSON, so the test asserts
against what exists rather than against hand-copied ids.
"""
import json
import sys

import boto3


def plant(endpoint, region):
    ec2 = boto3.client(
        "ec2",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
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
    instances = [i["InstanceId"] for i in reservation["Instances"]]
    ec2.stop_instances(InstanceIds=[instances[2]])
    gp2 = ec2.create_volume(
        AvailabilityZone=zone,
        Size=200,
        VolumeType="gp2",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": f"db-data-{region}"}]}],
    )["VolumeId"]
    ec2.attach_volume(VolumeId=gp2, InstanceId=instances[0], Device="/dev/sdf")
    loose = ec2.create_volume(AvailabilityZone=zone, Size=50, VolumeType="gp3")["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=gp2, Description="nightly")["SnapshotId"]
    address = ec2.allocate_address(Domain="vpc")
    return {
        "image": image,
        "instances": instances,
        "stopped": instances[2],
        "gp2_volume": gp2,
        "unattached_volume": loose,
        "snapshot": snapshot,
        "address": address["PublicIp"],
        "allocation": address["AllocationId"],
    }


def main():
    endpoint, regions = sys.argv[1], sys.argv[2:]
    print(json.dumps({region: plant(endpoint, region) for region in regions}))


if __name__ == "__main__":
    main()
