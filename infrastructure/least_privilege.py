"""Narrow DynamoDB grants (issue 14, item 8): what each function's store code really calls, no more.

CDK's ``grant_read_write_data`` allows UpdateItem, DeleteItem, BatchWriteItem and PartiQL writes; the
functions below grant only the calls the adapters make, and deny the rest explicitly, so a broader
grant added to the same role later cannot quietly undo them.

- **Alerts table** (evaluate, websocket, escalate): every write is a ``Put`` inside
  ``TransactWriteItems`` (floorwatch.store.alerts_dynamodb), the state item conditioned on the version
  read; DynamoDB authorizes each Put as ``dynamodb:PutItem`` (and a ConditionCheck as
  ``ConditionCheckItem``, part of the read grant). Nothing updates or deletes alert items (the TTL does,
  as the service). What remains: IAM cannot require a Put's condition, so a role that may put may
  also overwrite an item; the adapter always writes conditionally.
- **Connections table, fan-out**: it finds subscribers (Query on the by-subscription index) and deletes
  a connection that answered 410 item by item (``DeleteItem``); it cannot add, alter or subscribe a
  connection. IAM cannot narrow DeleteItem to gone connections: a 410 is only known at run time.
- **Deliveries table, fan-out**: the publish markers (floorwatch.delivery.once): Get, Put, Delete.
- **@connections** (websocket, fan-out): both only post to connections (``post_to_connection``), so
  ``execute-api:ManageConnections`` is granted on ``<api>/<stage>/POST/@connections/*``: neither can
  read (GET) or close (DELETE) another connection through the management API.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from floorwatch.names import DELIVERIES_TABLE

from infrastructure.tables import Tables

ALERT_WRITE_ACTIONS = ("dynamodb:PutItem",)
# Never on the alerts table: items change only by conditional Puts of the state machine's next version.
ALERT_FORBIDDEN_ACTIONS = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
)
CONNECTION_CLEANUP_ACTIONS = ("dynamodb:Query", "dynamodb:DeleteItem")
# The fan-out never creates or changes a connection or a subscription.
CONNECTION_FORBIDDEN_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)
PUBLISH_MARKER_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem")


def _deny(grantee: iam.IGrantable, table: dynamodb.Table, actions: tuple[str, ...]) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            actions=list(actions),
            resources=[table.table_arn, f"{table.table_arn}/index/*"],
        )
    )


def grant_alert_writes(tables: Tables, grantee: iam.IGrantable) -> None:
    """Read the alerts table and its indexes; write only by PutItem (conditional, in transactions)."""
    tables.alerts.grant_read_data(grantee)
    tables.alerts.grant(grantee, *ALERT_WRITE_ACTIONS)
    if tables.alerts.encryption_key is not None:  # Table.grant leaves the key to the caller
        tables.alerts.encryption_key.grant_encrypt_decrypt(grantee)
    _deny(grantee, tables.alerts, ALERT_FORBIDDEN_ACTIONS)


def grant_connection_cleanup(tables: Tables, grantee: iam.IGrantable) -> None:
    """Query connections (table and by-subscription index) and delete gone ones item by item."""
    connections = tables.connections
    iam.Grant.add_to_principal(
        grantee=grantee,
        actions=list(CONNECTION_CLEANUP_ACTIONS),
        resource_arns=[connections.table_arn, f"{connections.table_arn}/index/*"],
    )
    if connections.encryption_key is not None:
        connections.encryption_key.grant_decrypt(grantee)
    _deny(grantee, connections, CONNECTION_FORBIDDEN_ACTIONS)


def grant_publish_markers(tables: Tables, grantee: iam.IGrantable) -> None:
    deliveries = tables.by_spec[DELIVERIES_TABLE.logical_name]
    deliveries.grant(grantee, *PUBLISH_MARKER_ACTIONS)
    if deliveries.encryption_key is not None:
        deliveries.encryption_key.grant_encrypt_decrypt(grantee)


def post_to_connections_arn(api: apigwv2.WebSocketApi, stage_name: str) -> str:
    """``<api>/<stage>/POST/@connections/*``: posting to a connection and nothing else."""
    return Stack.of(api).format_arn(
        service="execute-api", resource=api.api_id, resource_name=f"{stage_name}/POST/@connections/*"
    )


def grant_post_to_connections(
    api: apigwv2.WebSocketApi, stage_name: str, grantee: iam.IGrantable
) -> iam.Grant:
    return iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["execute-api:ManageConnections"],
        resource_arns=[post_to_connections_arn(api, stage_name)],
    )
