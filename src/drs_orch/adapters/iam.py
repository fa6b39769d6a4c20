"""IAM reads of one account: the instance profiles a recovery instance can be launched with."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.drs import region_error
from drs_orch.adapters.paging import Sleep, Throttled, pages
from drs_orch.domain.accounts import AccountContext


class IamReader:
    def __init__(self, client: Any, ctx: AccountContext, *, sleep: Sleep = time.sleep) -> None:
        self._client = client
        self._ctx = ctx
        self._sleep = sleep

    def instance_profiles(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        try:
            for page in pages(self._client, "list_instance_profiles", token_key="Marker", sleep=self._sleep):
                for p in page.get("InstanceProfiles") or []:
                    out.append(
                        {
                            "instanceProfileName": p.get("InstanceProfileName"),
                            "instanceProfileId": p.get("InstanceProfileId"),
                            "arn": p.get("Arn"),
                            "path": p.get("Path"),
                            "roles": [r.get("RoleName") for r in p.get("Roles") or []],
                            "createDate": p.get("CreateDate"),
                        }
                    )
        except (ClientError, BotoCoreError, Throttled) as exc:
            raise region_error("iam", self._ctx, exc) from exc
        return out
