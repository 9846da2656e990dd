"""Column-at-a-time preparation of import chunks (the fast path of the one storage path).

A CSV chunk arrives as a polars DataFrame of text cells. Every row whose cells all have one of the plain
forms (ISO timestamps, ``1``–``5`` satisfaction, a known yes/no word, at most one pause ``start/end``,
custom values the row path types without complaint, no surrounding spaces, …) is validated and converted
here with vectorised expressions; every row with anything else in it — an error, several pauses, a date in
another spelling — is handed to the row-at-a-time path (``ingest.Preparer.rows`` → ``rows.clean_row``),
which stays the reference for what is valid and for the wording of every error. So the columnar path only
ever *accepts* rows; it never rejects one and never words a message. ``tests/test_columnar.py`` checks, on
generated rows and on any text at all, that both paths give exactly the same values, fingerprints, days
and observations, and that whole imports end the same.

Observations (what each record adds to each SLA metric's daily aggregate) are computed per metric over
the whole chunk: business seconds from the calendar's cumulative index (``businesstime.CalendarIndex``)
with a sorted search instead of one bisect per record, then summed per day with ``group_by``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from waibao.delivery import engine, rows
from waibao.lib import businesstime, slamath

#: The timestamp spellings read here; any other goes to ``rows.parse_instant`` (it reads more of them).
_TS = r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$"
#: Python's ``str.strip()`` removes Unicode white space and also U+001C–U+001F; a cell starting or ending
#: with any of them goes to the row path.
_EDGE_SPACE = r"^[\s\x1c-\x1f]|[\s\x1c-\x1f]$"
_SIMPLE_FILTER_FIELDS = ("kind", "priority", "category", "status")


def _word_forms(words: frozenset[str]) -> list[str]:
    return sorted({f for w in words for f in (w, w.upper(), w.capitalize())})


_TRUE_FORMS = _word_forms(rows._TRUE)
_FALSE_FORMS = _word_forms(rows._FALSE)


def vectorisable(runner: engine.Runner) -> bool:
    """Whether a metric's observation can be computed here (else the chunk goes row by row)."""
    d = runner.definition
    for cond in d.filter:
        if cond.field not in _SIMPLE_FILTER_FIELDS:
            return False
        if cond.op == "in" and not isinstance(cond.value, list | tuple):
            return False
    if d.kind in ("share_within", "duration"):
        return d.start_field in rows.TIMESTAMPS and d.end_field in rows.TIMESTAMPS
    if d.kind == "count":
        return True
    if d.kind == "rate":
        if d.flag is not None:
            return d.flag == "defect"
        return d.start_field in rows.TIMESTAMPS and d.end_field in rows.TIMESTAMPS
    if d.kind == "average":
        return (d.field or slamath.DEFAULT_AVERAGE_FIELD) == "csat"
    return False


@dataclass
class FastChunk:
    """What the fast path made of a chunk: the row-path rows by position, and a frame of the others.

    ``frame`` has one row per fast row: ``i`` (position in the chunk), ``external_id``, the staging data
    columns (``ingest.DATA_COLS`` after external_id, in the database's text form), ``_day`` (a date),
    the timestamps as UTC microseconds (``_us_<field>``) and ``fingerprint``.
    """

    slow: list[int]
    frame: pl.DataFrame


