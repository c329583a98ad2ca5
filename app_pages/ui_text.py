"""The app's interface strings in English and Japanese."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "ask": ("Ask", "質問"),
    "brief": ("Brief", "ブリーフィング"),
    "library": ("Library", "ライブラリ"),
    "evaluate": ("Evaluate", "評価"),
    "ui_language": ("Interface language", "表示言語"),
    "status": ("Status", "状態"),
    "mode": ("Mode", "モード"),
    "mode_extractive": ("Extractive (quotes from the documents, no model)", "抜粋モード(モデルなし、資料から引用)"),
    "model": ("Model", "モデル"),
    "embedder": ("Embedder", "埋め込みモデル"),
    "documents": ("Documents", "資料数"),
    "chunks": ("Passages", "パッセージ数"),
    "enable_model": ("To use a chat model, set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server "
                     "(Ollama, vLLM, llama.cpp), and restart.",
                     "チャットモデルを使うには OPENAI_API_KEY、またはローカルサーバーの OPENAI_BASE_URL を設定して再起動してください。"),
    "empty_index": ("No documents yet. Add some on the Library page, or run `make run` to ingest the demo corpus.",
                    "資料がまだありません。ライブラリで追加するか、`make run` でデモ資料を取り込んでください。"),
    "no_company": ("A briefing is about one company, and none of the documents names one. Add a `company:` line to a "
                   "Markdown file's front matter, or a .meta.json file beside it, and ingest it again on the Library page.",
                   "ブリーフィングは企業ごとに作成しますが、企業名のある資料がありません。Markdownのフロントマターに "
                   "`company:` 行を加えるか、隣に .meta.json を置いて、ライブラリで取り込み直してください。"),
    "filters": ("Filters", "絞り込み"),
    "company": ("Company", "企業"),
    "period": ("Period", "期間"),
    "doc_type": ("Document type", "資料の種類"),
    "any": ("Any", "すべて"),
    "ask_placeholder": ("Ask about the documents, in English or Japanese", "資料について質問してください(英語・日本語)"),
    "clear_chat": ("New conversation", "新しい会話"),
    "sources": ("Sources", "出典"),
    "page": ("page", "ページ"),
    "show_page": ("Show the PDF page", "PDFのページを表示"),
    "refusal": ("Not in the documents", "資料に記載なし"),
    "unsupported": ("Figures not found in the cited passages", "引用元で確認できない数値"),
    "all_supported": ("Every figure checked against the sources", "すべての数値を出典で確認済み"),
    "confidence": ("confidence", "確信度"),
    "generate": ("Generate briefing", "ブリーフィングを作成"),
    "choose_docs": ("Documents (optional)", "資料(任意)"),
    "download_md": ("Download Markdown", "Markdownをダウンロード"),
    "download_docx": ("Download DOCX", "DOCXをダウンロード"),
    "key_figures": ("Key figures", "主要な数値"),
    "upload": ("Upload PDF, HTML, TXT or Markdown files", "PDF・HTML・TXT・Markdownファイルをアップロード"),
    "ingest": ("Ingest", "取り込む"),
    "reindex": ("Re-index everything", "すべて再インデックス"),
    "delete": ("Delete", "削除"),
    "delete_which": ("Delete a document", "資料を削除"),
    "deleted": ("Deleted", "削除しました"),
    "skipped": ("Skipped", "スキップ"),
    "failed": ("Failed", "失敗"),
    "question_set": ("Question set", "質問セット"),
    "limit": ("Questions to run", "実行する質問数"),
    "run_eval": ("Run evaluation", "評価を実行"),
    "failures": ("Failures, question by question", "失敗した質問"),
    "empty_question": ("Type a question first.", "質問を入力してください。"),
}


def t(key: str, lang: str = "en") -> str:
    """The interface string for key in 'en' or 'ja' (English when unknown)."""
    en, ja = STRINGS.get(key, (key, key))
    return ja if lang == "ja" else en
