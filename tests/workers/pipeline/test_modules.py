"""Settings, the write stage's pieces, and the public names of every pipeline module."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from core.settings import Settings
from core.strength import Strength
from core.version import software_version
from core.weights import denoiser_weights_dir
from imaging.errors import InputError, PetiqError
from models.bundle import BundleInfo
from tests.fresh_python import fresh_python
from workers.pipeline import settings
from workers.pipeline.settings import WEIGHTS_ENV, resolve_weights_dir
from workers.pipeline.write import algorithm_identity, check_output_free, staged_output

MODULES = ("denoise", "job", "load", "qc", "result", "settings", "write")


@pytest.mark.parametrize("name", MODULES)
def test_public_names_exist(name: str) -> None:
    module = importlib.import_module(f"workers.pipeline.{name}")
    assert module.__all__ and all(hasattr(module, item) for item in module.__all__)


def test_pipeline_does_not_import_celery() -> None:
    """In a fresh interpreter: this one has celery loaded by the task tests."""
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}:\n"
        "    importlib.import_module(f'workers.pipeline.{name}')\n"
        "print('celery' in sys.modules)\n"
    )
    assert fresh_python(code=code) == "False"


def _from(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings read from an environment holding ``environ`` and no other weights variable."""
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return Settings()


def default_weights_dir(*, environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    return denoiser_weights_dir(settings=_from(environ, monkeypatch))


def test_default_weights_dir_is_the_shipped_bundle_unless_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mp = monkeypatch
    assert (
        default_weights_dir(environ={}, monkeypatch=mp)
        == Path(settings.__file__).resolve().parents[2] / "models/weights/dncnn"
    )
    assert default_weights_dir(environ={WEIGHTS_ENV: "/srv/w"}, monkeypatch=mp) == Path("/srv/w")
    assert default_weights_dir(environ={WEIGHTS_ENV: " "}, monkeypatch=mp).name == "dncnn"


def test_missing_default_weights_is_a_setup_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PetiqError) as caught:
        resolve_weights_dir(override=None, settings=_from({WEIGHTS_ENV: str(tmp_path)}, monkeypatch))
    assert not isinstance(caught.value, InputError)
    assert f"no denoiser weights in {tmp_path}" in str(caught.value) and WEIGHTS_ENV in str(caught.value)


def test_explicit_weights_win(random_bundle_info: BundleInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_weights_dir(override=tmp_path, settings=_from({WEIGHTS_ENV: "/x"}, monkeypatch)) == tmp_path
    found = resolve_weights_dir(
        override=None, settings=_from({WEIGHTS_ENV: str(random_bundle_info.directory)}, monkeypatch)
    )
    assert found == random_bundle_info.directory


def test_algorithm_identity_names_model_weights_and_device(random_bundle_info: BundleInfo) -> None:
    identity = algorithm_identity(bundle=random_bundle_info, strength=Strength.LOW, blend=0.5)
    assert identity.name == "petiq DnCNN denoiser" and identity.manufacturer == "petiq"
    assert identity.parameters == (("strength", "low"), ("blend", "0.5"))
    assert identity.version == random_bundle_info.version
    assert identity.software_version == software_version()
    assert identity.device_uid == random_bundle_info.device_uid
    assert random_bundle_info.onnx_sha256[:12] in identity.description


def test_check_output_free(tmp_path: Path) -> None:
    check_output_free(out_dir=tmp_path / "new")
    check_output_free(out_dir=tmp_path)
    (tmp_path / "f").write_text("x")
    for taken in (tmp_path, tmp_path / "f"):
        with pytest.raises(InputError, match="Argument 'out_dir'"):
            check_output_free(out_dir=taken)


def test_staged_output_appears_at_once_with_ordinary_permissions(tmp_path: Path) -> None:
    out = tmp_path / "a" / "out"
    with staged_output(out_dir=out) as staging:
        (staging / "sub").mkdir(mode=0o700)
        (staging / "sub" / "x.txt").write_text("x")
        assert staging.parent == out.parent and staging.name.startswith(".out.") and not out.exists()
    assert (out / "sub" / "x.txt").read_text() == "x"
    assert out.stat().st_mode & 0o777 == 0o755 and (out / "sub").stat().st_mode & 0o777 == 0o755
    assert [path.name for path in out.parent.iterdir()] == ["out"]
