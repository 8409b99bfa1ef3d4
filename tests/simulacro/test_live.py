"""The drill's terminal: the live table is a pure function of what the drill saw; the screen redraws it in place
under the scrolling lines; a drill not on a TTY prints plain lines as before."""

import io
from datetime import datetime, timezone

from pregon.simulacro import live
from pregon.simulacro.progress import CutSeen, DifusorSeen

T = datetime(2024, 6, 3, 2, 0, tzinfo=timezone.utc)


class _Progress:
    def __init__(self, cuts, seen):
        self.cuts, self._seen = cuts, seen

    def hosting(self):
        return self._seen

    def lag(self, ident, c):
        for seq, _corte, t in next(s for s in self._seen if s.id == ident).activations:
            if seq >= c.sequence:
                return (t - c.published).total_seconds()
        return None


def _world():
    cut = CutSeen(corte=7, sequence=8, kind="delta", instant=T, published=T, percent="41.2000", clave="GUB",
                  printed=True)
    ok = DifusorSeen("el-diario", "sftp", None, activations=[(8, 7, T.replace(second=2))])
    behind = DifusorSeen("tv-norte", "rsync", None, activations=[(7, 6, T)])
    down = DifusorSeen("uni-pull", "pull", None, activations=[(7, 6, T)], down=True)
    return _Progress([cut], [ok, behind, down]), cut


def test_rows_say_corte_lag_and_state():
    prog, _cut = _world()
    rs = {r.difusor: r for r in live.rows(prog)}
    assert rs["el-diario"] == live.Row("el-diario", "sftp", 7, 2.0, "al día")
    assert rs["tv-norte"].state == "atrasado" and rs["tv-norte"].lag_s is None and rs["tv-norte"].corte == 6
    assert rs["uni-pull"].state == "caído"


def test_table_lines():
    prog, cut = _world()
    lines = live.table(cut, live.rows(prog))
    assert lines[0].startswith("instituto: corte 7 de las 02:00 · paquete 8Δ · contabilizadas GUB 41.2000%")
    assert len(lines) == 2 + 3 and "2.0 s" in lines[2] and "al día" in lines[2]
    assert live.table(None, [])[0] == "instituto: esperando el primer corte"
    assert all(len(x) <= 60 for x in live.table(cut, live.rows(prog), width=60))


def test_screen_redraws_in_place_under_scrolling_lines():
    out = io.StringIO()
    s = live.Screen(out)
    s.draw(["a", "b"])
    s.line("evento")
    s.draw(["a", "c"])
    s.draw(["a", "c"])  # unchanged: nothing written
    text = out.getvalue()
    # the event erases the 2-line table, prints, redraws it; the new table replaces the old in place
    assert text == "a\nb\n" + "\x1b[2F\x1b[J" + "evento\na\nb\n" + "\x1b[2F\x1b[J" + "a\nc\n"
    s.release()
    s.line("después")
    s.draw(["x"])  # after the night: no more tables
    assert out.getvalue().endswith("a\nc\ndespués\n")


def test_not_a_tty_means_plain_lines():
    assert not live.Screen.wanted(io.StringIO())
