"""The one adaptation mode and split-pair rule, the weights locator and the version lookup of :mod:`core`."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import adapt, version, weights
from core.adapt import AdaptMode, check_split_pair
from core.settings import Settings
from imaging.errors import InputError


def test_one_mode_everywhere() -> None:
    assert [mode.value for mode in AdaptMode] == ["auto", "off", "n2n-split", "single"]
    assert Settings(default_adapt="n2n-split").default_adapt is AdaptMode.N2N_SPLIT  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "pair", "check"),
    [
        (AdaptMode.AUTO, ("a", None), "splits"),
        (AdaptMode.OFF, (None, "b"), "splits"),
        (AdaptMode.N2N_SPLIT, ("a", None), "splits"),
        (AdaptMode.N2N_SPLIT, (None, None), "adapt_splits"),
    ],
)
def test_split_pair_rule(mode: AdaptMode, pair: tuple[str | None, str | None], check: str) -> None:
    with pytest.raises(InputError, match="split pair") as caught:
        check_split_pair(mode=mode, split_a=pair[0], split_b=pair[1])
    assert caught.value.check == check
    assert "--split" not in str(caught.value) and "split_a" not in str(caught.value)


def test_split_pair_given_or_not() -> None:
    assert check_split_pair(mode=AdaptMode.N2N_SPLIT, split_a=Path("a"), split_b=Path("b"))
    assert not check_split_pair(mode=AdaptMode.SINGLE, split_a=None, split_b=None)


def test_weights_default_to_the_shipped_folders_next_to_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (weights.WEIGHTS_ENV, weights.SCORER_ENV):
        monkeypatch.setenv(name, " ")
    settings = Settings()
    root = Path(weights.__file__).resolve().parents[1]
    assert weights.denoiser_weights_dir(settings=settings) == root / "models" / "weights" / "dncnn"
    assert weights.scorer_weights_dir(settings=settings) == root / "models" / "weights" / "iqa"
    monkeypatch.setenv(weights.SCORER_ENV, "/srv/site-iqa")
    assert weights.scorer_weights_dir(settings=Settings()) == Path("/srv/site-iqa")


def test_version_is_a_non_empty_string() -> None:
    assert isinstance(version.software_version(), str) and version.software_version()


@pytest.mark.parametrize("module", [adapt, version, weights])
def test_public_names_exist(module: object) -> None:
    names = module.__all__
    assert names and all(hasattr(module, name) for name in names)
