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
    return merge_layers((user, "user"), (xbrl, "xbrl"), (content, "content"), (filename, "file name"))


def merge_layers(*layers: tuple[MetaLayer | None, str]) -> dict[str, MetaValue]:
    """Merge (layer, default source) pairs given strongest first: the first non-empty value of a field wins.

    The one precedence rule of the project (`merge_metadata` and the loader's
    `document_metadata` both use it); list fields are the union of every layer instead.
    """
    merged: dict[str, MetaValue] = {}
    for raw, default_source in layers:
        for key, mv in _layer(raw, default_source).items():
            if key not in merged:
                merged[key] = mv
            elif key in LIST_FIELDS:
                merged[key] = _union(merged[key], mv)
    return merged


def _union(old: MetaValue, new: MetaValue) -> MetaValue:
    """Two list values as one, case-insensitively without repeats; both sources named when both add."""
    have = tuple(old.value) if isinstance(old.value, tuple) else (old.value,)
    more = tuple(new.value) if isinstance(new.value, tuple) else (new.value,)
    seen = {v.casefold() for v in have}
    extra = tuple(v for v in more if v.casefold() not in seen)
    return MetaValue(have + extra, f"{old.source} + {new.source}") if extra else old


def plain_values(meta: Mapping[str, MetaValue]) -> dict[str, str | list[str]]:
    """The values alone, lists as lists, for Document fields and extra."""
    return {k: (mv.value if isinstance(mv.value, str) else list(mv.value)) for k, mv in meta.items()}


def value_sources(meta: Mapping[str, MetaValue]) -> dict[str, str]:
    """Where each value came from, to keep beside the document (e.g. in Document.extra['meta_sources'])."""
    return {k: mv.source for k, mv in meta.items()}
