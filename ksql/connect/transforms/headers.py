"""Header transforms: InsertHeader adds a header with a literal value (UTF-8 bytes);
DropHeaders removes every header with one of the given names."""

from __future__ import annotations

from collections.abc import Mapping

from ksql.connect import api
from ksql.connect.api import ConnectRecord
from ksql.connect.config import LIST, REQUIRED, ConfigDef, ConfigKey
from ksql.connect.transforms.base import non_empty

INSERT_CONFIG = ConfigDef([
    ConfigKey("header", default=REQUIRED, doc="The name of the header."),
    ConfigKey("value.literal", default=REQUIRED, doc="The literal value of the header."),
])  # fmt: skip

DROP_CONFIG = ConfigDef([
    ConfigKey("headers", LIST, REQUIRED, "The names of the headers to remove.", valid=non_empty),
])  # fmt: skip


class InsertHeader(api.Transformation):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        settings = INSERT_CONFIG.parse(config)
        self.header: str = settings["header"]
        self.value: bytes = settings["value.literal"].encode()

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return record.replace(headers=[*record.headers, (self.header, self.value)])


class DropHeaders(api.Transformation):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        self.names = set(DROP_CONFIG.parse(config)["headers"])

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return record.replace(headers=[h for h in record.headers if h[0] not in self.names])
