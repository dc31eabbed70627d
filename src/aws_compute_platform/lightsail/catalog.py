"""The Lightsail blueprint and bundle ids this project accepts, with what each costs and where that was read.

Lightsail refuses an id it does not know only at deploy time, after other resources were created, and old
examples are full of ids that no longer work for new resources (`nano_2_0`, `micro_1_0`, `postgres_12`).
So the ids are checked when the stack file is read, against this list. Every fact carries the date it was
checked and its source; refresh them with the AWS CLI (see the README, "Lightsail"):

    aws lightsail get-blueprints --query 'blueprints[?isActive].[blueprintId,name]' --output table
    aws lightsail get-bundles --query 'bundles[?isActive].[bundleId,price,ramSizeInGb,cpuCount,diskSizeInGb]'
    aws lightsail get-relational-database-blueprints --query 'blueprints[].[blueprintId,engineVersion]'
    aws lightsail get-relational-database-bundles --query 'bundles[?isActive].[bundleId,price,ramSizeInGb]'

Prices are US dollars a month in us-east-1 (other regions can differ; the ids are the same there, except in a
few regions that have their own bundle ids such as `nano_3_2` in ap-southeast-2, which are not listed here).
"""

from __future__ import annotations

from dataclasses import dataclass

CHECKED = "2026-11-25"

_CLI_GET_BUNDLES = "aws-cli awscli/examples/lightsail/get-bundles.rst (aws/aws-cli@3332bf9)"
_GUIDE_BUNDLES = (
    "Lightsail user guide amazon-lightsail-bundles.html, us-east-1 list prices as fetched 2026-09-17 "
    "(api-evangelist/amazon-lightsail plans/amazon-lightsail-plans-pricing.yml)"
)
_CLI_GET_BLUEPRINTS = "aws-cli awscli/examples/lightsail/get-blueprints.rst (aws/aws-cli@3096efe)"
_CLI_DB_BUNDLES = "aws-cli awscli/examples/lightsail/get-relational-database-bundles.rst (aws/aws-cli@3096efe)"


@dataclass(frozen=True)
class Bundle:
    """A fixed monthly plan: what it costs and what it gives."""

    monthly_usd: float
    ram_gb: float
    vcpus: int
    disk_gb: int
    source: str
    checked: str = CHECKED


@dataclass(frozen=True)
class Withdrawal:
    """The publisher took the image back: new instances may fail to launch, existing ones keep running."""

    date: str
    source: str
    alternative: str


@dataclass(frozen=True)
class EndOfLife:
    """The engine's community stopped fixing it, security holes included: existing databases keep running."""

    date: str
    source: str
    alternative: str


@dataclass(frozen=True)
class Blueprint:
    """An image: an operating system alone, or an application on one; for databases, an engine version."""

    description: str
    source: str
    checked: str = CHECKED
    withdrawn: Withdrawal | None = None
    end_of_life: EndOfLife | None = None


# Linux/Unix instance plans with a public IPv4 address (the `_3_0` generation; `_2_0` is the legacy one).
INSTANCE_BUNDLES: dict[str, Bundle] = {
    "nano_3_0": Bundle(5.0, 0.5, 2, 20, _CLI_GET_BUNDLES),
    "micro_3_0": Bundle(7.0, 1.0, 2, 40, _CLI_GET_BUNDLES),
    "small_3_0": Bundle(12.0, 2.0, 2, 60, _CLI_GET_BUNDLES),
    "medium_3_0": Bundle(24.0, 4.0, 2, 80, _GUIDE_BUNDLES),
    "large_3_0": Bundle(44.0, 8.0, 2, 160, _GUIDE_BUNDLES),
    "xlarge_3_0": Bundle(84.0, 16.0, 4, 320, _GUIDE_BUNDLES),
    "2xlarge_3_0": Bundle(164.0, 32.0, 8, 640, _GUIDE_BUNDLES),
}

_IN_USE = "in use with create-instances / aws_lightsail_instance in public code"

# Bitnami packaged every application blueprint (WordPress, LAMP, Node.js, Nginx, Django, ...) and took them all
# back. The ids stay accepted, because an account may still list them, but every use is warned about.
BITNAMI_WITHDRAWAL = Withdrawal(
    date="2026-06-10",
    source=(
        "Bitnami's maintainers in bitnami/vms#1906 (2026-06-15): Bitnami AMIs are no longer available through "
        "the AWS Marketplace, AWS Lightsail Blueprints and ECR from 2026-06-10; also bitnami/charts#36537"
    ),
    alternative=(
        "an OS-only blueprint such as ubuntu_24_04 with a launch script that installs the application "
        "(for WordPress, the launch script shipped with the library: launchScript: wordpress, as the dev stack does)"
    ),
)

_OS_IN_USE = (
    "in use with create-instances / aws_lightsail_instance in public code in 2026 (us-east-1, us-east-2, "
    "eu-central-1, eu-west-3, sa-east-1, ...)"
)

