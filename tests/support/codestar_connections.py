"""An in-memory stand-in for AWS CodeStar Connections, which moto does not implement (and AWS itself cannot be
reached from tests).

It behaves as AWS documents for the calls the account bootstrap makes: ``CreateConnection`` creates a
connection in status ``PENDING`` (AWS creates every connection so, until a person completes the handshake with
the provider), ``GetConnection`` returns it, ``ListConnections`` pages (two per page here, so callers must
follow ``NextToken``). Every request is validated against botocore's model of the real service, so a
misspelled operation or parameter fails here as it would against AWS.
"""

from __future__ import annotations

import uuid

import botocore.session
from botocore.validate import validate_parameters

SERVICE = "codestar-connections"
PAGE_SIZE = 2


class ConnectionsStandIn:
    """The connections of one account and region."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self.connections: list[dict] = []
        self._model = botocore.session.get_session().get_service_model(SERVICE)

    def _validate(self, operation: str, params: dict) -> None:
        validate_parameters(params, self._model.operation_model(operation).input_shape)

    def create_connection(self, **params) -> dict:
        self._validate("CreateConnection", params)
        arn = f"arn:aws:{SERVICE}:{self.region}:{self.account_id}:connection/{uuid.uuid4()}"
        self.connections.append(
            {
                "ConnectionName": params["ConnectionName"],
                "ConnectionArn": arn,
                "ProviderType": params["ProviderType"],
                "OwnerAccountId": self.account_id,
                "ConnectionStatus": "PENDING",
            }
        )
        return {"ConnectionArn": arn, "Tags": params.get("Tags", [])}

    def get_connection(self, **params) -> dict:
        self._validate("GetConnection", params)
        (found,) = [c for c in self.connections if c["ConnectionArn"] == params["ConnectionArn"]]
        return {"Connection": dict(found)}

    def list_connections(self, **params) -> dict:
        self._validate("ListConnections", params)
        matching = [
            c for c in self.connections if c["ProviderType"] == params.get("ProviderTypeFilter", c["ProviderType"])
        ]
        start = int(params.get("NextToken", "0"))
        page = {"Connections": [dict(c) for c in matching[start : start + PAGE_SIZE]]}
        if start + PAGE_SIZE < len(matching):
            page["NextToken"] = str(start + PAGE_SIZE)
        return page


class SessionWithConnections:
    """A boto3 session whose CodeStar Connections client is the stand-in; every other client is the session's
    own (moto's)."""

    def __init__(self, session, connections: ConnectionsStandIn) -> None:
        self.session = session
        self.connections = connections

    def client(self, service: str, **kwargs):
        return self.connections if service == SERVICE else self.session.client(service, **kwargs)
