"""Reproducible releases (issue 5): two clones, two builds, the same bytes.

The end-to-end test clones the repository's committed HEAD twice (different directories,
different path lengths), runs ``doit dist`` in each with a different time zone and locale,
one after the other (so at different times), and compares the two ``SHA256SUMS``. It tests
committed state only: commit before relying on it. It costs two full builds (about 25 s).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from coursepack.dates import choose_epoch, git_commit_time
from coursepack.dist import (
    SUMS,
    diff_releases,
    first_zip_difference,
    parse_sums,
    release_version,
    sha256,
    sums_text,
)
from coursepack.errors import ReaderError

REPO = Path(__file__).resolve().parent.parent


def _has_commit() -> bool:
    if shutil.which("git") is None:
        return False
    proc = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", "-q", "HEAD"],
                          capture_output=True, check=False)
    return proc.returncode == 0


def _build_release(dest: Path, tz: str, locale: str) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(dest)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env.update(TZ=tz, LC_ALL=locale)
    proc = subprocess.run([sys.executable, "-m", "doit", "dist"], cwd=dest, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, f"doit dist failed in {dest}:\n{proc.stdout}\n{proc.stderr}"
    return dest / "dist"


@pytest.mark.skipif(not _has_commit(), reason="needs git and a committed HEAD to clone")
def test_two_clones_build_identical_releases(tmp_path: Path) -> None:
    first = _build_release(tmp_path / "a", "UTC", "C.UTF-8")
    second = _build_release(tmp_path / "second-clone" / "with-a-longer-path",
                            "America/St_Johns", "C")
    differences = diff_releases(first, second)
    assert not differences, "release files differ between two clean builds:\n" + \
        "\n".join(differences)
    sums = parse_sums((first / SUMS).read_text())
    assert sorted(n.rsplit(".", 1)[1] for n in sums) == ["epub", "json", "pdf", "pdf", "pdf"]
    for name, digest in sums.items():  # what `sha256sum -c SHA256SUMS` checks
        assert sha256((first / name).read_bytes()) == digest, name


# --- the rules, without building ------------------------------------------------------------


def test_epoch_precedence() -> None:
    assert choose_epoch(5, "7", 9, "2026-01-01") == (5, "reader.yaml source_date_epoch")
    assert choose_epoch(None, "7", 9, "2026-01-01")[0] == 7
    assert choose_epoch(None, None, 9, "2026-01-01")[0] == 9
    assert choose_epoch(None, "", None, "2026-01-02")[0] == 1767312000  # 00:00 UTC
    with pytest.raises(ReaderError, match="not a whole number"):
        choose_epoch(None, "yesterday", None, "2026-01-01")


def test_no_git_falls_back(tmp_path: Path) -> None:
    (tmp_path / "reader.yaml").write_text("id: x\n")
    assert git_commit_time(tmp_path, ("reader.yaml",)) is None


def test_version_comes_from_yaml_and_a_tag_must_agree() -> None:
    assert release_version("1.2.0", []) == ("1.2.0", None)
    assert release_version("1.2.0", ["v1.2.0", "latest"]) == ("1.2.0", "v1.2.0")
    with pytest.raises(ReaderError, match=r"v1\.3\.0"):
        release_version("1.2.0", ["v1.3.0"])
    with pytest.raises(ReaderError, match=r"^readers/x\.yaml: version is '1\.2\.0'"):
        release_version("1.2.0", ["v1.3.0"], "readers/x.yaml")  # the reader file it came from


def test_sums_are_sha256sum_format() -> None:
    text = sums_text({"b.pdf": b"b", "a.epub": b"a"})
    assert text == f"{sha256(b'a')}  a.epub\n{sha256(b'b')}  b.pdf\n"
    assert parse_sums(text) == {"a.epub": sha256(b"a"), "b.pdf": sha256(b"b")}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def test_a_difference_names_the_first_differing_epub_member() -> None:
    a = _zip({"mimetype": b"application/epub+zip", "EPUB/content.opf": b"1", "EPUB/x": b"1"})
    b = _zip({"mimetype": b"application/epub+zip", "EPUB/content.opf": b"2", "EPUB/x": b"2"})
    assert first_zip_difference(a, b) == "member 'EPUB/content.opf' (content)"


# --- the build date's commit time, kept between builds ----------------------------------------


def _git(root: Path, *args: str, when: int | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.org"}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{when} +0000"
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def test_the_kept_commit_time_follows_every_move_of_head(tmp_path, monkeypatch) -> None:
    """A no-op build takes the build date's commit time from build/.cache/; every way HEAD or
    its history can move (a commit, an amend, a checkout, packed refs, a reset, a detached
    HEAD) gives git's own answer again, and with nothing moved git is not asked."""
    from coursepack import dates, readercache

    monkeypatch.setattr(readercache, "FRESH_NS", 0)
    spec = ("a.txt",)
    _git(tmp_path, "init", "-q", "-b", "main")
    stamp = 1_000_000_000

    def commit(*args: str) -> None:
        nonlocal stamp
        stamp += 100
        (tmp_path / "a.txt").write_text(str(stamp))
        _git(tmp_path, "add", "a.txt")
        _git(tmp_path, "commit", "-q", "-m", str(stamp), *args, when=stamp)

    def kept() -> int | None:
        time.sleep(0.02)  # a file-time tick: git's next move gets new file times
        dates.git_commit_time.cache_clear()  # a new build: a new process
        return dates.kept_commit_time(tmp_path, spec)

    commit()
    commit()
    assert kept() == stamp == 1_000_000_200
    assert list((tmp_path / "build" / ".cache").glob("commit-time-*.json"))
    with monkeypatch.context() as m:  # nothing moved: git is not asked
        m.setattr(dates, "git_commit_time", lambda *a: pytest.fail("git asked again"))
        assert dates.kept_commit_time(tmp_path, spec) == 1_000_000_200
    commit()
    assert kept() == 1_000_000_300
    commit("--amend")
    assert kept() == 1_000_000_400
    _git(tmp_path, "checkout", "-q", "-b", "older", "HEAD~1")  # the amended commit's parent
    assert kept() == 1_000_000_200
    _git(tmp_path, "checkout", "-q", "main")
    assert kept() == 1_000_000_400
    _git(tmp_path, "pack-refs", "--all")
    assert kept() == 1_000_000_400
    commit()
    assert kept() == 1_000_000_500
    _git(tmp_path, "reset", "-q", "--hard", "HEAD~1")
    assert kept() == 1_000_000_400
    _git(tmp_path, "checkout", "-q", "--detach", "HEAD~2")
    assert kept() == 1_000_000_100
    [file] = (tmp_path / "build" / ".cache").glob("commit-time-*.json")
    file.write_text(file.read_text().replace('"time": 1000000100', '"time": "soon"'))
    assert kept() == 1_000_000_100  # a kept value that is not a time: git is asked again
    monkeypatch.setenv("GIT_DIR", str(tmp_path / ".git"))  # another repository, maybe
    with monkeypatch.context() as m:
        m.setattr(dates, "git_commit_time", lambda *a: 7)
        assert dates.kept_commit_time(tmp_path, spec) == 7
