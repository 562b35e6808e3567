"""Amazon ECR: registry credentials from ``ecr:GetAuthorizationToken``.

ECR speaks the Registry HTTP API v2 with HTTP Basic auth: user ``AWS`` and a 12-hour password, which
``GetAuthorizationToken`` returns base64-encoded as ``AWS:<password>``. The AWS credentials are boto3's usual
chain (environment, profile, instance role); the endpoint honours ``AWS_ENDPOINT_URL`` /
``AWS_ENDPOINT_URL_ECR`` (boto3 reads them itself) or an explicit ``endpoint_url`` — the tests point it at
``moto_server`` on loopback, never at AWS.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from validation.container.registry.client import Credentials
from validation.container.registry.errors import RegistryError

# <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]  (also the dual-stack *.on.aws names)
_ECR = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)"
                  r"\.(?:amazonaws\.com(?:\.cn)?|on\.aws)$")


@dataclass(frozen=True)
class EcrRegistry:
    account: str
    region: str


def parse_ecr_host(host: str) -> EcrRegistry | None:
    """The account and region of an ECR registry host name (without port), or None for other registries."""
    m = _ECR.match(host.lower().rstrip("."))
    return EcrRegistry(m.group("account"), m.group("region")) if m else None


def decode_token(token: str) -> Credentials:
    try:
        raw = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise RegistryError("registry.E009", "ECR returned an authorization token that is not base64 "
                            "'user:password'.") from None
    user, sep, password = raw.partition(":")
    if not sep or not user or not password:
        raise RegistryError("registry.E009", "ECR returned an authorization token without 'user:password'.")
    return Credentials(user, password)


def ecr_credentials(host: str, *, endpoint_url: str | None = None, session=None,
                    connect_timeout: float = 10.0, read_timeout: float = 30.0) -> Credentials:
    """Registry credentials for ``host`` (an ECR name) from ``ecr.get_authorization_token``."""
    reg = parse_ecr_host(host)
    if reg is None:
        raise RegistryError("registry.E009", f"{host} is not an Amazon ECR registry name.")
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 is a dependency of the project
        raise RegistryError("registry.E009", "boto3 is not installed; ECR credentials cannot be fetched.") from None
    config = Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                    retries={"max_attempts": 2, "mode": "standard"})
    try:
        client = (session or boto3.session.Session()).client("ecr", region_name=reg.region,
                                                             endpoint_url=endpoint_url or None, config=config)
        answer = client.get_authorization_token(registryIds=[reg.account])
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise RegistryError("registry.E009", f"ECR refused GetAuthorizationToken for account {reg.account} in "
                            f"{reg.region}: {err.get('Code', 'error')}: {str(err.get('Message', ''))[:200]}.",
                            account=reg.account, region=reg.region) from None
    except BotoCoreError as exc:  # no credentials, endpoint unreachable, timeouts …
        raise RegistryError("registry.E009", f"ECR credentials for account {reg.account} in {reg.region} could "
                            f"not be fetched: {exc}.", account=reg.account, region=reg.region) from None
    data = answer.get("authorizationData") or []
    if not data or not data[0].get("authorizationToken"):
        raise RegistryError("registry.E009", "ECR answered GetAuthorizationToken without a token.")
    return decode_token(data[0]["authorizationToken"])
