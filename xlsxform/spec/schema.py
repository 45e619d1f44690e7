"""What a spec file may hold beyond its types, and its validation.

The spec classes (:mod:`xlsxform.spec.layout`) are plain frozen dataclasses,
so that building a built-in spec, as every command does, imports no
validation library.  A spec file that is not a built-in one's text is
validated by pydantic against those same classes: :class:`Is` marks the
limits of a field (``Annotated[int, Is(ge=1)]``) and is turned into
pydantic's own constraint only then, with pydantic imported on that first
validation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeVar

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, TypeAdapter
    from pydantic_core import CoreSchema

T = TypeVar("T")

CONFIG = {"extra": "forbid"}
"""pydantic's configuration of every spec class: an unknown key is a fault."""


class Is:
    """A field's limits, as pydantic's ``Field`` takes them (ge, le,
    min_length, max_length, pattern, discriminator)."""

    def __init__(self, **limits: Any) -> None:
        self.limits = limits

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic import Field

        return handler.generate_schema(Annotated[source, Field(**self.limits)])


def validate(cls: type[T], data: object) -> T:
    """``data`` (a spec file's table) as ``cls``; raises pydantic's ValidationError."""
    from pydantic import TypeAdapter

    from xlsxform._plugins import no_plugins

    adapter: TypeAdapter[T] | None = _ADAPTERS.get(cls)
    if adapter is None:
        with no_plugins():
            adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter.validate_python(data)


_ADAPTERS: dict[type, Any] = {}
"""Each class's validator, built on its first validation."""
