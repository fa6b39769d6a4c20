"""Real EC2 resources for the emulator, through moto's in-process EC2 backends.

The emulator runs in the same process as moto (decorator mode in tests, ``moto.server`` in the local
stack), so it reaches ``moto.ec2.models.ec2_backends[account][region]`` directly: recovery instances are
real moto instances (``recoveryInstanceID`` is the EC2 instance id), each source server's
``ec2LaunchTemplateID`` is a real moto launch template, and the launch reads that template's default
version at launch time (instance type, subnet, private IP, security groups, instance tags).

Launch rules:

* instance type: the template's ``InstanceType`` when ``targetInstanceTypeRightSizingMethod`` is
  ``NONE``; with ``BASIC``/``IN_AWS`` the server's ``recommendedInstanceType`` (DRS right-sizing
  overrides the template, as the real service does); the recommended type when the template has none;
* subnet: the template's first network interface ``SubnetId``; a template without one launches into
  the default subnet EC2 would pick (the default VPC's subnet of the first availability zone), never
  one chosen to fit the copied IP; no default VPC and no subnet fails the launch (User Guide, "Key
  considerations for EC2 launch templates": define the subnet if there is no default VPC; a copied
  private IP must be in the subnet's CIDR or the launch fails);
* private IP: the source's IP when ``copyPrivateIp`` is true and the source has one (moto rejects an IP
  outside the subnet CIDR, and the launch fails with that message), else the template's, else moto's;
* tags: ``Name=<hostname>``, the source tags when ``copyTags``, then the template's instance tags,
  which take precedence over copied source tags, then the
  ``AWSElasticDisasterRecoveryManaged``/``AWSElasticDisasterRecoverySourceServerID`` tags;
* ``launchDisposition: STOPPED`` stops the instance after it is run.

moto is imported lazily so that importing :mod:`drs_emulator` stays cheap.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from .state import SourceServer

MANAGED_TAG = "AWSElasticDisasterRecoveryManaged"
SOURCE_TAG = "AWSElasticDisasterRecoverySourceServerID"
LAUNCH_INTO_TAG_KEY = "AWSDRS"
LAUNCH_INTO_TAG_VALUE = "AllowLaunchingIntoThisInstance"

_EC2_STATES = {
    "pending": "PENDING",
    "running": "RUNNING",
    "stopping": "STOPPING",
    "stopped": "STOPPED",
    "shutting-down": "SHUTTING-DOWN",
    "terminated": "TERMINATED",
}


class LaunchFailed(Exception):
    """EC2 refused the launch; the message becomes the job log's ``rawError``."""


@dataclass
class InstanceInfo:
    instance_id: str
    state: str
    private_ip: str | None = None
    mac_address: str | None = None
    availability_zone: str | None = None
    volumes: list[tuple[str, str]] = field(default_factory=list)


def _backend(account: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region]