INSTANCE_BLUEPRINTS: dict[str, Blueprint] = {
    "wordpress": Blueprint("WordPress (Bitnami)", _CLI_GET_BLUEPRINTS, withdrawn=BITNAMI_WITHDRAWAL),
    "lamp_8_bitnami": Blueprint("LAMP with PHP 8 (Bitnami)", _CLI_GET_BLUEPRINTS, withdrawn=BITNAMI_WITHDRAWAL),
    "nodejs": Blueprint("Node.js (Bitnami)", _CLI_GET_BLUEPRINTS, withdrawn=BITNAMI_WITHDRAWAL),
    "nginx": Blueprint("Nginx (Bitnami)", _IN_USE, withdrawn=BITNAMI_WITHDRAWAL),
    "amazon_linux_2023": Blueprint("Amazon Linux 2023, OS only", _IN_USE),
    "ubuntu_24_04": Blueprint("Ubuntu 24.04 LTS, OS only", _OS_IN_USE),
    "ubuntu_22_04": Blueprint("Ubuntu 22.04 LTS, OS only", _IN_USE),
    "debian_12": Blueprint("Debian 12, OS only", _IN_USE),
}

_DB_IN_USE = "in use with create-relational-database / aws_lightsail_database in public code"

# MySQL 8.0's community support ended in April 2026 (Oracle's lifetime support policy for MySQL 8.0: April 2026;
# MySQL 8.4 is the LTS release that follows it, supported to April 2032). Lightsail offers MySQL 8.4 as
# `mysql_8_4`: a public project's recorded output of `aws lightsail get-relational-database-blueprints` (us-east-2,
# 2026) lists it as the MySQL engine default (engineVersion 8.4.11, isEngineDefault true), and a database created
# from the console there reports "MySQL DB (8.4.11)". AWS's own docs and the aws-cli example still show only 5.x and
# 8.0 ids: confirm with the command above in your account before relying on it.
MYSQL_8_0_END_OF_LIFE = EndOfLife(
    date="2026-04-30",
    source="Oracle Lifetime Support Policy: MySQL 8.0 premier support and community bug fixes end April 2026",
    alternative="mysql_8_4 (MySQL 8.4 LTS)",
)

DATABASE_BLUEPRINTS: dict[str, Blueprint] = {
    "mysql_8_4": Blueprint(
        "MySQL 8.4 LTS",
        "aws lightsail get-relational-database-blueprints output recorded in a public project (us-east-2, 2026): "
        "mysql_8_4, engineVersion 8.4.11, isEngineDefault true",
        checked="2026-12-02",
    ),
    "mysql_8_0": Blueprint(
        "MySQL 8.0",
        "pulumi-aws 7.51 lightsail.Database docstring; the aws-cli get-relational-database-blueprints example",
        end_of_life=MYSQL_8_0_END_OF_LIFE,
    ),
    "postgres_15": Blueprint("PostgreSQL 15", _DB_IN_USE),
    "postgres_16": Blueprint("PostgreSQL 16", _DB_IN_USE),
    "postgres_17": Blueprint("PostgreSQL 17", _DB_IN_USE),
}

# Standard plans, and high-availability plans (a standby in a second zone) at twice the price.
DATABASE_BUNDLES: dict[str, Bundle] = {
    "micro_2_0": Bundle(15.0, 1.0, 2, 40, _CLI_DB_BUNDLES),
    "small_2_0": Bundle(30.0, 2.0, 2, 80, _CLI_DB_BUNDLES),
    "medium_2_0": Bundle(60.0, 4.0, 2, 120, _CLI_DB_BUNDLES),
    "large_2_0": Bundle(115.0, 8.0, 2, 240, _CLI_DB_BUNDLES),
    "micro_ha_2_0": Bundle(30.0, 1.0, 2, 40, _CLI_DB_BUNDLES),
    "small_ha_2_0": Bundle(60.0, 2.0, 2, 80, _CLI_DB_BUNDLES),
    "medium_ha_2_0": Bundle(120.0, 4.0, 2, 120, _CLI_DB_BUNDLES),
    "large_ha_2_0": Bundle(230.0, 8.0, 2, 240, _CLI_DB_BUNDLES),
}


def withdrawal_notice(blueprint_id: str) -> str | None:
    """What to tell the user of a withdrawn blueprint; None for a blueprint that is still published."""
    withdrawal = INSTANCE_BLUEPRINTS[blueprint_id].withdrawn
    if withdrawal is None:
        return None
    return (
        f"blueprint '{blueprint_id}' ({INSTANCE_BLUEPRINTS[blueprint_id].description}) was withdrawn on "
        f"{withdrawal.date} ({withdrawal.source}); creating a new instance from it will likely fail. "
        f"Use {withdrawal.alternative}."
    )


def end_of_life_notice(database_blueprint: str) -> str | None:
    """What to tell the user of a database blueprint whose engine version is out of support; None while supported."""
    end = DATABASE_BLUEPRINTS[database_blueprint].end_of_life
    if end is None:
        return None
    return (
        f"blueprint '{database_blueprint}' ({DATABASE_BLUEPRINTS[database_blueprint].description}) reached its "
        f"community end of life on {end.date} ({end.source}): it gets no more security fixes. Use {end.alternative} "
        "for a new database; an existing one moves with `aws lightsail update-relational-database "
        "--relational-database-blueprint-id` (changing the blueprint in the stack file replaces the database)."
    )


def engine_of(database_blueprint: str) -> str:
    """`mysql` or `postgres`: the engine decides the naming rules of the master user and database."""
    return database_blueprint.split("_", maxsplit=1)[0]
