"""Read the values of the SDK's ``Literal`` types (inside ``Union``/``Optional``/``Annotated``).

Examples
--------
>>> from typing import Literal, Union
>>> literal_values(Union[str, Literal["a", "b"], None])
('a', 'b')
"""

from __future__ import annotations

import typing
from typing import Any

__all__ = ["literal_values"]


def literal_values(annotation: Any) -> tuple[Any, ...]:
    """Every ``Literal`` value found in ``annotation``, in order, without repeats."""
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(dict.fromkeys(typing.get_args(annotation)))
    out: dict[Any, None] = {}
    for arg in typing.get_args(annotation):
        out.update(dict.fromkeys(literal_values(arg)))
    return tuple(out)