class Ec2Bridge:
    """Creates, reads and terminates EC2 resources in moto on behalf of the emulator."""

    # ------------------------------------------------------------------ launch templates

    def ensure_launch_template(self, server: SourceServer, *, fresh: bool = False) -> str:
        """Return the server's launch template id, (re)creating the template if moto does not have it.

        The template is named ``drs-<server id>``. ``fresh`` (used when seeding) replaces a template of
        that name left in moto by an earlier seeding, so a reseeded fleet starts from pristine settings.
        """
        backend = _backend(server.account, server.region)
        current = server.ec2_launch_template_id
        if not fresh and current and current in backend.launch_templates:
            return str(current)
        name = f"drs-{server.server_id}"
        existing = backend.launch_template_name_to_ids.get(name)
        if existing and existing in backend.launch_templates:
            if not fresh:
                server.ec2_launch_template_id = str(existing)
                return str(existing)
            backend.delete_launch_template(name, None)
        data: dict[str, Any] = {"InstanceType": server.recommended_instance_type}
        tag_spec = {"launch-template": {MANAGED_TAG: "drs.amazonaws.com", SOURCE_TAG: server.server_id}}
        template = backend.create_launch_template(
            name, "Elastic Disaster Recovery launch template", data, tag_spec
        )
        server.ec2_launch_template_id = template.id
        return str(template.id)

    def delete_launch_template(self, server: SourceServer) -> None:
        backend = _backend(server.account, server.region)
        template = backend.launch_templates.get(server.ec2_launch_template_id or "")
        if template is not None:
            backend.delete_launch_template(template.name, None)

    def _template_data(self, server: SourceServer) -> dict[str, Any]:
        backend = _backend(server.account, server.region)
        template = backend.get_launch_template(self.ensure_launch_template(server))
        return dict(template.default_version().data or {})

    # ------------------------------------------------------------------ subnets

    @staticmethod
    def _default_subnets(backend: Any) -> list[Any]:
        subnets = list(backend.describe_subnets())
        default = [s for s in subnets if getattr(s, "default_for_az", False) in (True, "true")]
        chosen = default or subnets
        return sorted(chosen, key=lambda s: (s.availability_zone, s.id))

    def _default_subnet(self, backend: Any) -> str:
        """The subnet EC2 launches into when none is given: a default subnet of the default VPC."""
        default = [
            s
            for s in backend.describe_subnets()
            if getattr(s, "default_for_az", False) in (True, "true")
        ]
        if not default:
            raise LaunchFailed(
                "The EC2 launch template defines no subnet and the Region has no default VPC"
            )
        return str(sorted(default, key=lambda s: (s.availability_zone, s.id))[0].id)

    def _pick_subnet(self, backend: Any, private_ip: str | None) -> str:
        candidates = self._default_subnets(backend)
        if not candidates:
            raise LaunchFailed("No subnet is available for the recovery instance (no default VPC)")
        if private_ip:
            ip = ipaddress.ip_address(private_ip)
            for subnet in candidates:
                if ip in ipaddress.ip_network(subnet.cidr_block, strict=False):
                    return str(subnet.id)
        return str(candidates[0].id)

    # ------------------------------------------------------------------ instances

    def launch(self, server: SourceServer) -> InstanceInfo:
        """Run the recovery instance for ``server`` per its launch configuration and template."""
        backend = _backend(server.account, server.region)
        lc = server.launch_config
        try:
            data = self._template_data(server)
        except Exception as exc:  # moto raises its own error types
            raise LaunchFailed(f"Launch template could not be read: {exc}") from exc
        nics = data.get("NetworkInterfaces") or []
        nic0 = next((n for n in nics if int(n.get("DeviceIndex", 0) or 0) == 0), nics[0] if nics else {})
        rightsizing = lc.get("targetInstanceTypeRightSizingMethod", "NONE")
        if rightsizing in ("BASIC", "IN_AWS") or not data.get("InstanceType"):
            instance_type = server.recommended_instance_type
        else:
            instance_type = str(data["InstanceType"])
        private_ip = (
            server.private_ip
            if (lc.get("copyPrivateIp") and server.private_ip)
            else nic0.get("PrivateIpAddress")
        )
        subnet_id = nic0.get("SubnetId") or self._default_subnet(backend)
        groups = list(nic0.get("Groups") or data.get("SecurityGroupIds") or [])
        tags: dict[str, str] = {"Name": server.hostname}
        if lc.get("copyTags"):
            tags.update(server.tags)
        for spec in data.get("TagSpecifications") or []:
            if spec.get("ResourceType") == "instance":
                tags.update({t["Key"]: t["Value"] for t in spec.get("Tags", [])})
        tags[MANAGED_TAG] = "drs.amazonaws.com"
        tags[SOURCE_TAG] = server.server_id
        image_id = data.get("ImageId") or self._default_image(backend)
        try:
            reservation = backend.run_instances(
                image_id,
                1,
                None,
                [],
                instance_type=instance_type,
                is_instance_type_default=False,
                region_name=server.region,
                subnet_id=subnet_id,
                private_ip=private_ip,
                security_group_ids=groups,
                tags={"instance": tags},
            )
        except Exception as exc:
            raise LaunchFailed(f"EC2 RunInstances failed: {exc}") from exc
        instance = reservation.instances[0]
        if lc.get("launchDisposition") == "STOPPED":
            backend.stop_instances([instance.id])
        return self._info(instance)

    def launch_into(self, server: SourceServer, instance_id: str, *, own: bool = False) -> InstanceInfo:
        """Launch into an existing instance: same id, type, network and tags (source tags are not
        copied), its volumes replaced by the recovered ones, then started unless the launch
        disposition is STOPPED.

        Prerequisites (User Guide, "Launch into instance" / "Launch into source instance"): the
        instance carries ``AWSDRS=AllowLaunchingIntoThisInstance`` and is stopped. ``own``: the
        instance is the server's current recovery instance (a relaunch), which DRS stops itself.
        """
        backend = _backend(server.account, server.region)
        prefix = f"Launch into instance {instance_id} failed"
        try:
            instance = backend.get_instance(instance_id)
        except Exception as exc:
            raise LaunchFailed(
                f"{prefix}: the EC2 instance does not exist in {server.account}/{server.region}"
            ) from exc
        if instance.state in ("terminated", "shutting-down"):
            raise LaunchFailed(f"{prefix}: the EC2 instance is {instance.state}")
        tags = {t["key"]: t["value"] for t in instance.get_tags()}
        if tags.get(LAUNCH_INTO_TAG_KEY) != LAUNCH_INTO_TAG_VALUE:
            raise LaunchFailed(
                f"{prefix}: the instance must carry the tag {LAUNCH_INTO_TAG_KEY}={LAUNCH_INTO_TAG_VALUE}"
            )
        if instance.state != "stopped":
            if not own:
                raise LaunchFailed(f"{prefix}: the instance must be stopped (it is {instance.state})")
            backend.stop_instances([instance_id])
        if server.launch_config.get("launchDisposition", "STARTED") != "STOPPED":
            backend.start_instances([instance_id])
        instance.add_tags({MANAGED_TAG: "drs.amazonaws.com", SOURCE_TAG: server.server_id})
        return self._info(instance)

    def instance_tags(self, account: str, region: str, instance_id: str) -> dict[str, str] | None:
        backend = _backend(account, region)
        try:
            instance = backend.get_instance(instance_id)
        except Exception:
            return None
        return {t["key"]: t["value"] for t in instance.get_tags()}

    def run_source_instance(
        self,
        account: str,
        region: str,
        hostname: str,
        private_ip: str | None,
        tags: dict[str, str],
        instance_type: str,
    ) -> str:
        """Run the EC2 instance that an AWS-origin source server replicates from (reusing a live
        instance with the same Name tag and IP, so reseeding is idempotent)."""
        backend = _backend(account, region)
        for instance in backend.all_instances():
            if instance.state in ("terminated", "shutting-down"):
                continue
            name = next((t["value"] for t in instance.get_tags() if t["key"] == "Name"), None)
            if name == hostname and (private_ip is None or instance.private_ip == private_ip):
                return str(instance.id)
        subnet_id = self._pick_subnet(backend, private_ip)
        subnet = backend.get_subnet(subnet_id)
        ip = private_ip
        if ip and ipaddress.ip_address(ip) not in ipaddress.ip_network(subnet.cidr_block, strict=False):
            ip = None
        reservation = backend.run_instances(
            self._default_image(backend),
            1,
            None,
            [],
            instance_type=instance_type,
            is_instance_type_default=False,
            region_name=region,
            subnet_id=subnet_id,
            private_ip=ip,
            tags={"instance": {"Name": hostname, **tags}},
        )
        return str(reservation.instances[0].id)

    def terminate(self, account: str, region: str, instance_id: str) -> None:
        """Terminate the instance and free its private IPs (EC2 does; moto keeps them reserved)."""
        backend = _backend(account, region)
        try:
            instance = backend.get_instance(instance_id)
        except Exception:
            return
        if instance.state != "terminated":
            backend.terminate_instances([instance_id])
        self._release_private_ips(instance)

    @staticmethod
    def _release_private_ips(instance: Any) -> None:
        """Free the addresses, but keep them out of moto's reuse-first pool: moto hands a freed
        address to the very next launch without a fixed IP, so a server that copies that IP could
        not launch again ("IP already in use"); EC2 promises no such order."""
        for nic in list((getattr(instance, "nics", None) or {}).values()):
            subnet = getattr(nic, "subnet", None)
            if subnet is None:
                continue
            for entry in getattr(nic, "private_ip_addresses", None) or []:
                address = entry.get("PrivateIpAddress") if isinstance(entry, dict) else None
                if address:
                    subnet.del_subnet_ip(address)
                    unused = getattr(subnet, "_unused_ips", None)
                    if isinstance(unused, set):
                        unused.discard(address)

    def instance_exists(self, account: str, region: str, instance_id: str) -> bool:
        info = self.describe(account, region, instance_id)
        return info is not None and info.state not in ("TERMINATED", "SHUTTING-DOWN")

    def describe(self, account: str, region: str, instance_id: str) -> InstanceInfo | None:
        backend = _backend(account, region)
        try:
            instance = backend.get_instance(instance_id)
        except Exception:
            return None
        return self._info(instance)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _default_image(backend: Any) -> str:
        amis = getattr(backend, "amis", None) or {}
        return min(amis) if amis else "ami-00000000000000000"  # the first id, without sorting hundreds per launch

    @staticmethod
    def _info(instance: Any) -> InstanceInfo:
        mac = None
        nics = getattr(instance, "nics", None) or {}
        if 0 in nics:
            mac = getattr(nics[0], "mac_address", None)
        volumes = []
        for device_name, device in instance.get_block_device_mapping:
            volumes.append((str(device_name), str(device.volume_id)))
        return InstanceInfo(
            instance_id=str(instance.id),
            state=_EC2_STATES.get(str(instance.state), "NOT_FOUND"),
            private_ip=getattr(instance, "private_ip", None),
            mac_address=mac,
            availability_zone=getattr(instance, "availability_zone", None),
            volumes=volumes,
        )
