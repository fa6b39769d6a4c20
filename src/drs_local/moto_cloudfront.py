"""CloudFormation support for the console's CloudFront resources in moto (which has the CloudFront
API but no CloudFormation model for it), so the local stack deploys the same template as AWS:
``AWS::CloudFront::OriginAccessControl`` and ``AWS::CloudFront::Distribution`` become real moto
CloudFront objects, with the ``Ref`` (the id) and ``Fn::GetAtt`` (``Id``, ``DomainName``) AWS gives."""

from __future__ import annotations

from typing import Any

from moto.cloudformation.parsing import get_model_map, get_name_type_map
from moto.cloudfront.models import cloudfront_backends
from moto.core.common_models import CloudFormationModel


def _backend(account_id: str) -> Any:
    return cloudfront_backends[account_id]["global"]


def _items(values: list[Any]) -> dict[str, Any]:
    return {"Quantity": len(values), "Items": values}


def distribution_config(props: dict[str, Any], caller_reference: str) -> dict[str, Any]:
    """The CloudFormation ``DistributionConfig`` in the shape moto's CloudFront API takes."""
    behavior = dict(props.get("DefaultCacheBehavior") or {})
    for key in ("AllowedMethods", "CachedMethods"):
        if isinstance(behavior.get(key), list):
            behavior[key] = _items(behavior[key])
    if isinstance(behavior.get("AllowedMethods"), dict) and "CachedMethods" in behavior:
        behavior["AllowedMethods"]["CachedMethods"] = behavior.pop("CachedMethods")
    origins = [{k: v for k, v in o.items() if k in ("Id", "DomainName", "OriginPath", "S3OriginConfig",
                                                     "CustomOriginConfig", "OriginAccessControlId")}
               for o in props.get("Origins") or []]
    return {
        "CallerReference": caller_reference,
        "Comment": props.get("Comment", ""),
        "Enabled": props.get("Enabled", True),
        "DefaultRootObject": props.get("DefaultRootObject", ""),
        "PriceClass": props.get("PriceClass", "PriceClass_All"),
        "HttpVersion": props.get("HttpVersion", "http2"),
        "Origins": _items(origins),
        "DefaultCacheBehavior": behavior,
    }


class LocalOriginAccessControl(CloudFormationModel):
    def __init__(self, account_id: str, control: Any) -> None:
        self.account_id = account_id
        self.control = control

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::OriginAccessControl"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return str(self.control.id)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.control.id

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> LocalOriginAccessControl:
        config = cloudformation_json["Properties"]["OriginAccessControlConfig"]
        return cls(account_id, _backend(account_id).create_origin_access_control(config))

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        _backend(account_id).origin_access_controls.pop(resource_name, None)


class LocalDistribution(CloudFormationModel):
    def __init__(self, account_id: str, distribution: Any) -> None:
        self.account_id = account_id
        self.distribution = distribution

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::Distribution"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return str(self.distribution.distribution_id)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Id", "DomainName")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "DomainName":
            return self.distribution.domain_name
        return self.distribution.distribution_id

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> LocalDistribution:
        props = cloudformation_json["Properties"]["DistributionConfig"]
        dist, _, _ = _backend(account_id).create_distribution(distribution_config(props, resource_name), tags=[])
        return cls(account_id, dist)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        _backend(account_id).distributions.pop(resource_name, None)


def register() -> None:
    """Makes the models above visible to moto's template parser (its model map is cached)."""
    get_model_map.cache_clear()
    get_name_type_map.cache_clear()
