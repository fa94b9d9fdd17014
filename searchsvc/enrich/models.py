"""spaCy pipelines loaded with only the pipes a job needs, run on one BLAS thread.

:func:`load` excludes (never loads) every pipe but the ones named, caps numpy's
OpenBLAS at one thread in this process (two reindex workers share two cores: a
second BLAS thread would only compete with the other worker) and, once that cap is
confirmed, runs the models' matrix products on OpenBLAS instead of thinc's default
BLIS: on this project's machine (Xeon, AVX-512) OpenBLAS multiplies the tok2vec's
matrices about 1.5 times faster (about 7 % of NER's CPU), same spans on 300 news-fr articles
(``bench/index_speed.py --stages N`` prints which one runs). ``SEARCHSVC_GEMM=blis`` keeps
BLIS (comparisons).

Contract:
    load(name, pipes) -> spacy.Language      # only ``pipes``, single-threaded products
    single_blas_thread() -> bool             # OpenBLAS capped at one thread (confirmed)
    gemm() -> "openblas" | "blis"            # what load() uses
"""

from __future__ import annotations

import ctypes
import os

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")


def _openblas_libs() -> list[str]:
    """Paths of the OpenBLAS libraries loaded in this process (numpy's own)."""
    import numpy  # noqa: F401 - loads its OpenBLAS

    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line}
    except OSError:  # pragma: no cover - not Linux
        return []
    return sorted(paths)


def single_blas_thread() -> bool:
    """Cap every loaded OpenBLAS at one thread; True when each one confirms it."""
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # processes started from here on
    libs = _openblas_libs()
    if not libs:
        return False
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            return False
        setter = next((getattr(lib, s) for s in _SETTERS if hasattr(lib, s)), None)
        getter = next((getattr(lib, g) for g in _GETTERS if hasattr(lib, g)), None)
        if setter is None or getter is None:
            return False
        setter(1)
        if getter() != 1:
            return False
    return True


def gemm() -> str:
    """``"openblas"`` when OpenBLAS runs on one thread here (and ``SEARCHSVC_GEMM`` is
    not ``blis``), else ``"blis"``."""
    if os.environ.get("SEARCHSVC_GEMM", "").strip().lower() == "blis":
        return "blis"
    return "openblas" if single_blas_thread() else "blis"


def load(name: str, pipes: tuple[str, ...]):
    """The spaCy package ``name`` with only ``pipes`` (the others excluded at load)."""
    import spacy

    meta = spacy.util.get_model_meta(spacy.util.get_package_path(name))
    every = meta.get("components") or meta.get("pipeline", []) + meta.get("disabled", [])
    nlp = spacy.load(name, exclude=[p for p in every if p not in pipes])  # "senter" too
    if gemm() == "openblas":
        from thinc.api import NumpyOps

        ops = NumpyOps(use_blis=False)
        for _, pipe in nlp.pipeline:
            model = getattr(pipe, "model", None)
            for node in model.walk() if model is not None else ():
                node.ops = ops
    return nlp
