//! The AWS CLI steps for changing an EC2 instance's type, shared by the rules
//! that recommend one (`previous-generation-instance`, `ec2-rightsizing`), so
//! the same move reads the same whichever rule suggests it.

/// What an in-place type change must take care of.
pub(crate) struct InPlaceResize<'a> {
    pub region: &'a str,
    pub instance_id: &'a str,
    /// Current type.
    pub from: &'a str,
    /// Target type.
    pub to: &'a str,
    /// Xen to Nitro: check the AMI is HVM with ENA and NVMe drivers first.
    pub to_nitro: bool,
    /// The current type has instance-store disks, which a stop erases.
    pub instance_store: bool,
    /// The target is burstable (T family): mention the credit mode.
    pub burstable_target: bool,
}

impl InPlaceResize<'_> {
    /// Stop, change the type, start — with the checks the move needs, in order.
    pub(crate) fn commands(&self) -> Vec<String> {
        let Self { region, instance_id, from, to, .. } = *self;
        let mut cli = Vec::new();
        if self.to_nitro {
            cli.push(format!(
                "# {to} is a Nitro type: it needs an HVM AMI with the ENA and NVMe drivers; expect \"hvm True\":\naws ec2 describe-instances --region {region} --instance-ids {instance_id} --query 'Reservations[].Instances[].[VirtualizationType,EnaSupport]' --output text"
            ));
            cli.push(format!(
                "# If EnaSupport is not True: install the ENA driver in the OS, then, while stopped:\n#   aws ec2 modify-instance-attribute --region {region} --instance-id {instance_id} --ena-support\n# Also install the NVMe driver and mount by UUID in /etc/fstab (EBS volumes appear as /dev/nvme*);\n# AWS's checker: https://github.com/awslabs/aws-support-tools/tree/master/EC2/C5M5InstanceChecks"
            ));
        }
        if self.instance_store {
            cli.push(format!(
                "# {from} has instance-store disks: copy anything on them to EBS or S3 first; stopping erases them."
            ));
        }
        cli.extend([
            format!("aws ec2 stop-instances --region {region} --instance-ids {instance_id}"),
            format!("aws ec2 wait instance-stopped --region {region} --instance-ids {instance_id}"),
            format!(
                "aws ec2 modify-instance-attribute --region {region} --instance-id {instance_id} --instance-type \"{{\\\"Value\\\": \\\"{to}\\\"}}\""
            ),
        ]);
        if self.burstable_target {
            cli.push(format!(
                "# {to} is burstable and may run in unlimited mode, which bills sustained bursts above its baseline; to keep standard mode:\naws ec2 modify-instance-credit-specification --region {region} --instance-credit-specifications 'InstanceId={instance_id},CpuCredits=standard'"
            ));
        }
        cli.push(format!("aws ec2 start-instances --region {region} --instance-ids {instance_id}"));
        cli
    }

    /// The Terraform change.
    pub(crate) fn terraform(&self) -> String {
        format!(
            "# In the aws_instance for {} (Terraform stops and starts it):\ninstance_type = \"{}\"",
            self.instance_id, self.to
        )
    }
}

/// Rolls an Auto Scaling group onto a new launch template version whose
/// data is `launch_template_data` (JSON), with an instance refresh.
pub(crate) fn launch_template_roll(region: &str, group: &str, launch_template_data: &str) -> Vec<String> {
    vec![
        format!(
            "LT=$(aws autoscaling describe-auto-scaling-groups --region {region} --auto-scaling-group-names {group} --query 'AutoScalingGroups[0].LaunchTemplate.LaunchTemplateId' --output text)"
        ),
        format!(
            "aws ec2 create-launch-template-version --region {region} --launch-template-id \"$LT\" --source-version '$Latest' --launch-template-data '{launch_template_data}'"
        ),
        format!(
            "aws autoscaling update-auto-scaling-group --region {region} --auto-scaling-group-name {group} --launch-template \"LaunchTemplateId=$LT,Version=\\$Latest\""
        ),
        format!("aws autoscaling start-instance-refresh --region {region} --auto-scaling-group-name {group}"),
    ]
}
