"""Checks a JSON answer against an OpenAPI 3.1 document's schemas (the subset we write)."""
from __future__ import annotations

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
         "integer": int, "number": (int, float)}


class Schemas:
    """One OpenAPI document: ``resolve`` follows ``$ref``, ``check`` fits a value to a schema."""

    def __init__(self, doc: dict):
        self.doc = doc

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            node = self.doc
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def check(self, schema: dict, value, where: str = "$") -> None:
        """Raise AssertionError naming the first place ``value`` does not fit ``schema``."""
        schema = self.resolve(schema)
        for part in schema.get("allOf", ()):
            self.check(part, value, where)
        if "enum" in schema:
            assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
        if "const" in schema:
            assert value == schema["const"], f"{where}: {value!r} != {schema['const']!r}"
        if "type" in schema:
            kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            fits = [k for k in kinds if isinstance(value, TYPES[k])
                    and not (k in ("integer", "number") and isinstance(value, bool))]
            assert fits, f"{where}: {value!r} is not {kinds}"
        if isinstance(value, dict):
            for key in schema.get("required", ()):
                assert key in value, f"{where}: missing {key!r}"
            for key, sub in schema.get("properties", {}).items():
                if key in value:
                    self.check(sub, value[key], f"{where}.{key}")
        if isinstance(value, list) and "items" in schema:
            for i, item in enumerate(value):
                self.check(schema["items"], item, f"{where}[{i}]")
