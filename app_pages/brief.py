"""Brief: a one-page briefing on a company, English and Japanese side by side, downloadable."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from app_pages.common import get_chat, get_stores, lang, plain
from app_pages.ui_text import t
from rag.briefing.briefing import write_briefing
from rag.errors import ShiftbriefError
from rag.ingestion.pipeline import list_documents
from rag.text.safe import escape_markdown, no_autolinks

_HALF = '[data-testid="stHorizontalBlock"]:has([class*="st-key-brief-half"])'
_LAYOUT = f"""<style>
{_HALF} {{ flex-wrap: wrap; gap: 1.5rem; }}
{_HALF} > div {{ flex: 1 1 0; min-width: 0; }}
@media (max-width: 1279px) {{ {_HALF} > div {{ flex: 1 1 100%; min-width: 100%; }} }}
.stMarkdown table {{ table-layout: fixed; width: 100%; }}
.stMarkdown td, .stMarkdown th {{ overflow-wrap: anywhere; word-break: break-word; }}
</style>"""

L = lang()
stores = get_stores()
st.title(t("brief", L))
docs = list_documents(stores)
if not docs:
    st.info(t("empty_index", L))
    st.stop()
counts: dict[str, int] = {}
for d in docs:
    if d.get("company"):
        counts[str(d["company"])] = counts.get(str(d["company"]), 0) + 1
companies = sorted(counts)
if not companies:
    st.info(t("no_company", L))
    st.stop()
# Start on the company the library holds most documents about.
company = st.selectbox(t("company", L), companies, index=companies.index(max(counts, key=counts.get)),
                       key="brief_company")
periods = sorted({str(d.get("period") or "") for d in docs if d.get("company") == company} - {""})
period = st.selectbox(t("period", L), [t("any", L), *periods], key="brief_period")
chosen = st.multiselect(t("choose_docs", L), [d["doc_name"] for d in docs if d.get("company") == company],
                        key="brief_docs")
if st.button(t("generate", L), key="brief_generate", type="primary"):
    bar = st.progress(0.0)
    try:
        briefing = write_briefing(stores, company=company, period=None if period == t("any", L) else period,
                                  docs=chosen or None, chat=get_chat(),
                                  on_progress=lambda d, n, what: bar.progress(d / max(n, 1), text=plain(what)))
    except ShiftbriefError as exc:
        st.error(plain(exc))
        st.stop()
    st.session_state.briefing = briefing
briefing = st.session_state.get("briefing")
if briefing is not None:
    check = briefing.figure_check or {}
    unsupported = check.get("unsupported", [])
    if unsupported:
        st.warning(f"{t('unsupported', L)}: " + ", ".join(escape_markdown(f["raw"]) for f in unsupported))
    else:
        st.caption(f"✅ {t('all_supported', L)}")
    # Side by side from 1,280 px, stacked below; long words and table cells wrap instead of overflowing.
    # A constant style sheet (st.html): no document text is ever rendered as HTML.
    st.html(_LAYOUT)
    halves = [lang for lang in ("en", "ja") if lang in briefing.languages]
    for column, lang in zip(st.columns(len(halves)), halves):
        with column, st.container(key=f"brief-half-{lang}"):
            # Escaped by the renderer ("$" too: Streamlit renders $…$ as maths); a bare URL in a quote would
            # still become a link without no_autolinks.
            st.markdown(no_autolinks(briefing.to_markdown(lang, app=True)))
    md = briefing.to_markdown_bilingual()
    st.download_button(t("download_md", L), md.encode("utf-8"), file_name=f"briefing-{company}.md",
                       mime="text/markdown", key="dl_md")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "briefing.docx"
        briefing.to_docx(path)
        st.download_button(t("download_docx", L), path.read_bytes(), file_name=f"briefing-{company}.docx",
                           mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           key="dl_docx")
