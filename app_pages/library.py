"""Library: upload files, see what is indexed, delete, re-index."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import get_stores, lang
from app_pages.ui_text import t
from rag.errors import ShiftbriefError
from rag.ingestion.files import SUPPORTED_SUFFIXES
from rag.ingestion.pipeline import delete_document, ingest, list_documents
from rag.ingestion.uploads import MAX_FILES_PER_UPLOAD, save_uploads
from rag.text.safe import escape_markdown

L = lang()
stores = get_stores()
st.title(t("library", L))


def run_ingest(paths: list[Path], prune: bool = False) -> None:
    bar = st.progress(0.0, text=t("ingest", L))

    def on_progress(done: int, total: int, name: str) -> None:
        bar.progress(done / total if total else 1.0, text=f"{done}/{total} {name}")

    try:
        report = ingest(paths, stores, prune=prune, on_progress=on_progress)
    except ShiftbriefError as exc:
        st.error(str(exc))
        return
    st.success(f"{report.ingested} ingested · {report.unchanged} unchanged · {report.chunks} passages · "
               f"{len(report.skipped)} {t('skipped', L).lower()} · {len(report.failed)} {t('failed', L).lower()}")
    for path, why in report.skipped + report.failed:
        st.warning(f"{escape_markdown(Path(path).name)}: {escape_markdown(why)}")


with st.form("upload", clear_on_submit=True):
    files = st.file_uploader(t("upload", L), type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES],
                             accept_multiple_files=True, key="uploads")
    submitted = st.form_submit_button(t("ingest", L))
if submitted and files:
    if len(files) > MAX_FILES_PER_UPLOAD:
        st.warning(f"Only the first {MAX_FILES_PER_UPLOAD} files are taken; upload the rest separately.")
    result = save_uploads([(f.name, f.getvalue()) for f in files], stores.settings)
    for name, why in result.rejected:
        st.warning(f"{escape_markdown(name)}: {escape_markdown(why)}")
    if result.saved:
        run_ingest(result.saved)

docs = list_documents(stores)
if not docs:
    st.info(t("empty_index", L))
    st.stop()
st.dataframe(
    [{"document": d["doc_name"], "company": d.get("company", ""), "period": d.get("period", ""),
      "type": d.get("doc_type", ""), "lang": d.get("lang", ""), "pages": d["n_pages"], "passages": d["n_chunks"],
      "title": d.get("title", "")} for d in docs],
    hide_index=True, use_container_width=True,
)
col1, col2 = st.columns(2)
with col1:
    victim = st.selectbox(t("delete_which", L), [d["doc_name"] for d in docs], key="delete_choice")
    if st.button(t("delete", L), key="delete_button"):
        try:
            n = delete_document(victim, stores)
            st.success(f"{t('deleted', L)}: {escape_markdown(victim)} ({n})")
            st.rerun()
        except ShiftbriefError as exc:
            st.error(str(exc))
with col2:
    if st.button(t("reindex", L), key="reindex_button"):
        sources = sorted({Path(d["source"]) for d in docs})
        run_ingest([p for p in sources if p.exists()], prune=True)
