"""On demand: prove that py3langid's DFA is fixed by the last ``SYNC_BYTES`` bytes it read.

``normalizers/language_walk.py`` computes the state after each byte from the bytes ``i-5 .. i`` alone.
That is exact when, for every byte string ``w`` of six bytes, every reachable state walks over ``w``
to one and the same state. This script checks it exhaustively without enumerating the 256**6
strings: it follows, byte by byte, the sets of states the reachable states can be in, keeping only
sets of two or more (a single state stays single); the claim holds when no such set is left after
``SYNC_BYTES`` bytes. Run it (about a minute of CPU) after any change of py3langid or its model::

    python tests/benchmarks/langid_window_proof.py

and update ``PROVED_MODEL`` there with the sizes it prints when it holds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from normalizers.language_detect import _identifier
from normalizers.language_walk import SYNC_BYTES


def main() -> int:
    started = time.process_time()
    identifier = _identifier()
    moves = np.frombuffer(identifier.tk_nextmove, dtype=np.uint32)
    rows = np.asarray(identifier._rowbase, dtype=np.intp)
    every_byte = np.arange(256, dtype=np.intp)
    reached = np.zeros(len(rows), dtype=bool)
    reached[0] = True
    frontier = np.array([0], dtype=np.intp)
    while len(frontier):
        following = np.unique(moves[(rows[frontier][:, None] + every_byte[None, :]).ravel()])
        frontier = following[~reached[following]]
        reached[frontier] = True
    undecided = [np.flatnonzero(reached)]
    print(f"{int(reached.sum())} reachable states of {len(rows)}, {len(moves)} transitions")
    for depth in range(1, SYNC_BYTES + 1):
        sets: dict[bytes, np.ndarray] = {}
        for states in undecided:
            after = moves[rows[states][:, None] + every_byte[None, :]]
            for byte in range(256):
                image = np.unique(after[:, byte])
                if len(image) > 1:
                    sets.setdefault(image.tobytes(), image)
        undecided = list(sets.values())
        largest = max((len(s) for s in undecided), default=1)
        print(f"after {depth} bytes: {len(undecided)} sets of two or more states (largest {largest})")
    seconds = time.process_time() - started
    if undecided:
        print(f"NOT PROVED: the state depends on more than {SYNC_BYTES} bytes ({seconds:.0f} s)")
        return 1
    print(f"PROVED: PROVED_MODEL = ({len(rows)}, {len(moves)}) ({seconds:.0f} s of CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
