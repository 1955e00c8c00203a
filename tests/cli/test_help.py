"""Every option of every verb explains itself in --help: a help line of its own (not only its
default), and a metavar that reads as a value (``N``, ``FLOAT``, ``PATH``), never as an
internal field name (``MODEL.LATENT_DIM``, ``DATA_DIR``)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from latentforge.cli.main import build_parser
from latentforge.models import MODELS

FIELD_NAME = re.compile(r"[A-Za-z]\.[A-Za-z]|_")  # model.latent_dim, DATA_DIR


def every_parser(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield " ".join(("latentforge", *path)), parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from every_parser(sub, (*path, name))


def shown_metavar(action: argparse.Action) -> str | None:
    """The word --help prints after the option (argparse's default is the dest in capitals)."""
    if action.nargs == 0 or (action.choices is not None and action.metavar is None):
        return None  # a switch takes no value; choices are shown as {A,B,C}
    if action.metavar is not None:
        return str(action.metavar)
    return action.dest.upper() if action.option_strings else action.dest


def option_problems(parser: argparse.ArgumentParser) -> list[str]:
    problems = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        if isinstance(action, argparse._SubParsersAction):
            continue
        name = "/".join(action.option_strings) or action.dest
        own_words = re.sub(r"\(default: [^)]*\)", "", action.help or "").strip()
        if not own_words:
            problems.append(f"{name}: no help line ({action.help!r})")
        metavar = shown_metavar(action)
        if metavar is not None and FIELD_NAME.search(metavar):
            problems.append(f"{name}: metavar {metavar} reads as a field name, not a value")
    return problems


PARSERS = dict(every_parser(build_parser()))


def test_the_walk_reaches_every_verb_and_every_model() -> None:
    assert {"latentforge train vae", "latentforge train pix2pix", "latentforge sample"} <= set(
        PARSERS
    )
    trained = {name for name in PARSERS if name.startswith("latentforge train ")}
    assert trained == {f"latentforge train {model}" for model in MODELS.names()}


@pytest.mark.parametrize("command", sorted(PARSERS))
def test_every_option_has_help_and_a_value_metavar(command: str) -> None:
    assert option_problems(PARSERS[command]) == []


def test_the_check_finds_what_it_looks_for() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latent-dim", dest="model.latent_dim", type=int, help="(default: 16)")
    parser.add_argument("--data-dir", help="where the data live")
    parser.add_argument("--lr", type=float, metavar="FLOAT", help="learning rate")
    parser.add_argument("--fast", action="store_true", help="go fast")
    assert option_problems(parser) == [
        "--latent-dim: no help line ('(default: 16)')",
        "--latent-dim: metavar MODEL.LATENT_DIM reads as a field name, not a value",
        "--data-dir: metavar DATA_DIR reads as a field name, not a value",
    ]


def test_model_options_read_as_values_in_the_help_text(capsys) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "vae", "--help"])
    text = capsys.readouterr().out
    assert "--latent-dim N " in text and "size of the latent code (default: 16)" in text
    assert "--lr FLOAT" in text and "--data SPEC" in text and "--data-dir PATH" in text
    assert "MODEL." not in text and "TRAIN." not in text


def test_a_default_that_resolves_later_is_shown_as_it_resolves():
    """Options whose dataclass default is None but decided later (by the model, by the device)
    show the rule in --help, not "default: None"."""
    parser = dict(every_parser(build_parser()))["latentforge train vae"]
    helps = {a.dest: a.help for a in parser._actions}
    assert helps["train.channels_last"].endswith("(default: on for convolutional models)")
    assert helps["train.grad_bucket_mb"].endswith(
        "(default: 25 on GPUs, as DistributedDataParallel; 1 on the CPU)"
    )


def test_no_option_shows_a_raw_none_or_two_defaults():
    problems = []
    for name, parser in every_parser(build_parser()):
        for action in parser._actions:
            text = " ".join((action.help or "").split())
            if "(default: None)" in text or text.count("(default:") > 1:
                problems.append(f"{name} {action.option_strings}: {text}")
    assert not problems, "\n".join(problems)
