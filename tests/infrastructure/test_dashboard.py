"""The hosted dashboard: private bucket, CloudFront with origin access control, HTTPS only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from floorwatch import names

from infrastructure import stack as stack_module
from tests.infrastructure.support import Synthesized, function_properties

pytestmark = pytest.mark.infra


def _distribution(synthesized: Synthesized) -> dict[str, Any]:
    [distribution] = synthesized.template.find_resources("AWS::CloudFront::Distribution").values()
    return distribution["Properties"]["DistributionConfig"]  # type: ignore[no-any-return]


def test_bucket_is_private_and_read_only_through_cloudfront(synthesized: Synthesized) -> None:
    dashboard = synthesized.stack.dashboard
    assert dashboard is not None
    bucket = synthesized.resource(dashboard.bucket)["Properties"]
    assert bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert "WebsiteConfiguration" not in bucket
    [origin] = _distribution(synthesized)["Origins"]
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert "OriginAccessControlId" in origin
    assert synthesized.template.find_resources("AWS::CloudFront::OriginAccessControl")


def test_viewers_are_redirected_to_https_and_get_the_page(synthesized: Synthesized) -> None:
    config = _distribution(synthesized)
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert "ResponseHeadersPolicyId" in config["DefaultCacheBehavior"]


def test_the_dashboard_files_are_deployed_and_the_cache_invalidated(synthesized: Synthesized) -> None:
    [deployment] = synthesized.template.find_resources("Custom::CDKBucketDeployment").values()
    distribution_id = synthesized.logical_id(synthesized.stack.dashboard.distribution)  # type: ignore[union-attr]
    assert deployment["Properties"]["DistributionId"] == {"Ref": distribution_id}
    assert deployment["Properties"]["DistributionPaths"] == ["/*"]


def test_deleting_the_stack_empties_the_dashboard_bucket_first(synthesized: Synthesized) -> None:
    # `cdk destroy` cannot delete a non-empty bucket: the deployment deletes its files before it.
    [deployment] = synthesized.template.find_resources("Custom::CDKBucketDeployment").values()
    assert deployment["Properties"]["RetainOnDelete"] is False
    bucket_id = synthesized.logical_id(synthesized.stack.dashboard.bucket)  # type: ignore[union-attr]
    assert deployment["Properties"]["DestinationBucketName"] == {"Ref": bucket_id}
    assert synthesized.template_json["Resources"][bucket_id]["DeletionPolicy"] == "Delete"


def test_dashboard_url_output_points_the_page_at_the_websocket_api(synthesized: Synthesized) -> None:
    output = synthesized.template_json["Outputs"][stack_module.OUTPUT_DASHBOARD_URL]["Value"]
    parts = json.dumps(output)
    assert '"https://"' in parts
    assert "/?ws=wss://" in parts
    assert synthesized.logical_id(synthesized.stack.websocket.api) in parts


def test_links_in_notifications_lead_to_the_hosted_dashboard(synthesized: Synthesized) -> None:
    variables = function_properties(synthesized, synthesized.stack.fanout.fanout)["Environment"]["Variables"]
    distribution_id = synthesized.logical_id(synthesized.stack.dashboard.distribution)  # type: ignore[union-attr]
    assert variables[names.ENV_DASHBOARD_URL] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]
    }