class ColumnarPlan:
    """Per import: the column mapping, the row context and the contract's compiled terms."""

    def __init__(
        self,
        headers: list[str],
        mapping: Mapping[str, str] | None,
        ctx: rows.RowContext,
        cache: engine.TermsCache,
        sqlite: bool,
    ) -> None:
        self.headers = headers
        self.ctx = ctx
        self.cache = cache
        self.sqlite = sqlite
        self.tz = ctx.tz.key  # type: ignore[attr-defined]  # a ZoneInfo
        if mapping is None:
            mapping = {h: h for h in headers if h in rows.FIELDS or h.startswith("custom.")}
        self.source: dict[str, str] = {}
        #: field → one value for the whole file (``rows.CONSTANT`` keys), read as a cell of every row
        _columns, self.constants = rows.split_mapping(mapping)
        # Duplicate or empty headers: the row path keeps its own rules for them.
        self.usable = len(set(headers)) == len(headers) and all(headers)
        #: custom field name → header (typed in Python by the row path's function, once per distinct value)
        self.custom: dict[str, str] = {}
        for header, target in mapping.items():
            if not target or header not in headers:
                continue
            if target.startswith("custom."):
                self.custom[target[7:]] = header
            elif target in rows.FIELDS:
                self.source[target] = header
        if not all(vectorisable(r) for r in cache.all_runners()):
            self.usable = False
        self._index_cache: dict[int, tuple[int, pl.Series, pl.Series, pl.Series]] = {}

    # -- cells ---------------------------------------------------------------------------------------

    def _cell(self, name: str) -> pl.Expr:
        header = self.source.get(name)
        if header is not None:
            return pl.col(header)
        # A constant is the same text in every row (``rows.apply_mapping`` gives it to the row path).
        return pl.lit(self.constants.get(name, ""), dtype=pl.Utf8)

    def _instants(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, pl.Expr], list[pl.Expr]]:
        """Read the mapped timestamp columns, in steps so that each costly operation runs once.

        Returns the frame with ``_t_<field>`` (UTC datetime, null when blank or not read here), the
        expressions of each field's instant, and one "plain" check per field (blank, or an ISO form
        read exactly as ``rows.parse_instant`` reads it).
        """
        utc = pl.Datetime("us", "UTC")
        texts = {n: self._cell(n) for n in rows.TIMESTAMPS if n in self.source}
        if "paused" in self.source:  # one pause "start/end" (more than one: row by row)
            halves = self._cell("paused").str.extract_groups(r"^([^/;；]*)/([^/;；]*)$")
            texts[PAUSE_FROM] = halves.struct.field("1")
            texts[PAUSE_TO] = halves.struct.field("2")
        stamps = list(texts)
        frame = frame.with_columns([texts[n].str.extract_groups(_TS).alias(f"_g_{n}") for n in stamps])
        step: list[pl.Expr] = []
        for n in stamps:
            g = pl.col(f"_g_{n}")
            f = {k: g.struct.field(str(k)) for k in range(1, 9)}
            second = f[6].fill_null("00")
            dash, colon = pl.lit("-"), pl.lit(":")
            text = pl.concat_str(
                [f[1], dash, f[2], dash, f[3], pl.lit(" "), f[4].fill_null("00"), colon, f[5].fill_null("00"),
                 colon, second, pl.lit("."), f[7].fill_null("0")]
            )  # fmt: skip
            offset = f[8]
            sign = pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
            hours, minutes = offset.str.slice(1, 2), offset.str.slice(4, 2)
            step += [
                text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f", strict=False).alias(f"_n_{n}"),
                pl.when(offset == "Z")
                .then(pl.lit(0, dtype=pl.Int64))
                .otherwise(
                    (hours.cast(pl.Int64, strict=False) * 3600 + minutes.cast(pl.Int64, strict=False) * 60)
                    * sign
                )
                .alias(f"_o_{n}"),
                (
                    (second < "60")
                    & f[1]
                    .cast(pl.Int32, strict=False)
                    .is_between(businesstime.MIN_YEAR + 1, businesstime.MAX_YEAR - 1)
                    & (offset.is_null() | (offset == "Z") | ((hours < "24") & (minutes < "60")))
                ).alias(f"_p_{n}"),
            ]
        frame = frame.with_columns(step)
        instants = []
        for n in stamps:
            naive, off = pl.col(f"_n_{n}"), pl.col(f"_o_{n}")
            local = naive.dt.replace_time_zone(self.tz, ambiguous="earliest", non_existent="null")
            fixed = naive.dt.replace_time_zone("UTC") - pl.duration(seconds=off)
            instants.append(
                pl.when(off.is_null())
                .then(local.dt.convert_time_zone("UTC"))
                .otherwise(fixed)
                .alias(f"_t_{n}")
            )
        frame = frame.with_columns(instants)
        cols: dict[str, pl.Expr] = {}
        plain: list[pl.Expr] = []
        for n in (*rows.TIMESTAMPS, PAUSE_FROM, PAUSE_TO):
            if n not in texts:
                cols[n] = pl.lit(None, dtype=utc)
                continue
            cols[n] = pl.col(f"_t_{n}")
            if n in rows.TIMESTAMPS:
                plain.append((self._cell(n) == "") | (pl.col(f"_p_{n}") & pl.col(f"_t_{n}").is_not_null()))
        if "paused" in self.source:
            read = (
                pl.col(f"_p_{PAUSE_FROM}") & pl.col(f"_p_{PAUSE_TO}") & (cols[PAUSE_TO] >= cols[PAUSE_FROM])
            )
            plain.append((self._cell("paused") == "") | read.fill_null(False))
        return frame, cols, plain

    # -- the chunk -----------------------------------------------------------------------------------

    def frame(self, chunk: list[tuple[int, list[str]]]) -> pl.DataFrame:
        """A chunk of CSV rows (row number, cells; blank rows already skipped) as text columns."""
        width = len(self.headers)
        cells = [c if len(c) == width else (c + [""] * width)[:width] for _n, c in chunk]
        columns = list(zip(*cells, strict=True)) if cells else [() for _h in self.headers]
        data: dict[str, Any] = {"_row": [n for n, _c in chunk]}
        data.update({h: list(col) for h, col in zip(self.headers, columns, strict=True)})
        return pl.DataFrame(data, schema={"_row": pl.Int64, **dict.fromkeys(self.headers, pl.Utf8)})

    def prepare(self, frame: pl.DataFrame) -> FastChunk:
        """Split a chunk (``frame``) into fast and row-path rows and prepare the fast ones."""
        size = frame.height
        ok: list[pl.Expr] = []
        cols: dict[str, pl.Expr] = {}
        for name, limit in rows.TEXTS.items():
            cell = self._cell(name)
            ok.append(~cell.str.contains(_EDGE_SPACE) & (cell.str.len_chars() <= limit))
            cols[name] = cell
        ok.append(cols["external_id"] != "")
        kind = pl.when(cols["kind"] == "").then(pl.lit(self.ctx.default_kind)).otherwise(cols["kind"])
        ok.append(kind.is_in(sorted(self.ctx.kinds)))
        cols["kind"] = kind
        ok.append(cols["priority"].str.contains(r"^[\x00-\x7f]*$"))
        cols["priority"] = cols["priority"].str.to_uppercase()
        frame, instants, plain = self._instants(frame)
        cols.update(instants)
        ok += plain
        opened, promised = cols["opened_at"], cols["promised_at"]
        ok.append(opened.is_not_null() | promised.is_not_null())
        for later in ("first_response_at", "resolved_at", "delivered_at"):
            ok.append(opened.is_null() | cols[later].is_null() | (cols[later] >= opened))
        ok.append(
            cols["first_response_at"].is_null()
            | cols["resolved_at"].is_null()
            | (cols["resolved_at"] >= cols["first_response_at"])
        )
        csat = self._cell("csat")
        ok.append((csat == "") | csat.is_in(sorted(self.ctx.csat_texts)))  # the scale's plain spellings
        cols["csat"] = pl.when(csat == "").then(None).otherwise(csat.cast(pl.Int16, strict=False))
        defect = self._cell("defect")
        ok.append((defect == "") | defect.is_in(_TRUE_FORMS) | defect.is_in(_FALSE_FORMS))
        cols["defect"] = (
            pl.when(defect.is_in(_TRUE_FORMS)).then(True).when(defect.is_in(_FALSE_FORMS)).then(False)
        )
        frame = frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"))
        marked = frame.with_columns(_fast=pl.all_horizontal(ok), **{f"_v_{k}": v for k, v in cols.items()})
        fast = marked.filter(pl.col("_fast"))
        if self.custom:
            fast = self._custom(fast)
        slow = sorted(set(range(size)) - set(fast["_i"].to_list()))
        return FastChunk(slow, self._values(fast))

    def _custom(self, fast: pl.DataFrame) -> pl.DataFrame:
        """Type the custom fields of the fast rows with the row path's own function (``rows.custom_values``,
        one row at a time: Python's int/float/boolean reading is the rule); a row with a problem there
        leaves the fast rows, and the row path words its error. Adds ``_custom`` (the stored JSON) and
        ``_custom_fp`` (the fingerprint's part)."""
        names = sorted(self.custom, key=lambda n: self.headers.index(self.custom[n]))  # the row path's order
        typed_columns = []
        for name in names:
            seen: dict[str, tuple[Any, bool]] = {}  # each distinct cell is typed once
            typed = []
            for cell in fast[self.custom[name]].to_list():
                hit = seen.get(cell)
                if hit is None:
                    errors: list[tuple[str, str]] = []
                    value = rows.custom_values([(name, cell)], self.ctx, errors).get(name, _ABSENT)
                    hit = seen[cell] = (value, bool(errors))
                typed.append(hit)
            typed_columns.append(typed)
        keep, stored, printed = [], [], []
        for row in zip(*typed_columns, strict=True):
            custom = {n: v for n, (v, _bad) in zip(names, row, strict=True) if v is not _ABSENT}
            keep.append(not any(bad for _v, bad in row))
            stored.append(json.dumps(custom, ensure_ascii=False) if custom else "{}")
            printed.append(json.dumps(custom, sort_keys=True, ensure_ascii=False) if custom else "")
        return fast.with_columns(
            pl.Series("_custom", stored, dtype=pl.Utf8),
            pl.Series("_custom_fp", printed, dtype=pl.Utf8),
            pl.Series("_keep", keep, dtype=pl.Boolean),
        ).filter(pl.col("_keep"))

    def _values(self, fast: pl.DataFrame) -> pl.DataFrame:
        """Staging columns, day, fingerprint and microsecond timestamps of the fast rows."""
        names = (*rows.TEXTS, *rows.TIMESTAMPS, PAUSE_FROM, PAUSE_TO, "csat", "defect")
        v = {name: pl.col(f"_v_{name}") for name in names}
        us = {name: v[name].dt.epoch("us") for name in (*rows.TIMESTAMPS, PAUSE_FROM, PAUSE_TO)}
        # as json.dumps([[start.isoformat(), end.isoformat()]]) of the UTC instants
        pause = pl.concat_str(
            [pl.lit('[["'), _iso(v[PAUSE_FROM]), pl.lit('", "'), _iso(v[PAUSE_TO]), pl.lit('"]]')]
        )
        day = pl.coalesce(v["opened_at"], v["promised_at"]).dt.convert_time_zone(self.tz).dt.date()
        parts = [
            v["kind"],
            *[us[n].cast(pl.Utf8).fill_null("") for n in rows.TIMESTAMPS],
            v["priority"],
            v["category"],
            v["status"],
            v["csat"].cast(pl.Utf8).fill_null(""),
            pl.when(v["defect"]).then(pl.lit("1")).when(~v["defect"]).then(pl.lit("0")).otherwise(pl.lit("")),
            pause.fill_null(""),
            pl.col("_custom_fp") if self.custom else pl.lit(""),
        ]
        text = pl.concat_str(
            [pl.concat_str([p.str.len_chars().cast(pl.Utf8), pl.lit(":"), p]) for p in parts]
        )
        out = fast.select(
            "_i",
            v["external_id"].alias("external_id"),
            v["kind"].alias("kind"),
            *[self._db_instant(v[n]).alias(n) for n in rows.TIMESTAMPS],
            v["priority"].alias("priority"),
            v["category"].alias("category"),
            v["status"].alias("status"),
            v["csat"].alias("csat"),
            v["defect"].alias("defect"),
            pause.fill_null("[]").alias("pauses"),
            (pl.col("_custom") if self.custom else pl.lit("{}")).alias("custom"),
            day.alias("_day"),
            *[us[n].alias(f"_us_{n}") for n in (*rows.TIMESTAMPS, PAUSE_FROM, PAUSE_TO)],
            text.alias("_fp_text"),
        )
        fps = [rows.hash_text(t) for t in out["_fp_text"].to_list()]
        return out.drop("_fp_text").with_columns(
            pl.col("_day").cast(pl.Utf8).alias("day"), pl.Series("fingerprint", fps, dtype=pl.Utf8)
        )

    def _db_instant(self, instant: pl.Expr) -> pl.Expr:
        """The text the database is given: naive UTC as Django's SQLite backend writes it; for
        PostgreSQL the same with ``+00:00``."""
        return _utc_text(instant, " ", "" if self.sqlite else "+00:00")

    # -- observations --------------------------------------------------------------------------------

    def _index(self, cal: businesstime.BusinessCalendar, hi: int) -> tuple[pl.Series, pl.Series, pl.Series]:
        idx = cal.index
        cached = self._index_cache.get(id(cal))
        if cached is not None and cached[0] > hi:
            return cached[1], cached[2], cached[3]
        idx.cumulative(hi)  # builds the years up to hi
        n = len(idx.cum)
        series = (
            pl.Series(idx.starts[:n], dtype=pl.Int64),
            pl.Series(idx.ends[:n], dtype=pl.Int64),
            pl.Series(idx.cum[:n], dtype=pl.Int64),
        )
        self._index_cache[id(cal)] = (idx.built_until, *series)
        return series

    def _cumulative(self, cal: businesstime.BusinessCalendar, ts: pl.Series) -> pl.Series:
        """``CalendarIndex.cumulative`` for a column of whole UTC seconds (no nulls)."""
        if ts.len() == 0:
            return ts
        hi = int(ts.max())  # type: ignore[arg-type]
        starts, ends, cum = self._index(cal, hi)
        pos = starts.search_sorted(ts, side="right").cast(pl.Int64) - 1
        frame = pl.DataFrame({"ts": ts, "pos": pos})
        safe = frame["pos"].clip(lower_bound=0)
        frame = frame.with_columns(s=starts.gather(safe), e=ends.gather(safe), c=cum.gather(safe))
        return frame.select(
            pl.when(pl.col("pos") < 0)
            .then(0)
            .otherwise(pl.col("c") + pl.min_horizontal(pl.col("ts"), pl.col("e")) - pl.col("s"))
        ).to_series()

    def observations(self, counted: pl.DataFrame, deltas: engine.Deltas) -> None:
        """Add the observations of ``counted`` (fast rows that become new or updated records) to the
        deltas, per (metric, day) with the runners of the contract version in force on each day."""
        if counted.height == 0:
            return
        days = counted["_day"].unique().to_list()
        groups: dict[int, tuple[list[engine.Runner], list[date]]] = {}
        for d in days:
            runners = self.cache.runners_for_day(d)
            groups.setdefault(id(runners), (runners, []))[1].append(d)
        for runners, group_days in groups.values():
            part = counted.filter(pl.col("_day").is_in(group_days)) if len(groups) > 1 else counted
            for runner in runners:
                self._observe(runner, part, deltas)

    def _observe(self, runner: engine.Runner, part: pl.DataFrame, deltas: engine.Deltas) -> None:
        d = runner.definition
        cond = pl.lit(True)
        if d.record_kind is not None:
            cond = cond & (pl.col("kind") == d.record_kind)
        for c in d.filter:
            actual = pl.col(c.field)
            if c.op == "in":
                cond = cond & actual.is_in([x for x in c.value if isinstance(x, str)])
            elif isinstance(c.value, str):
                cond = cond & ((actual == c.value) if c.op == "eq" else (actual != c.value))
            elif c.op == "eq":
                cond = cond & pl.lit(False)
        rows_ = part.filter(cond)
        if rows_.height == 0:
            return
        zero = pl.lit(0, dtype=pl.Int64)
        if d.kind in ("share_within", "duration"):
            a_us, b_us = pl.col(f"_us_{d.start_field}"), pl.col(f"_us_{d.end_field}")
            missing = a_us.is_null() | b_us.is_null()
            present = rows_.filter(~missing)
            a = present[f"_us_{d.start_field}"] // 1_000_000
            b = present[f"_us_{d.end_field}"] // 1_000_000
            cal = runner.calendar
            secs = self._cumulative(cal, b) - self._cumulative(cal, a)
            # A pause counts only inside [a, b) (as businesstime.business_seconds clips it).
            pa = pl.select(pl.max_horizontal(present[f"_us_{PAUSE_FROM}"] // 1_000_000, a)).to_series()
            pb = pl.select(pl.min_horizontal(present[f"_us_{PAUSE_TO}"] // 1_000_000, b)).to_series()
            has_pause = present[f"_us_{PAUSE_FROM}"].is_not_null()
            paused = pl.select((has_pause & (pb > pa)).fill_null(False)).to_series()
            if paused.any():
                lo, hi = pa.filter(paused), pb.filter(paused)
                inside = pl.zeros(present.height, dtype=pl.Int64, eager=True).scatter(
                    paused.arg_true(), self._cumulative(cal, hi) - self._cumulative(cal, lo)
                )
                secs = secs - inside
            secs = pl.select(pl.when(b > a).then(secs.clip(lower_bound=0)).otherwise(0)).to_series()
            limit = (d.threshold_minutes or 0) * 60
            timed = present.select("_day").with_columns(
                _hit=(secs <= limit) if d.kind == "share_within" else pl.lit(False),
                _missing=pl.lit(False),
                _total=secs,
                _value=secs if runner.keep_values else pl.lit(None, dtype=pl.Int64),
            )
            gone = (
                rows_.filter(missing)
                .select("_day")
                .with_columns(
                    _hit=pl.lit(False),
                    _missing=pl.lit(True),
                    _total=zero,
                    _value=pl.lit(None, dtype=pl.Int64),
                )
            )
            obs = pl.concat([timed, gone])
        elif d.kind == "count":
            obs = rows_.select("_day").with_columns(
                _hit=pl.lit(False), _missing=pl.lit(False), _total=zero, _value=pl.lit(None, dtype=pl.Int64)
            )
        elif d.kind == "rate" and d.flag is not None:
            obs = rows_.select(
                "_day",
                _hit=pl.col("defect").fill_null(False),
                _missing=pl.col("defect").is_null(),
                _total=zero,
                _value=pl.lit(None, dtype=pl.Int64),
            )
        elif d.kind == "rate":
            deadline, actual = pl.col(f"_us_{d.end_field}"), pl.col(f"_us_{d.start_field}")
            obs = rows_.select(
                "_day",
                _hit=deadline.is_not_null() & actual.is_not_null() & (actual <= deadline),
                _missing=deadline.is_null(),
                _total=zero,
                _value=pl.lit(None, dtype=pl.Int64),
            )
        else:  # average of csat
            obs = rows_.select(
                "_day",
                _hit=pl.lit(False),
                _missing=pl.col("csat").is_null(),
                _total=pl.col("csat").cast(pl.Int64).fill_null(0),
                _value=pl.lit(None, dtype=pl.Int64),
            )
        sums = obs.group_by("_day").agg(
            pl.len().alias("n"), pl.col("_hit").sum(), pl.col("_missing").sum(), pl.col("_total").sum()
        )
        # Percentile metrics: each record's exact business seconds, counted per (day, value).
        values: dict[date, dict[int, int]] = {}
        if runner.keep_values:
            counts = obs.filter(pl.col("_value").is_not_null()).group_by("_day", "_value").len()
            for day_, value, n in counts.iter_rows():
                values.setdefault(day_, {})[value] = n
        for day_, n, hits, missing_n, total in sums.iter_rows():
            deltas.add_sums(
                runner.metric_id, runner.def_hash, day_, n, hits, missing_n, total, values.get(day_, {})
            )


PAUSE_FROM, PAUSE_TO = "_pause_from", "_pause_to"
_ABSENT = object()  # a blank custom cell: the field is left out


def _utc_text(instant: pl.Expr, sep: str, suffix: str) -> pl.Expr:
    """A UTC instant as ``isoformat(sep)`` writes it (microseconds only when not zero), plus ``suffix``."""
    naive = instant.dt.replace_time_zone(None)
    return (
        pl.when(naive.dt.microsecond() == 0)
        .then(naive.dt.strftime(f"%Y-%m-%d{sep}%H:%M:%S"))
        .otherwise(naive.dt.strftime(f"%Y-%m-%d{sep}%H:%M:%S%.6f"))
        + suffix
    )


def _iso(instant: pl.Expr) -> pl.Expr:
    """``datetime.isoformat()`` of a UTC instant."""
    return _utc_text(instant, "T", "+00:00")
