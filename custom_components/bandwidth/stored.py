"""A dataclass's stored form, written and read back by its fields alone.

A class that is stored (a live call, its script, its steps) lists its fields
once: `as_dict` writes each of them, `from_dict` reads each back, converted
to the type the field is annotated with, so a field added to the class is
stored and restored with no other line to write. Fields marked `LIVE_ONLY`
are state of the running Home Assistant, never written.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, asdict, fields, is_dataclass
from typing import (
    Any,
    Final,
    Literal,
    Self,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

# The metadata of a field kept in memory only.
LIVE_ONLY: Final = {"stored": False}
# The metadata of a field with a default that a stored form must still name.
REQUIRED: Final = {"required": True}

type _Convert = Callable[[Any], Any]


class Stored:
    """A dataclass with a stored form: `as_dict`, and `from_dict` to read it back.

    A field with no default (or marked `REQUIRED`) must be in the stored
    form; one with a default may be missing (stored by an older version)
    and takes its default. A value that does not fit its field's type, or a
    key that names no field, makes the whole form unreadable.
    """

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form: every stored field, dataclasses as dicts."""
        return {
            item.name: _plain(getattr(self, item.name))
            for item in _stored_fields(type(self))
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild an object from its stored form.

        Raises:
            AttributeError, KeyError, TypeError, ValueError: not a stored form
                of this class.

        """
        readers = _readers(cls)
        if unknown := data.keys() - readers.keys():
            raise KeyError(min(unknown))
        values: dict[str, Any] = {}
        for name, (convert, required) in readers.items():
            if name in data:
                values[name] = convert(data[name])
            elif required:
                raise KeyError(name)
        return cls(**values)


def _plain(value: Any) -> Any:
    """Return a field's value as stored: dataclasses become dicts."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


# By class, worked out once: the fields stored, and how to read each back.
_FIELDS: dict[type, tuple[Field[Any], ...]] = {}
_READERS: dict[type, dict[str, tuple[_Convert, bool]]] = {}


def _stored_fields(cls: type) -> tuple[Field[Any], ...]:
    """Return the fields of a class that are stored."""
    if (known := _FIELDS.get(cls)) is None:
        known = _FIELDS[cls] = tuple(
            item
            for item in fields(cls)
            if item.init and item.metadata.get("stored", True)
        )
    return known


def _readers(cls: type) -> dict[str, tuple[_Convert, bool]]:
    """Return, by field name, how to read each stored field and if it is required."""
    if (known := _READERS.get(cls)) is None:
        hints = get_type_hints(cls)
        known = _READERS[cls] = {
            item.name: (
                _converter(hints[item.name]),
                item.metadata.get("required", False)
                or (item.default is MISSING and item.default_factory is MISSING),
            )
            for item in _stored_fields(cls)
        }
    return known


def _converter(hint: Any) -> _Convert:  # noqa: PLR0911 - one answer per kind of type
    """Return the function turning a stored value into one of type `hint`."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        inner = _converter(Union[tuple(arg for arg in args if arg is not type(None))])  # noqa: UP007
        return lambda value: None if value is None else inner(value)
    if origin is Literal:
        return lambda value: _literal(value, args)
    if origin is dict:
        key, item = _converter(args[0]), _converter(args[1])
        return lambda value: {key(k): item(v) for k, v in value.items()}
    if origin is tuple:
        item = _converter(args[0])
        return lambda value: tuple(item(each) for each in value)
    if isinstance(hint, type) and issubclass(hint, Stored):
        return hint.from_dict
    if hint in (str, int, float, bool):
        return hint  # type: ignore[no-any-return]
    return lambda value: value


def _literal(value: Any, allowed: tuple[Any, ...]) -> Any:
    """Return `value` if it is one of the allowed ones."""
    if value not in allowed:
        raise ValueError(value)
    return value
