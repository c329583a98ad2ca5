"""Document metadata and where it comes from: the file name, the file itself, front matter, sidecars.

When two sources give the same key, the more deliberate one wins (see `document_metadata`):
what the user wrote (a sidecar NAME.meta.json, Markdown front matter) beats inline XBRL tags,
which beat what the file says about itself (PDF info, HTML meta tags), which beats what its
text shows (rag.ingestion.content_meta), which beats what the file name implies
(AMCOR_2023Q2_10Q). Every value keeps its source (rag.ingestion.meta_value.MetaValue).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rag.errors import CorruptFileError
from rag.ingestion.clean import clean_text
from rag.ingestion.files import SIDECAR_SUFFIX, display_name
from rag.ingestion.meta_value import MetaLayer, MetaValue, merge_layers

META_KEYS = ("title", "date", "url", "company", "period", "doc_type", "lang")

_NAME_RE = re.compile(
    r"^(?P<company>.+?)(?:_(?P<period>(?:19|20)\d\d(?:Q[1-4])?))?"
    r"_(?P<type>10K|10Q|8K|20F|40F|6K|S1|DEF14A|EARNINGS|ANNUALREPORT)"
    r"(?:[_-]dated[_-](?P<date>\d{4}-\d\d-\d\d))?$",
    re.IGNORECASE,
)
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_KEY_ALIASES = {"source_url": "url", "link": "url", "canonical_url": "url", "language": "lang"}
_SUFFIX_COMMA = re.compile(r",\s*(?=(?:inc|incorporated|corp|corporation|co|company|ltd|limited|llc|plc|l\.?p|"
                           r"n\.?v|s\.?a|ag|se)\b\.?)", re.IGNORECASE)
_FORM_RE = re.compile(r"(\d{1,2})-?([a-z]{1,2})(?:/a)?")
_JA_NAMES = ("ja", "jp", "ja-jp", "japanese", "日本語")


def parse_doc_name(stem: str) -> dict[str, str]:
    """Company, period, doc type and date from a FinanceBench-style name like AMCOR_2023Q2_10Q."""
    m = _NAME_RE.match(stem.strip())
    if not m:
        return {"company": "", "period": "", "doc_type": "", "date": ""}
    date = m.group("date") or ""
    return {
        "company": m.group("company").replace("_", " ").strip().upper(),
        "period": (m.group("period") or date[:4]).upper(),
        "doc_type": m.group("type").lower(),
        "date": date,
    }


def read_sidecar(path: Path) -> dict[str, str]:
    """Metadata from NAME.pdf.meta.json or NAME.meta.json beside the file, if either exists."""
    for side in (path.with_name(path.name + SIDECAR_SUFFIX), path.with_name(path.stem + SIDECAR_SUFFIX)):
        try:
            if not side.is_file():
                continue
        except OSError:  # e.g. the name plus ".meta.json" is longer than the filesystem allows
            continue
        try:
            raw = json.loads(side.read_bytes()[:1_000_000].decode("utf-8-sig"))
        except (OSError, ValueError) as e:
            raise CorruptFileError(path, f"{display_name(side)} (metadata for {display_name(path)}) is not valid "
                                         f"UTF-8 JSON ({e}); fix it or delete it") from e
        if not isinstance(raw, dict):
            raise CorruptFileError(path, f"{display_name(side)} must hold a JSON object like "
                                         '{"title": "...", "date": "..."}; fix it or delete it')
        return clean_meta(raw)
    return {}


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split `---`-fenced `key: value` front matter off the top of a text; ({}, text) when there is none."""
    m = _FRONT_MATTER_RE.match(text[:20_000])
    if not m:
        return {}, text
    raw: dict[str, str] = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z_][\w-]*", key.strip()):
            raw.setdefault(key.strip().lower(), value.strip().strip("'\""))
        elif line.strip() and not line.startswith((" ", "\t", "-", "#")):
            return {}, text  # not key: value lines, so a horizontal rule, not front matter
    if not raw:
        return {}, text
    return clean_meta(raw), text[m.end():]


def _meta_value(key: str, value: str) -> str:
    """The value kept for a key: '' drops it (non-http URLs); lang becomes 'ja' or 'en'; doc_type lower case."""
    if key == "url" and not re.match(r"https?://\S+$", value, re.IGNORECASE):
        return ""
    if key == "lang":
        return "ja" if value.lower() in _JA_NAMES else "en"
    return normal_doc_type(value) if key == "doc_type" else value


def normal_doc_type(value: str) -> str:
    """A document type as the filters spell it: '10-K' and '10-K/A' -> '10k', 'Press summary' -> 'press-summary'."""
    value = "-".join(value.lower().split())
    form = _FORM_RE.fullmatch(value)
    return form.group(1) + form.group(2) if form else value


def clean_meta(raw: Mapping[str, Any]) -> dict[str, str]:
    """Scalar metadata as short strings; source_url means url; only http(s) URLs are kept."""
    out: dict[str, str] = {}
    for key, value in raw.items():
        if value is None or isinstance(value, (dict, list)):
            continue
        name = str(key).strip().lower().replace("-", "_")
        text = clean_text(str(value)).replace("\n", " ")[:500]
        name = _KEY_ALIASES.get(name, name)
        if name == "source":  # a web address is where the document came from; a local path says nothing
            if not text.startswith(("http://", "https://")):
                continue
            name = "url"
        text = _meta_value(name, text)
        if text and name not in out:
            out[name] = text
    return out


def one_company(name: str) -> str:
    """A company name without the comma before its legal suffix: 'NIKE, Inc.' -> 'NIKE Inc.'.

    The company field separates the companies a document is about with commas ('CleanSpark,
    MARA Holdings'), so a registrant's ', Inc.' must not read as a second company.
    """
    return _SUFFIX_COMMA.sub(" ", name).strip()


def document_metadata(path: Path, *, user: MetaLayer | None = None, xbrl: MetaLayer | None = None,
                      from_file: MetaLayer | None = None, file_source: str = "file info",
                      content: MetaLayer | None = None) -> dict[str, MetaValue]:
    """A document's metadata, each value with where it came from, by precedence (strongest first):

    1. the sidecar NAME.meta.json (or NAME.pdf.meta.json) — source 'sidecar';
    2. front matter, or anything else the user wrote in the file (`user`) — 'front matter';
    3. inline XBRL dei: tags of an HTML filing (`xbrl`);
    4. what the file says about itself (`from_file`: PDF info, HTML meta tags) — `file_source`;
    5. what its text shows (`content`: a cover page, a release's headline, an article's byline);
    6. the file name (`parse_doc_name`) — 'file name'.

    A correction made with `shiftbrief tag` goes on top of all of these (rag.ingestion.overrides).
    """
    from_name = {k: v for k, v in parse_doc_name(path.stem).items() if v}
    return merge_layers((read_sidecar(path), "sidecar"), (user, "front matter"), (xbrl, "xbrl"),
                        (from_file, file_source), (content, "content"), (from_name, "file name"))
