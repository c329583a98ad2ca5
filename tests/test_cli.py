"""The command line, run as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import write_corpus


def cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_ingest_search_docs_delete(tmp_path):
    write_corpus(tmp_path / "c", 3)
    r = cli("ingest", str(tmp_path / "c"))
    assert r.returncode == 0, r.stderr
    assert "ingested 3" in r.stdout and "failed 0" in r.stdout
    r = cli("search", "bitcoin net proceeds", "--k", "3", "--json")
    hits = json.loads(r.stdout)
    assert len(hits) == 3
    assert {"doc_name", "page", "chunk_id", "score", "text", "metadata"} <= set(hits[0])
    assert hits[0]["score"] >= hits[-1]["score"]
    r = cli("search", "bitcoin", "--company", "Company 1", "--json")
    assert {h["metadata"]["company"] for h in json.loads(r.stdout)} == {"Company 1"}
    docs = json.loads(cli("docs", "--json").stdout)
    assert [d["doc_name"] for d in docs] == ["note_000", "note_001", "note_002"]
    assert all(d["n_chunks"] > 0 for d in docs)
    r = cli("delete", "note_001")
    assert r.returncode == 0 and "Deleted note_001" in r.stdout
    r = cli("delete", "nope")
    assert r.returncode == 1 and "No document named 'nope'" in r.stderr and "Traceback" not in r.stderr


def test_ingest_exits_nonzero_only_when_nothing_lands(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    r = cli("ingest", str(tmp_path / "empty.txt"))
    assert r.returncode == 1
    assert "empty.txt" in r.stdout and "Traceback" not in r.stderr
    r = cli("ingest", str(tmp_path / "missing-folder"))
    assert r.returncode == 1 and "missing-folder" in r.stdout


def test_empty_question_and_unreachable_chroma_server_give_clear_errors(tmp_path):
    r = cli("search", "   ")
    assert r.returncode == 1 and "question is empty" in r.stderr
    r = cli("search", "revenue", env={"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": "9"})
    assert r.returncode == 1
    assert "Cannot reach the Chroma server at 127.0.0.1:9" in r.stderr and "Traceback" not in r.stderr


def test_ask_answers_with_citations_and_refuses_off_topic(tmp_path, corpus_dir):
    r = cli("ask", "How much did the company raise by selling bitcoin in December 2025?", "--json")
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert answer["answerable"] and answer["mode"] == "extractive"
    assert "161.6" in answer["answer"]
    assert answer["citations"] and {"n", "doc_name", "page", "chunk_id", "text"} <= set(answer["citations"][0])
    assert set(answer["figures"]) >= {"supported", "unsupported"}
    r = cli("ask", "Who won the 2018 FIFA World Cup?")
    assert r.returncode == 0 and "The documents don't say." in r.stdout
    r = cli("brief", "--company", "Riot", "--out", str(tmp_path / "b.md"))
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "b.md").read_text(encoding="utf-8")
    assert "1,818" in text and "1億6,160万ドル" in text
    r = cli("brief", "--company", "Nobody Inc", "--out", str(tmp_path / "c.md"))
    assert r.returncode == 1 and "Traceback" not in r.stderr


def test_a_bad_setting_names_the_variable_and_its_allowed_values():
    r = cli("docs", env={"SHIFTBRIEF_LLM": "gpt", "SHIFTBRIEF_EMBED_THREADS": "two"})
    assert r.returncode == 1 and "Traceback" not in r.stderr and "pydantic" not in r.stderr
    [line] = r.stderr.strip().splitlines()  # one line, however narrow the terminal
    assert "SHIFTBRIEF_LLM='gpt' must be one of 'auto', 'extractive', 'openai'" in line
    assert "SHIFTBRIEF_EMBED_THREADS='two' must be a whole number" in line


def _eval_set(tmp_path: Path) -> Path:
    write_corpus(tmp_path / "c", 3)
    path = tmp_path / "set.jsonl"
    items = [{"id": "q1", "lang": "en", "question": "How much did Company 0 raise through its at-the-market equity "
              "programme?", "answer": "$11.1 million", "numbers": [11.1], "doc_name": "note_000", "page": 0,
              "kind": "numeric"},
             {"id": "q2", "lang": "en", "question": "Who won the 2018 FIFA World Cup?", "answer": "NOT_IN_CORPUS",
              "doc_name": None, "page": None, "kind": "unanswerable"}]
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def test_eval_judges_with_the_judge_model_never_with_the_answering_model(tmp_path):
    from tests.fakes import ScriptedOpenAIServer, chat_completion

    def reply(request: dict) -> dict:
        tool = request["json"]["tools"][0]["function"]["name"]
        if tool == "JudgeOut":
            return chat_completion(tool_args={"score": 1, "reason": "partly"}, tool_name=tool)
        return chat_completion(tool_args={"answer": "It raised $11.1 million [1].", "citations": [1],
                                          "answerable": True}, tool_name=tool)

    questions = _eval_set(tmp_path)
    args = ["eval", "--questions", str(questions), "--ingest", str(tmp_path / "c"), "--out", str(tmp_path)]
    with ScriptedOpenAIServer([reply]) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "SHIFTBRIEF_LLM_MODEL": "answerer"}
        r = cli(*args, "--name", "plain", env=env)
        assert r.returncode == 0, r.stderr
        plain = json.loads((tmp_path / "plain.json").read_text())
        assert plain["mode"] == "llm" and plain["judge"] is None and plain["answers"]["judge_score"] is None
        assert {q["json"]["model"] for q in server.requests} == {"answerer"}  # nobody graded anything
        server.requests.clear()
        r = cli(*args, "--name", "judged", env={**env, "SHIFTBRIEF_JUDGE_MODEL": "grader"})
    assert r.returncode == 0, r.stderr
    judged = json.loads((tmp_path / "judged.json").read_text())
    assert judged["judge"] == "grader" and judged["answers"]["judge_score"] == 0.5
    graded = [q for q in server.requests if q["json"]["tools"][0]["function"]["name"] == "JudgeOut"]
    assert len(graded) == 1  # the one answerable question
    assert {q["json"]["model"] for q in graded} == {"grader"}
    assert {q["json"]["model"] for q in server.requests if q not in graded} == {"answerer"}
    assert "Judge score (model-judged by grader): 0.500" in r.stdout


def test_cli_prints_the_answers_bold_figures_without_asterisks_and_reads_nothing_as_markup():
    from rag.cli import _answer_text

    shown = _answer_text("Capex was **$1,577 million** [1]; [bold]x[/bold] and 2 ** 3 stay as written.")
    assert shown.plain == "Capex was $1,577 million [1]; [bold]x[/bold] and 2 ** 3 stay as written."
    bold = [shown.plain[s.start:s.end] for s in shown.spans if "bold" in str(s.style)]
    assert bold == ["$1,577 million"]
