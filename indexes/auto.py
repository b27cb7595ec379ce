"""An index that is exact while small and switches itself to HNSW when it grows."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import NDArray

from indexes.base import Blobs, VectorIndex, config_from_options
from indexes.errors import IndexFileError
from indexes.faiss_base import COPY_BATCH
from indexes.faiss_flat import FaissFlatConfig, FaissFlatIndex
from indexes.faiss_hnsw import FaissHNSWConfig, FaissHNSWIndex

__all__ = ["AutoConfig", "AutoIndex"]

log = logging.getLogger(__name__)

# While a background conversion catches up with the changes made during its build, it replays
# them without the lock until at most this many remain; the last ones are replayed under the
# lock, just before the swap, so callers wait for a few milliseconds at most.
_CATCH_UP_UNDER_LOCK = 4096


@dataclass(frozen=True, slots=True)
class AutoConfig:
    """Options of :class:`AutoIndex`.

    Attributes:
        switch_at: Convert from exact flat search to HNSW once the index holds more than
            this many vectors. Exact search costs O(n) per query: ~8 ms per single query
            at 100k vectors of dim 384 measured on 2 cores (faiss 1.15), so ~16 ms at 200k
            (the service's sizing note says ~13 ms at 100k), while HNSW is estimated at
            ~0.5 ms per query at a million vectors. 200_000 keeps small deployments exact
            and bounds flat-search latency to tens of milliseconds.
        flat: Options of the flat index used below ``switch_at``.
        hnsw: Options of the HNSW index used after the switch.
        background_from: Conversions of at least this many vectors build the HNSW graph in a
            background thread while the flat index keeps serving every call; smaller ones
            (milliseconds of work) convert inline, inside the ``add`` that crosses
            ``switch_at``. 10_000 vectors take about a second to insert into HNSW on 2 cores.
    """

    switch_at: int = 200_000
    flat: FaissFlatConfig = field(default_factory=FaissFlatConfig)
    hnsw: FaissHNSWConfig = field(default_factory=FaissHNSWConfig)
    background_from: int = 10_000

    def __post_init__(self) -> None:
        if self.switch_at < 0:
            raise ValueError(f"switch_at must be >= 0, got {self.switch_at}")
        if self.background_from < 0:
            raise ValueError(f"background_from must be >= 0, got {self.background_from}")


class AutoIndex(VectorIndex):
    """Starts as :class:`FaissFlatIndex`; becomes :class:`FaissHNSWIndex` past ``switch_at``.

    The conversion starts once, in the :meth:`add` call that takes the size above
    ``switch_at``. A large one (``background_from`` vectors or more; minutes at 200k vectors
    of dim 384) runs in a background thread and never blocks callers:

    1. the ids live at the start are copied chunk by chunk (each chunk's vectors read under
       the lock, a few tens of milliseconds) into a new HNSW graph built without the lock;
    2. meanwhile the flat index keeps serving every add, remove, search and snapshot, and
       each add and remove is also recorded in a journal;
    3. the builder replays the journal into the graph, in order (removes of ids the graph
       lacks are no-ops; an id removed and re-added ends with its new vector), the last few
       entries under the lock, and swaps the graph in.

    Snapshots taken during the build hold the flat index (exact, complete). If the build
    fails, the flat index stays active and the next add starts a new attempt. Small
    conversions run inline, inside the crossing :meth:`add`. The index never converts back,
    even if removals shrink it (this avoids flapping around the threshold). Until the switch
    results are exact.
    """

    kind: ClassVar[str] = "auto"

    def __init__(self, dim: int, config: AutoConfig | None = None) -> None:
        super().__init__(dim)
        self._config = config if config is not None else AutoConfig()
        # The wrapped index is private: every access goes through this object's lock.
        self._inner: FaissFlatIndex | FaissHNSWIndex = FaissFlatIndex(dim, self._config.flat)
        # Background conversion state; all of it is read and written under self._lock.
        self._builder: threading.Thread | None = None
        self._journal: list[tuple[NDArray[np.int64], NDArray[np.float32] | None]] = []
        self._switched = threading.Event()
        self.build_error: BaseException | None = None

    @classmethod
    def from_options(cls, dim: int, **options: Any) -> Self:
        """Create an empty index.

        Options: ``switch_at`` and ``background_from``, plus any field of
        :class:`FaissFlatConfig` (applied to the flat stage) or :class:`FaissHNSWConfig`
        (applied to the HNSW stage).
        """
        flat_names = {f.name for f in dataclasses.fields(FaissFlatConfig)}
        hnsw_names = {f.name for f in dataclasses.fields(FaissHNSWConfig)}
        flat = {key: value for key, value in options.items() if key in flat_names}
        hnsw = {key: value for key, value in options.items() if key in hnsw_names}
        rest = {key: value for key, value in options.items() if key not in flat | hnsw}
        if "flat" in rest or "hnsw" in rest:
            raise ValueError("pass flat/hnsw options by field name, e.g. ef_search=64")
        top = config_from_options(AutoConfig, cls.kind, rest)
        return cls(
            dim,
            AutoConfig(
                switch_at=top.switch_at,
                flat=FaissFlatConfig(**flat),
                hnsw=FaissHNSWConfig(**hnsw),
                background_from=top.background_from,
            ),
        )

    @property
    def config(self) -> AutoConfig:
        """The index's options."""
        return self._config

    @property
    def active_kind(self) -> str:
        """Kind of the wrapped index now: ``"flat"`` before the switch, ``"hnsw"`` after."""
        with self._lock:
            return self._inner.kind

    @property
    def converting(self) -> bool:
        """Whether a background conversion to HNSW is in progress."""
        with self._lock:
            return self._builder is not None

    def wait_converted(self, timeout: float | None = None) -> bool:
        """Block until the index runs on HNSW; False if ``timeout`` seconds passed first."""
        return self._switched.wait(timeout)

    def _add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        self._inner.add(ids, vectors)
        if self._builder is not None:
            self._journal.append((ids.copy(), vectors.copy()))
        elif isinstance(self._inner, FaissFlatIndex) and len(self._inner) > self._config.switch_at:
            if len(self._inner) >= self._config.background_from:
                self._start_background_conversion()
            else:
                self._convert()

    def _convert(self) -> None:
        """Convert inline (caller holds the lock)."""
        self._inner = self._copy_live(self._inner.ids())
        self._switched.set()

    def _copy_live(self, ids: NDArray[np.int64]) -> FaissHNSWIndex:
        """A new HNSW graph of those of ``ids`` still live, copied in chunks.

        Each chunk's vectors are read under the lock and inserted without it, so a copy made
        from the background thread never holds callers up for more than one chunk's read.
        """
        hnsw = FaissHNSWIndex(self.dim, self._config.hnsw)
        for start in range(0, ids.size, COPY_BATCH):
            chunk = ids[start : start + COPY_BATCH]
            with self._lock:
                flat = self._inner
                live = chunk[flat._is_live(chunk)]
                vectors = flat.reconstruct(live)
            hnsw.add(live, vectors)
        return hnsw

    def _start_background_conversion(self) -> None:
        """Start the builder thread (caller holds the lock)."""
        self._journal = []
        self.build_error = None
        self._builder = threading.Thread(
            target=self._build_in_background,
            args=(self._inner.ids(),),
            name="auto-index-hnsw-build",
            daemon=True,
        )
        self._builder.start()

    def _build_in_background(self, ids: NDArray[np.int64]) -> None:
        try:
            hnsw = self._copy_live(ids)
            while True:
                with self._lock:
                    if len(self._journal) <= _CATCH_UP_UNDER_LOCK:
                        _replay(hnsw, self._journal)
                        self._inner = hnsw
                        self._journal = []
                        self._builder = None
                        self._switched.set()
                        return
                    pending, self._journal = self._journal, []
                _replay(hnsw, pending)
        except BaseException as exc:  # keep serving from the flat index; retry on a later add
            log.exception("background conversion to HNSW failed; staying on the flat index")
            with self._lock:
                self.build_error = exc
                self._journal = []
                self._builder = None

    def _remove(self, ids: NDArray[np.int64]) -> None:
        self._inner.remove(ids)
        if self._builder is not None:
            self._journal.append((ids.copy(), None))

    # Search and reconstruction call the wrapped index's hooks directly: the arguments are
    # already validated, and this object's _rank re-scores the candidates once.
    def _search(self, queries: NDArray[np.float32], fetch: int) -> NDArray[np.int64]:
        return self._inner._search(queries, fetch)

    def _reconstruct(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        return self._inner._reconstruct(ids)

    def _memory_bytes(self) -> int:
        return self._inner.memory_bytes()

    def _dump(self) -> tuple[dict[str, Any], Blobs]:
        # Runs without this object's lock (see VectorIndex._encode): read the wrapped index
        # once, since a background conversion may swap it in the meantime.
        inner = self._inner
        state = {
            "switch_at": self._config.switch_at,
            "flat": dataclasses.asdict(self._config.flat),
            "hnsw": dataclasses.asdict(self._config.hnsw),
            "background_from": self._config.background_from,
            "active": inner.kind,
        }
        return state, {"inner": memoryview(inner.to_bytes())}

    @classmethod
    def _restore(
        cls, dim: int, state: Mapping[str, Any], blobs: Mapping[str, memoryview]
    ) -> tuple[Self, NDArray[np.int64]]:
        config = AutoConfig(
            switch_at=state["switch_at"],
            flat=FaissFlatConfig(**state["flat"]),
            hnsw=FaissHNSWConfig(**state["hnsw"]),
            background_from=state.get("background_from", AutoConfig().background_from),
        )
        index = cls(dim, config)
        inner: FaissFlatIndex | FaissHNSWIndex
        if state["active"] == FaissFlatIndex.kind:
            inner = FaissFlatIndex.from_bytes(blobs["inner"])
        elif state["active"] == FaissHNSWIndex.kind:
            inner = FaissHNSWIndex.from_bytes(blobs["inner"])
        else:
            raise IndexFileError(f"auto index: unknown active kind {state['active']!r}")
        if inner.dim != dim:
            raise IndexFileError(f"auto index: wrapped index has dim {inner.dim}, not {dim}")
        index._inner = inner
        if isinstance(inner, FaissHNSWIndex):
            index._switched.set()
        return index, inner.ids()


def _replay(
    hnsw: FaissHNSWIndex, journal: list[tuple[NDArray[np.int64], NDArray[np.float32] | None]]
) -> None:
    """Apply recorded adds (with vectors) and removes (without), in order."""
    for ids, vectors in journal:
        if vectors is None:
            hnsw.remove(ids)
        else:
            hnsw.add(ids, vectors)
