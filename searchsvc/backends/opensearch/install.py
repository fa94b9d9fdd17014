"""Install the pinned OpenSearch distribution from Maven Central, with Maven only.

The artifact is the archive OpenSearch publishes for integration tests
(``org.opensearch.distribution.integ-test-zip:opensearch:<version>:zip``): the server
and its ``transport-netty4`` module, no security plugin, no bundled JDK (it runs on the
machine's Java 17). Maven copies it into a temporary folder; its SHA-1 is checked against
the pinned one, then it is unzipped into ``<install root>/opensearch-<version>``, which
appears whole or not at all (unzipped beside it, then renamed). Installing again is a
no-op; two processes installing at once take turns on a lock file.

The install root is ``$SEARCHSVC_OPENSEARCH_INSTALL_DIR``, else ``/var/cache/searchsvc``
for root (OpenSearch refuses to run as root: the nodes then run as an unprivileged user,
who must be able to read the install, and root's home is closed to others), else
``${XDG_CACHE_HOME:-~/.cache}/searchsvc``. ``$SEARCHSVC_MAVEN_REPO`` names another local
Maven repository (``-Dmaven.repo.local``), e.g. to check an install from a clean one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Mapping

#: the pinned OpenSearch version, its Maven coordinates and the archive's SHA-1
VERSION = "2.19.6"
ARTIFACT = f"org.opensearch.distribution.integ-test-zip:opensearch:{VERSION}:zip"
ARCHIVE_SHA1 = "8e071b0fee7911b226f68bdead8946002e6b6e36"
#: the Maven plugin that copies the artifact, pinned too (Maven's default depends on its version)
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
#: bound on Maven's run (download of the plugin and of the 56 MB archive included)
MAVEN_TIMEOUT_S = 900
#: written last in a complete install
MARKER = ".searchsvc-installed"


class InstallError(RuntimeError):
    """OpenSearch could not be installed; the message is French and says what to do."""


def install_root(env: Mapping[str, str] = os.environ) -> Path:
    """The folder holding the versioned installs."""
    if env.get("SEARCHSVC_OPENSEARCH_INSTALL_DIR"):
        return Path(env["SEARCHSVC_OPENSEARCH_INSTALL_DIR"]).expanduser()
    if os.geteuid() == 0:
        return Path("/var/cache/searchsvc")
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "searchsvc"
    return Path.home() / ".cache" / "searchsvc"


def home(env: Mapping[str, str] = os.environ) -> Path:
    """Where the pinned version is (or will be) installed."""
    return install_root(env) / f"opensearch-{VERSION}"


def is_installed(env: Mapping[str, str] = os.environ) -> bool:
    return (home(env) / MARKER).is_file()


def check_java() -> str:
    """The path of ``java`` (``$JAVA_HOME/bin/java`` first, as ``bin/opensearch`` does),
    or :class:`InstallError` saying how to get Java 17."""
    java_home = os.environ.get("OPENSEARCH_JAVA_HOME") or os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        raise InstallError(
            "Java est introuvable : OpenSearch a besoin de Java 17 ou plus récent "
            "(Debian : apt-get install openjdk-17-jre-headless ; ou définissez JAVA_HOME).")
    return java


def _check_maven() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise InstallError(
            "Maven (mvn) est introuvable : il sert à télécharger OpenSearch depuis Maven "
            "Central (Debian : apt-get install maven).")
    return mvn


def _sha1(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(work: Path, env: Mapping[str, str]) -> Path:
    """Copy the archive from Maven (its local repository, else Maven Central) into ``work``."""
    cmd = [_check_maven(), "-q", "-B", f"{DEPENDENCY_PLUGIN}:copy",
           f"-Dartifact={ARTIFACT}", f"-DoutputDirectory={work}", "-Dmdep.overWriteReleases=true"]
    if env.get("SEARCHSVC_MAVEN_REPO"):
        cmd.append(f"-Dmaven.repo.local={Path(env['SEARCHSVC_MAVEN_REPO']).expanduser()}")
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=MAVEN_TIMEOUT_S,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise InstallError(f"Maven n'a pas fini de télécharger OpenSearch {VERSION} "
                           f"en {MAVEN_TIMEOUT_S // 60} minutes.") from None
    archive = work / f"opensearch-{VERSION}.zip"
    if r.returncode != 0 or not archive.is_file():
        tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-15:])
        raise InstallError(f"Maven n'a pas pu télécharger OpenSearch {VERSION} ({ARTIFACT}) "
                           f"depuis Maven Central (code {r.returncode}). Sortie de Maven :\n{tail}")
    digest = _sha1(archive)
    if digest != ARCHIVE_SHA1:
        raise InstallError(f"L'archive d'OpenSearch {VERSION} reçue de Maven n'est pas celle "
                           f"attendue (SHA-1 {digest}, attendu {ARCHIVE_SHA1}).")
    return archive


def _unzip(archive: Path, dest: Path) -> None:
    """Unzip keeping the Unix modes (``bin/opensearch`` must stay executable)."""
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            path = Path(z.extract(info, dest))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                path.chmod(mode)
    # readable by all (the nodes may run as another user), scripts executable
    for path in (dest / f"opensearch-{VERSION}").rglob("*"):
        path.chmod(path.stat().st_mode | (0o755 if path.is_dir() else 0o644))
    for script in (dest / f"opensearch-{VERSION}" / "bin").iterdir():
        script.chmod(script.stat().st_mode | 0o755)


def install(env: Mapping[str, str] = os.environ) -> Path:
    """Install the pinned OpenSearch if it is missing; return its home folder."""
    target = home(env)
    if is_installed(env):
        return target
    check_java()
    root = install_root(env)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InstallError(f"Impossible de créer le dossier d'installation {root} : "
                           f"{exc.strerror}.") from None
    with open(root / f".opensearch-{VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_installed(env):  # another process finished while we waited
            return target
        work = root / f".opensearch-{VERSION}.tmp-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        try:
            work.mkdir()
            archive = _download(work, env)
            _unzip(archive, work / "unzipped")
            unzipped = work / "unzipped" / f"opensearch-{VERSION}"
            (unzipped / MARKER).write_text(f"{ARTIFACT} sha1={ARCHIVE_SHA1}\n")
            shutil.rmtree(target, ignore_errors=True)  # an incomplete older attempt
            unzipped.rename(target)
            root.chmod(root.stat().st_mode | 0o755)
        except OSError as exc:
            raise InstallError(f"Installation d'OpenSearch dans {target} impossible : "
                               f"{exc.strerror or exc}.") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target
