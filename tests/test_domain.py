"""Domain: names in the stack's hosted zone, certificates validated through it, alias records to the targets."""

from __future__ import annotations

import pulumi
import pytest

from aws_compute_platform.foundation.domain import US_EAST_1, Domain
from plan import Plan, run_program

CERT = "aws:acm/certificate:Certificate"
RECORD = "aws:route53/record:Record"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"


@pytest.fixture(scope="module")
def plan() -> Plan:
    def program() -> None:
        domain = Domain("site", "example.org.", tags={"Team": "web"})
        regional = domain.certificate("payroll", domain.fqdn("payroll"))
        cdn = domain.certificate("cdn", domain.fqdn(None), region=US_EAST_1)
        domain.alias(
            "payroll", domain.fqdn("payroll"), target_dns_name="lb.example.com", target_zone_id="Z35SXDOTRQ7X7K"
        )
        domain.alias(
            "site", domain.fqdn(None), target_dns_name="d1.cloudfront.net", target_zone_id="Z2FDTNDATAQYW2", ipv6=True
        )
        pulumi.export("regional", regional.arn)
        pulumi.export("cdn", cdn.arn)

    return run_program(program)


def test_names_live_in_the_zone_whose_trailing_dot_is_dropped(plan: Plan) -> None:
    names = {r.inputs["domainName"] for r in plan.of_type(CERT)}
    assert names == {"payroll.example.org", "example.org"}


def test_every_certificate_is_validated_by_dns_through_a_record_in_the_zone(plan: Plan) -> None:
    zone_ids = {r.inputs["zoneId"] for r in plan.of_type(RECORD)}
    assert len(zone_ids) == 1
    for cert in plan.of_type(CERT):
        assert cert.inputs["validationMethod"] == "DNS"
        [validation] = [v for v in plan.of_type(VALIDATION) if v.inputs["certificateArn"] == cert.outputs["arn"]]
        [record] = [r for r in plan.of_type(RECORD) if r.name == f"{cert.name}-validation"]
        option = cert.outputs["domainValidationOptions"][0]
        assert record.inputs["name"] == option["resourceRecordName"]
        assert record.inputs["records"] == [option["resourceRecordValue"]]
        assert validation.inputs["validationRecordFqdns"] == [record.outputs["fqdn"]]


def test_the_cloudfront_certificate_is_requested_in_us_east_1_and_the_others_in_the_stacks_region(plan: Plan) -> None:
    regions = {c.inputs["domainName"]: c.inputs.get("region") for c in plan.of_type(CERT)}
    assert regions == {"example.org": "us-east-1", "payroll.example.org": None}
    assert plan.outputs["cdn"].startswith("arn:aws:acm:us-east-1:")


def test_components_use_a_certificate_only_once_it_is_issued(plan: Plan) -> None:
    # The exported ARN is the validation's, which resolves only after ACM has issued the certificate.
    validations = {v.outputs["certificateArn"] for v in plan.of_type(VALIDATION)}
    assert {plan.outputs["regional"], plan.outputs["cdn"]} == validations


def test_aliases_point_at_their_targets_with_ipv6_only_where_asked(plan: Plan) -> None:
    aliases = [r for r in plan.of_type(RECORD) if r.inputs.get("aliases")]
    by_name = {(r.inputs["name"], r.inputs["type"]): r.inputs["aliases"][0]["name"] for r in aliases}
    assert by_name == {
        ("payroll.example.org", "A"): "lb.example.com",
        ("example.org", "A"): "d1.cloudfront.net",
        ("example.org", "AAAA"): "d1.cloudfront.net",
    }
