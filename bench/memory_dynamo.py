"""A metered, in-memory stand-in for the few DynamoDB calls the search index makes.

For the search benchmark only: it holds a 100,000-project index in one process
(moto needs ~15 minutes to load one and its Scan is quadratic) and bills every
call the way DynamoDB does, from the real items' sizes (``chalicelib.dal.search_items.item_size``):

* GetItem: 1 RCU per 4 KB (strongly consistent), BatchGetItem: 0.5 RCU per item
  per 4 KB (eventually consistent), Query: the bytes of the items read in the
  call rounded up to 4 KB, 0.5 RCU each (eventually consistent); a Query page
  stops at ``Limit`` items or 1 MB, as DynamoDB's;
* writes: 1 WCU per 1 KB of each item written (the larger of old and new for an
  update), doubled in a transaction.

Items are kept compactly (tuples; ``pk``/``sk`` implied by where they are stored).
It understands the key conditions the search store sends (``pk = :pk`` with an
optional ``sk < :after`` / ``sk > :after``), nothing else.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from typing import Any

from chalicelib.dal.search_items import item_size


def _pack(item: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        (name, kind, tuple(v) if isinstance(v, list) else v)
        for name, value in item.items()
        if name not in ("pk", "sk")
        for kind, v in value.items()
    )


def _unpack(pk: str, sk: str, packed: tuple[Any, ...]) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}}
    for name, kind, v in packed:
        item[name] = {kind: list(v) if isinstance(v, tuple) else v}
    return item


class MemoryDynamo:
    def __init__(self) -> None:
        self.keys: dict[str, list[str]] = defaultdict(list)  # pk -> sorted sks
        self.items: dict[str, dict[str, tuple[Any, ...]]] = defaultdict(dict)
        self.rcu = 0.0
        self.wcu = 0.0
        self.calls = 0

    # -- loading and metering ----------------------------------------------------
    def load(self, items: Any) -> int:
        """Bulk load (unsorted appends, sorted once at the end)."""
        n = 0
        for item in items:
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            if sk not in self.items[pk]:
                self.keys[pk].append(sk)
            self.items[pk][sk] = _pack(item)
            n += 1
        for sks in self.keys.values():
            sks.sort()
        return n

    def reset_meter(self) -> None:
        self.rcu = self.wcu = 0.0
        self.calls = 0

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        pk, sk = key["pk"]["S"], key["sk"]["S"]
        packed = self.items.get(pk, {}).get(sk)
        return _unpack(pk, sk, packed) if packed is not None else None

    def _put(self, item: dict[str, Any], factor: int) -> None:
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        old = self._get(item)
        self.wcu += factor * math.ceil(max(item_size(item), item_size(old) if old else 0) / 1024)
        if old is None:
            bisect.insort(self.keys[pk], sk)
        self.items[pk][sk] = _pack(item)

    def _delete(self, key: dict[str, Any], factor: int) -> None:
        pk, sk = key["pk"]["S"], key["sk"]["S"]
        old = self._get(key)
        self.wcu += factor * max(1, math.ceil(item_size(old) / 1024) if old else 1)
        if old is not None:
            del self.items[pk][sk]
            self.keys[pk].remove(sk)

    # -- the API -------------------------------------------------------------------
    def get_item(self, *, Key: dict[str, Any], ConsistentRead: bool = False, **_: Any) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        item = self._get(Key)
        size = item_size(item) if item else 1
        self.rcu += math.ceil(size / 4096) * (1 if ConsistentRead else 0.5)
        return {"Item": item} if item else {}

    def batch_get_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        ((table, request),) = RequestItems.items()
        found = [item for key in request["Keys"] if (item := self._get(key)) is not None]
        self.rcu += sum(math.ceil(item_size(i) / 4096) * 0.5 for i in found)
        return {"Responses": {table: found}, "UnprocessedKeys": {}}

    def query(
        self,
        *,
        ExpressionAttributeValues: dict[str, Any],  # noqa: N803
        ScanIndexForward: bool = True,  # noqa: N803
        Limit: int | None = None,  # noqa: N803
        ExclusiveStartKey: dict[str, Any] | None = None,  # noqa: N803
        KeyConditionExpression: str = "",  # noqa: N803
        **_: Any,
    ) -> dict[str, Any]:
        self.calls += 1
        pk = ExpressionAttributeValues[":pk"]["S"]
        sks = self.keys.get(pk, [])
        after = ExpressionAttributeValues.get(":after", {}).get("S")
        if ExclusiveStartKey:
            after = ExclusiveStartKey["sk"]["S"]
        elif after is not None and ("sk <" in KeyConditionExpression) == ScanIndexForward:
            after = None  # only ``sk < x`` descending / ``sk > x`` ascending are sent
        if ScanIndexForward:
            start = bisect.bisect_right(sks, after) if after is not None else 0
            order = range(start, len(sks))
        else:
            end = bisect.bisect_left(sks, after) if after is not None else len(sks)
            order = range(end - 1, -1, -1)
        items: list[dict[str, Any]] = []
        size = 0
        for i in order:
            item = _unpack(pk, sks[i], self.items[pk][sks[i]])
            items.append(item)
            size += item_size(item)
            if (Limit and len(items) >= Limit) or size >= 1024 * 1024:
                break
        self.rcu += max(1, math.ceil(size / 4096)) * 0.5
        more = bool(items) and (items[-1]["sk"]["S"] != (sks[-1] if ScanIndexForward else sks[0]))
        result: dict[str, Any] = {"Items": items, "Count": len(items)}
        if more:
            result["LastEvaluatedKey"] = {"pk": {"S": pk}, "sk": items[-1]["sk"]}
        return result

    def transact_write_items(self, *, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        for action in TransactItems:
            if "Put" in action:
                self._put(action["Put"]["Item"], 2)
            elif "Delete" in action:
                self._delete(action["Delete"]["Key"], 2)
            else:
                update = action["Update"]
                old = self._get(update["Key"]) or dict(update["Key"])
                delta = int(update["ExpressionAttributeValues"][":d"]["N"])
                old["n"] = {"N": str(int(old.get("n", {}).get("N", "0")) + delta)}
                self._put(old, 2)
        return {}

    def batch_write_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        ((_, requests),) = RequestItems.items()
        for request in requests:
            if "PutRequest" in request:
                self._put(request["PutRequest"]["Item"], 1)
            else:
                self._delete(request["DeleteRequest"]["Key"], 1)
        return {"UnprocessedItems": {}}
