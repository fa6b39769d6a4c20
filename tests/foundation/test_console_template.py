"""The console's hosting in the template: a private bucket that only the stack's CloudFront
distribution reads (origin access control), HTTPS only, the console URL as an output; and the
local stack's CloudFront models give the same Ref and GetAtt values AWS does."""

from __future__ import annotations

from typing import Any

from drs_local.moto_cloudfront import distribution_config
from drs_local.template import TEMPLATE, load_template

TEMPLATE_DOC = load_template(TEMPLATE)
RES = TEMPLATE_DOC["Resources"]


def test_the_console_bucket_is_private_and_read_only_through_the_distribution() -> None:
    bucket = RES["ConsoleBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert "WebsiteConfiguration" not in bucket  # not a website endpoint: CloudFront signs its reads
    statements = RES["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    read = next(s for s in statements if s["Effect"] == "Allow")
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"} and read["Action"] == "s3:GetObject"
    assert "${ConsoleDistribution}" in read["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_distribution_signs_with_origin_access_control_and_redirects_to_https() -> None:
    config: dict[str, Any] = RES["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    origin = config["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy identity
    oac = RES["ConsoleOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == ("s3", "always", "sigv4")
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    assert "ConsoleDistribution.DomainName" in TEMPLATE_DOC["Outputs"]["ConsoleUrl"]["Value"]["Fn::Sub"]


def test_the_local_model_takes_the_template_config_in_the_api_shape() -> None:
    props = {**RES["ConsoleDistribution"]["Properties"]["DistributionConfig"]}
    props["Origins"] = [{**props["Origins"][0], "DomainName": "b.s3.us-east-1.amazonaws.com", "OriginAccessControlId": "E1"}]
    out = distribution_config(props, "ConsoleDistribution")
    assert out["Origins"]["Quantity"] == 1 and out["Origins"]["Items"][0]["Id"] == "console-bucket"
    methods = out["DefaultCacheBehavior"]["AllowedMethods"]
    assert methods["Items"] == ["GET", "HEAD"] and methods["CachedMethods"] == {"Quantity": 2, "Items": ["GET", "HEAD"]}
    assert out["CallerReference"] == "ConsoleDistribution" and out["DefaultRootObject"] == "index.html"
