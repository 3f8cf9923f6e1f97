"""The documented production steps (README «Operations», docs/operations.md): `collectstatic --noinput` under
DEBUG=0 builds the hashed manifest that every page needs (issue 15). The full run with gunicorn is the
«Production smoke» step of `.ci/run`."""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

VENDOR = ROOT / "static" / "vendor"
VENDORED = [path.relative_to(ROOT / "static").as_posix() for path in sorted(VENDOR.glob("*/*.*"))]


def test_vendored_files_reference_no_source_maps():
    """The .map files are not vendored, and the manifest storage follows every sourceMappingURL it sees."""
    assert VENDORED, "nothing vendored under static/vendor"
    found = [name for name in VENDORED if b"sourceMappingURL" in (ROOT / "static" / name).read_bytes()]
    assert found == [], f"strip the sourceMappingURL comments (make vendor does): {found}"


def test_collectstatic_with_production_settings(tmp_path):
    """A child process, as in production: DEBUG=0 outside the test suite selects whitenoise's
    CompressedManifestStaticFilesStorage (config/settings.py); STATIC_ROOT is a scratch folder."""
    static_root = tmp_path / "staticfiles"
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "test-production-key", "ALLOWED_HOSTS": "127.0.0.1",
           "STATIC_ROOT": str(static_root)}
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]

    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    missing = [name for name in [*VENDORED, "css/app.css", "js/app.js"] if name not in manifest]
    assert missing == [], f"not in staticfiles.json: {missing}"
    for name in ("vendor/bootstrap/bootstrap.min.css", "vendor/chartjs/chart.umd.min.js", "vendor/htmx/htmx.min.js"):
        hashed = manifest[name]
        assert hashed != name, f"{name} was not given a hashed name"
        assert (static_root / hashed).is_file(), hashed
        assert (static_root / f"{hashed}.gz").is_file(), f"{hashed}.gz (whitenoise compresses)"
