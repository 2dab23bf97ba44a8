"""Converters of single primitive values: StringConverter (text in `converter.encoding`, UTF-8
by default), ByteArrayConverter (bytes as they are), Kafka's number converters (big-endian
two's complement integers and IEEE-754 floats of a fixed size) and BooleanConverter (one byte,
0 or 1). A null value is null bytes and back."""

from __future__ import annotations

import codecs
import struct
from collections.abc import Mapping
from typing import Any, ClassVar

from ksql.connect import api
from ksql.connect.api import ConfigError, DataError, Schema
from ksql.connect.converters.json_values import as_text


def _name(value: Any) -> str:
    return type(value).__name__


class StringConverter(api.Converter):
    SCHEMA = Schema(api.STRING, optional=True)

    def configure(self, config: Mapping[str, str], is_key: bool, registry: Any = None) -> None:
        super().configure(config, is_key, registry)
        encoding = config.get("converter.encoding", "UTF8")
        try:
            self.encoding = codecs.lookup(encoding).name
        except LookupError:
            raise ConfigError(
                f"Invalid value {encoding} for configuration converter.encoding: "
                "unknown character set"
            ) from None

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, dict | list):
            text = as_text(value)
        else:
            text = str(value)
        try:
            return text.encode(self.encoding)
        except UnicodeEncodeError as error:
            raise DataError(f"Cannot write the string in {self.encoding}: {error}") from None

    def to_connect(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        if data is None:
            return self.SCHEMA, None
        try:
            return self.SCHEMA, bytes(data).decode(self.encoding)
        except UnicodeDecodeError as error:
            raise DataError(f"The bytes are not {self.encoding} text: {error}") from None


class ByteArrayConverter(api.Converter):
    SCHEMA = Schema(api.BYTES, optional=True)

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if schema is not None and schema.type != api.BYTES:
            raise DataError(f"Invalid schema type for ByteArrayConverter: {schema.type.upper()}")
        if value is None:
            return None
        if not isinstance(value, bytes | bytearray | memoryview):
            raise DataError(
                f"ByteArrayConverter is not compatible with objects of type {_name(value)}"
            )
        return bytes(value)

    def to_connect(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        return self.SCHEMA, None if data is None else bytes(data)


class NumberConverter(api.Converter):
    """A fixed-size number: `layout` is its struct format, `type` its Connect type."""

    layout: ClassVar[str]
    type: ClassVar[str]
    java_name: ClassVar[str]

    def configure(self, config: Mapping[str, str], is_key: bool, registry: Any = None) -> None:
        super().configure(config, is_key, registry)
        self.struct = struct.Struct(self.layout)
        self.schema = Schema(self.type, optional=True)

    def _accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        return isinstance(value, int | float) if self.layout[-1] in "fd" else isinstance(value, int)

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None:
            return None
        if not self._accepts(value):
            raise DataError(f"Failed to serialize to {self.java_name} (was {_name(value)})")
        try:
            return self.struct.pack(value)
        except struct.error:
            raise DataError(f"{value} does not fit a {self.java_name}") from None

    def to_connect(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        if data is None:
            return self.schema, None
        if len(data) != self.struct.size:
            raise DataError(
                f"Size of data received by {self.java_name}Deserializer is not {self.struct.size}"
            )
        return self.schema, self.struct.unpack(data)[0]


class ShortConverter(NumberConverter):
    layout, type, java_name = ">h", api.INT16, "Short"


class IntegerConverter(NumberConverter):
    layout, type, java_name = ">i", api.INT32, "Integer"


class LongConverter(NumberConverter):
    layout, type, java_name = ">q", api.INT64, "Long"


class FloatConverter(NumberConverter):
    layout, type, java_name = ">f", api.FLOAT32, "Float"


class DoubleConverter(NumberConverter):
    layout, type, java_name = ">d", api.FLOAT64, "Double"


class BooleanConverter(api.Converter):
    SCHEMA = Schema(api.BOOLEAN, optional=True)

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            raise DataError(
                f"BooleanConverter is not compatible with objects of type {_name(value)}"
            )
        return b"\x01" if value else b"\x00"

    def to_connect(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        if data is None:
            return self.SCHEMA, None
        if bytes(data) not in (b"\x00", b"\x01"):
            raise DataError("A boolean is one byte, 0 or 1")
        return self.SCHEMA, data[0] == 1
