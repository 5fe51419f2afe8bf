"""The ``assistant`` command: ``ingest`` a corpus folder, ``ask`` it questions.

Errors a user can cause (a missing folder, a busy index, bad JSON on stdin, an unreachable
Chroma server) print one line on stderr and exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from assistant.models import AnswerMode
from assistant.settings import bundled

EXIT_OK, EXIT_BELOW_THRESHOLD, EXIT_ERROR, EXIT_SKIPPED = 0, 1, 2, 3
EVALS = bundled("evals")
GOLDEN, THRESHOLDS = EVALS / "golden.jsonl", EVALS / "thresholds.json"


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, default=argparse.SUPPRESS,
                        help="folder of articles (env ASSISTANT_CORPUS; default ./corpus)")
    common.add_argument("--index", type=Path, default=argparse.SUPPRESS,
                        help="index folder (env ASSISTANT_INDEX; default ./index)")
    parser = argparse.ArgumentParser(prog="assistant", parents=[common],
                                     description="Cited answers from a folder of news articles.")
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", parents=[common],
                                 help="index the corpus folder into Chroma")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ask = commands.add_parser("ask", parents=[common], help="answer a question")
    ask.add_argument("question", help='the question, or "-" to read JSON Lines from stdin')
    ask.add_argument("--json", action="store_true", help="print JSON results")
    serve = commands.add_parser("serve", parents=[common], help="open the chat page")
    serve.add_argument("--host", default=argparse.SUPPRESS,
                       help="address to listen on (env ASSISTANT_UI_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=argparse.SUPPRESS,
                       help="port to listen on (env ASSISTANT_UI_PORT; default 7860)")
    evaluate = commands.add_parser("eval", parents=[common],
                                   help="run the answer-quality suite and write its reports")
    evaluate.add_argument("--golden", type=Path, default=GOLDEN,
                          help="golden cases, JSON Lines (default evals/golden.jsonl)")
    evaluate.add_argument("--thresholds", type=Path, default=THRESHOLDS,
                          help="minimum scores (default evals/thresholds.json)")
    evaluate.add_argument("--reports", type=Path, default=Path("reports/eval"),
                          help="folder for eval.json, report.md and chart.png")
    evaluate.add_argument("--compare", type=Path, metavar="OLD.json",
                          help="an earlier eval.json to compare with")
    for command in (ask, serve):
        command.add_argument("--ingest-if-stale", action="store_true",
                             help="ingest first when the corpus changed since the last ingest")
    for command in (ask, serve, evaluate):
        command.add_argument("--mode", choices=[m.value for m in AnswerMode],
                             default=argparse.SUPPRESS,
                             help="extractive: quote the articles; llm: a language model "
                             "writes, every sentence checked against its citation (env "
                             "ASSISTANT_ANSWER_MODE; needs ASSISTANT_LLM_BASE_URL)")
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = _parser().parse_args(argv)
    try:
        from pydantic import ValidationError

        from assistant.settings import Settings

        try:
            overrides = {}
            if "corpus" in args:
                overrides["corpus_dir"] = args.corpus
            if "index" in args:
                overrides["index_dir"] = args.index
            if "host" in args:
                overrides["ui_host"] = args.host
            if "port" in args:
                overrides["ui_port"] = args.port
            if "mode" in args:
                overrides["answer_mode"] = args.mode
            settings = Settings(**overrides)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(map(str, first["loc"]))
            message = first["msg"].removeprefix("Value error, ")
            _fail(f"invalid setting {where}: {message}" if where else f"invalid settings: "
                  f"{message}")
        if args.command == "ingest":
            return _ingest(settings, args.json)
        if args.command == "eval":
            return _eval(settings, args)
        if args.ingest_if_stale:
            _ingest_if_stale(settings)
        if args.command == "serve":
            return _serve(settings)
        return _ask(settings, args)
    except KeyboardInterrupt:
        print("assistant: interrupted", file=sys.stderr)
        return 130
    except _Failure as failure:
        print(f"assistant: {failure}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # noqa: BLE001 - the user gets one line; known kinds below
        from assistant.answer.extractive.kinds import KindModelError
        from assistant.answer.extractive.linear import ModelFileError
        from assistant.answer.written.model import LLMError
        from assistant.ingest.pipeline import IngestBusy
        from assistant.ingest.tagging import PipelineError
        from assistant.quality.golden import GoldenError
        from assistant.store.chroma import StoreError
        from assistant.store.embedding import ModelError
        from assistant.web.engine import EngineError

        if isinstance(error, ModelError | IngestBusy | StoreError | FileNotFoundError |
                      GoldenError | EngineError | LLMError | PipelineError | ModelFileError |
                      KindModelError):
            print(f"assistant: {error}", file=sys.stderr)
            return EXIT_ERROR
        raise


class _Failure(Exception):
    pass


def _fail(message: str):
    raise _Failure(message)


def _ingest(settings, as_json: bool) -> int:
    from assistant.app import run_ingest

    report = run_ingest(settings, progress=sys.stderr.isatty())
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(report.summary())
    return EXIT_SKIPPED if report.skipped else EXIT_OK


def _ingest_if_stale(settings) -> None:
    from assistant.app import index_is_stale, run_ingest

    if index_is_stale(settings):
        report = run_ingest(settings)
        print(f"ingested: {report.summary()}", file=sys.stderr)


def _serve(settings) -> int:
    """Open the chat page. The engine loads in its own process while the page starts, and
    questions asked before it is ready wait for it."""
    import logging

    from assistant.prompts import Prompts
    from assistant.web.engine import EngineProcess

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    engine = EngineProcess(settings)
    try:
        from assistant.web import page as web

        examples = Prompts(settings.prompts_dir).render("examples").splitlines()
        page = web.build_page(engine, [q.strip() for q in examples if q.strip()])
        try:
            web.launch(page, settings)
        except OSError:
            _fail(f"cannot serve the page on {settings.ui_host}:{settings.ui_port}: the port is "
                  "in use or not allowed; choose another with --port or ASSISTANT_UI_PORT")
        print(f"assistant: chat page on http://{settings.ui_host}:{settings.ui_port}",
              file=sys.stderr, flush=True)
        try:
            engine.wait_ready()
            page.block_thread()
        finally:
            page.close()
    finally:
        engine.close()
    return EXIT_OK


def _eval(settings, args) -> int:
    """Run the golden cases, write the reports, and fail when a score is below threshold."""
    from assistant.app import Assistant
    from assistant.ingest.pipeline import read_corpus
    from assistant.quality import evaluation, golden
    from assistant.quality.report import report_payload, summary_table, write_reports

    cases = golden.load_golden(args.golden)
    thresholds = golden.load_thresholds(args.thresholds)
    old = _read_json(args.compare) if args.compare else None
    _ingest_if_stale(settings)  # always score the corpus as it is now
    assistant = Assistant.open(settings=settings)
    articles, _ = read_corpus(settings)
    results = evaluation.evaluate(assistant.ask, cases, articles, assistant.chunk)
    payload = report_payload(results, thresholds, golden=str(args.golden),
                             corpus=str(settings.corpus_dir),
                             settings=settings.model_dump(mode="json", include={
                                 "top_k", "min_support", "max_answer_sentences", "chunk_size",
                                 "chunk_overlap", "answer_mode", "llm_model",
                                 "verify_min_overlap", "verify_min_similarity"}))
    metrics = payload["metrics"]
    paths = write_reports(args.reports, payload)
    print(summary_table(payload))
    print(f"\n{metrics['passed']} of {metrics['cases']} cases passed every check; reports: "
          f"{', '.join(str(p) for p in paths.values())}")
    if old is not None:
        print(f"\nCompared with {args.compare}:")
        print("\n".join(evaluation.compare(old, payload)))
    for failure in payload["threshold_failures"]:
        print(f"assistant: quality below threshold: {failure}", file=sys.stderr)
    return EXIT_BELOW_THRESHOLD if payload["threshold_failures"] else EXIT_OK


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        _fail(f"cannot read {path}: {error}")
    if not isinstance(data, dict) or "metrics" not in data:
        _fail(f"{path} is not an eval.json report")
    return data


def _ask(settings, args) -> int:
    from assistant.app import Assistant

    assistant = Assistant.open(settings=settings)
    if args.question == "-":
        return _ask_stream(assistant)
    answer = assistant.ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        print(render_answer(answer))
    return EXIT_OK


def _ask_stream(assistant) -> int:
    """Answer JSON Lines requests from stdin, one JSON result per line, in order."""
    status = EXIT_OK
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if not isinstance(request, dict) or not isinstance(request.get("question"), str):
                raise ValueError('a request needs a "question" string')
            result = assistant.ask(request["question"], request.get("history"),
                                   request.get("mode")).to_dict()
        except (json.JSONDecodeError, ValueError) as error:
            result = {"error": f"line {number}: {error}"}
            status = EXIT_ERROR
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return status


def render_answer(answer) -> str:
    """Any note, the answer, what the check left out of a written answer, then the numbered
    sources with the quoted sentence."""
    lines = [f"({answer.note})", ""] if answer.note else []
    lines.append(answer.answer)
    if answer.mode == AnswerMode.LLM and answer.verification and answer.verification.dropped:
        lines.append("")
        lines.append("Left out by the check:")
        lines.extend(f"  - {c.text} ({c.reason})" for c in answer.verification.dropped)
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            where = ", ".join(x for x in (c.source, c.published) if x)
            lines.append(f"[{c.n}] {c.title}{f' ({where})' if where else ''} — {c.doc_id}, "
                         f"characters {c.start}–{c.end}")
            lines.append(f"    “{c.quote}”")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
