"""A metadata value with where it came from, and the precedence that merges the sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Fields whose values add up across sources instead of the first source winning.
LIST_FIELDS = frozenset({"aliases", "tickers", "companies"})


@dataclass(frozen=True)
class MetaValue:
    """One metadata value and its source ('xbrl:dei:EntityRegistrantName', 'cover page p.1', 'headline', ...)."""

    value: str | tuple[str, ...]
    source: str

    def text(self) -> str:
        """The value as one string (list values joined with '; ')."""
        return self.value if isinstance(self.value, str) else "; ".join(self.value)


MetaLayer = Mapping[str, "MetaValue | str | list[str] | tuple[str, ...]"]


def _layer(raw: MetaLayer | None, default_source: str) -> dict[str, MetaValue]:
    out: dict[str, MetaValue] = {}
    for key, value in (raw or {}).items():
        if isinstance(value, MetaValue):
            mv = value
        elif isinstance(value, (list, tuple)):
            mv = MetaValue(tuple(str(v) for v in value if str(v).strip()), default_source)
        else:
            mv = MetaValue(str(value or "").strip(), default_source)
        if mv.value:
            out[key] = mv
    return out


def merge_metadata(user: MetaLayer | None = None, xbrl: MetaLayer | None = None,
                   content: MetaLayer | None = None, filename: MetaLayer | None = None) -> dict[str, MetaValue]:
    """Merge metadata sources field by field: what the user wrote > XBRL tags > the content > the file name.

    Plain strings are accepted and recorded with the layer's name as their source ('user',
    'xbrl', 'content', 'file name'); list fields (aliases, tickers, companies) are the union of
    every layer, in precedence order.

    Example:
        >>> merge_metadata(user={"company": "Nike"}, filename={"company": "NKE", "period": "2019"})["period"]
        MetaValue(value='2019', source='file name')
    """
    merged: dict[str, MetaValue] = {}
    layers = [_layer(user, "user"), _layer(xbrl, "xbrl"), _layer(content, "content"), _layer(filename, "file name")]
    for layer in layers:
        for key, mv in layer.items():
            if key not in merged:
                merged[key] = mv
            elif key in LIST_FIELDS:
                old = merged[key]
                have = tuple(old.value) if isinstance(old.value, tuple) else (old.value,)
                new = tuple(mv.value) if isinstance(mv.value, tuple) else (mv.value,)
                seen = {v.casefold() for v in have}
                extra = tuple(v for v in new if v.casefold() not in seen)
                if extra:
                    merged[key] = MetaValue(have + extra, f"{old.source} + {mv.source}")
    return merged


def plain_values(meta: Mapping[str, MetaValue]) -> dict[str, str | list[str]]:
    """The values alone, lists as lists, for Document fields and extra."""
    return {k: (mv.value if isinstance(mv.value, str) else list(mv.value)) for k, mv in meta.items()}


def value_sources(meta: Mapping[str, MetaValue]) -> dict[str, str]:
    """Where each value came from, to keep beside the document (e.g. in Document.extra['meta_sources'])."""
    return {k: mv.source for k, mv in meta.items()}
