"""An alert topic encrypted with a key of its own, and its subscribers.

The topic's key is its own because EventBridge, which publishes to it, sends no source account or ARN with its
KMS requests: the key's policy confines it by the topic's encryption context instead (callers give the policy).
"""

from __future__ import annotations

from collections.abc import Iterable

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

PUBLISH_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")


def encrypted_alert_topic(
    scope: Construct,
    *,
    name_prefix: str,
    topic_name: str,
    display_name: str,
    key_policy: str,
    purpose: str,
    subscribers: Iterable[tuple[str, str]],
) -> tuple[KmsKey, SnsTopic]:
    """The key (rotated yearly, alias ``alias/<name_prefix>-alerts``), the topic, and one subscription per
    ``(protocol, endpoint)``."""
    key = KmsKey(
        scope,
        "alert-key",
        description=f"{name_prefix}: alert topic messages",
        enable_key_rotation=True,
        rotation_period_in_days=365,
        deletion_window_in_days=30,
        policy=key_policy,
        tags={"purpose": purpose},
    )
    KmsAlias(scope, "alert-key-alias", name=f"alias/{name_prefix}-alerts", target_key_id=key.key_id)
    topic = SnsTopic(scope, "alert-topic", name=topic_name, display_name=display_name, kms_master_key_id=key.arn)
    for index, (protocol, endpoint) in enumerate(subscribers):
        SnsTopicSubscription(
            scope, f"alert-subscriber-{index}", topic_arn=topic.arn, protocol=protocol, endpoint=endpoint
        )
    return key, topic
