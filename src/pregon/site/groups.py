"""Tallies of many nodes at once, as int64 arrays: a sección's figures summed up into its distrito, entity, contest.

Column-wise sums (numpy) so a national corte's 200,000 nodes cost one pass, not one loop per page.
"""

from __future__ import annotations

import numpy as np

from ..election.corte import Tally


def group_sum(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Exact sums of `values` rows per group id (int64, or uint64 wrapping for hashes)."""
    shape = (n_groups,) + values.shape[1:]
    out = np.zeros(shape, dtype=values.dtype)
    if groups.size == 0:
        return out
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    out[g[starts]] = np.add.reduceat(values[order], starts, axis=0)
    return out


class Groups:
    """Additive tallies of a set of groups (rows), as the corte engine's GroupTable holds them."""

    FIELDS = ("esperadas", "capturadas", "contabilizadas", "inconsistencias", "lista_nominal", "total_c_cs",
              "total_s_cs", "votos", "en_proceso")

    def __init__(self, columnas, final, **arrays):
        self.columnas, self.final = columnas, final
        for name in self.FIELDS:
            setattr(self, name, np.asarray(arrays[name], dtype=np.int64))

    @classmethod
    def from_table(cls, gt) -> "Groups":
        return cls(gt.columnas, gt.final, **{f: getattr(gt, f) for f in cls.FIELDS})

    def aggregate(self, member: np.ndarray, n: int) -> "Groups":
        """Sum rows into `n` groups; member[i] is row i's group."""
        return Groups(self.columnas, self.final,
                      **{f: group_sum(member, getattr(self, f), n) for f in self.FIELDS})

    def tally(self, i: int) -> Tally:
        return Tally(self.columnas, int(self.esperadas[i]), 0, int(self.capturadas[i]),
                     int(self.contabilizadas[i]), int(self.inconsistencias[i]), int(self.lista_nominal[i]),
                     int(self.total_c_cs[i]), int(self.total_s_cs[i]), tuple(self.votos[i].tolist()), self.final,
                     int(self.en_proceso[i]))
