"""Firmware catalogue: indexes the "model list" files of the firmware tree and finds a partner's model in it."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
import zlib
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Iterable

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.services.model_normalize import (
    FOLD,
    LENS_COMPATIBLE,
    LENS_OTHER,
    LENS_SAME,
    LENS_UNKNOWN,
    Lens,
    QueryForm,
    boundaries,
    clean_text,
    display_name,
    has_digit,
    lens_relation,
    looks_like_model,
    model_keys,
    model_lens,
    query_fallbacks,
    query_forms,
    split_lens,
)

log = logging.getLogger(__name__)

MODEL_LIST_NAMES = frozenset({"model list", "model list.txt"})
MAX_LIST_BYTES = 16 * 1024 * 1024  # a model list is text; anything this big is something else named so

# Scores, 0-100. Only an accepted match scores 100; everything offered for confirmation stays below.
ACCEPTED_SCORE = 100.0
AMBIGUOUS_EXACT_SCORE = 99.0
BEST_OFFERED_SCORE = 99.0
MIN_SCORE = 60.0  # below this the model is "not found" and the bot asks for a photo of the label
# A runner-up this far behind the best is noise, not a choice worth a button.
MARGIN = 15.0
NEAR_LIMIT = 3  # typo neighbours offered at most; a family (series, lens variants) may fill the whole limit
# The near-miss tier's floor (rapidfuzz's normalised Indel similarity): "IPC-HFW2439SP-SA-LED" still gets
# DH-IPC-HFW2449SP-S-LED-0280B (79), a model of another family is usually below it.
NEAR_MISS_SCORE = 70.0
_NEAR_WINDOW = 600  # sorted keys each side of the query the near-miss tier compares, a fraction of a millisecond
_LENS_CHECKED = 32  # best-scored hits whose names are parsed for their lens
# A family ranked by commonness: this many with the shortest tails (a big series can have hundreds).
_FAMILY_RANKED = 32
# How the lens a model has moves it among the candidates for a query that names one.
_LENS_BONUS = {LENS_SAME: 8.0, LENS_COMPATIBLE: 4.0, LENS_UNKNOWN: 0.0, LENS_OTHER: -6.0}
_COMMON_LENSES = (2.8, 3.6)  # the everyday fixed lenses of Dahua's cameras, in this order
# Lens codes put back into a query that left its lens out in the middle of a name ("-0280B-S5").
_LENS_CODES = tuple(
    Lens(mm, mm).dahua_code() for mm in (2.8, 3.6, 2.1, 4.0, 6.0, 8.0, 12.0, 16.0)
) + ("27135", "2712", "2812", "7035", "5364")
_WHOLE_NAME, _ACCEPTED_BEGINNING = 2, 1  # how surely a lens code put into the query names a model

_FOLDED_ALPHABET = "".join(sorted(set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".translate(FOLD))))
_WIDE_SCAN_BUDGET = 6000  # keys the last-resort scan may compare, about a millisecond
_PREFIX_SCAN_CAP = 256  # a family prefix ("hfw2") can match thousands; this many are enough to rank and refuse
_ORDERING_PREFIX = re.compile(r"^\s*\d{1,3}\s*[.)_\-]\s*(?=\S)")
_LINE_SEPARATORS = re.compile(r"[,;\t|]+")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")
# The common case, a plain ASCII model name alone in its piece, recognised without the Unicode path.
_ASCII_MODEL = re.compile(r"(?=[^ ]*\d)(?=[^ ]*[A-Za-z])[0-9A-Za-z][0-9A-Za-z.\-/_+()]{4,}")


class CatalogueError(Exception):
    """The tree cannot serve as a catalogue; reason is a short code, str() says why in words."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    model: str  # as first listed, tidied
    folders: tuple[str, ...]  # relative to the catalogue root, forward slashes


@dataclass(frozen=True, slots=True)
class CatalogueMatch:
    model: str
    score: float  # 0-100; 100 only for the accepted match
    folders: tuple[str, ...]
    lens: Lens | None = None  # what the name encodes (-0280B: 2.8 mm), for buttons people can read


@dataclass(frozen=True, slots=True)
class MatchResult:
    query: str
    accepted: CatalogueMatch | None  # when set, it is also candidates[0]
    candidates: tuple[CatalogueMatch, ...]  # best first; empty means "not found"
    family: bool = False  # the query begins all of them (a series, a model without its lens): a choice
    lens: Lens | None = None  # the focal length read from the query
    near_miss: bool = False  # only the last-resort spelling neighbours: the typed model may be another brand's

    @property
    def found(self) -> bool:
        return bool(self.candidates)

    @property
    def common_folders(self) -> tuple[str, ...]:
        """Folders holding every candidate: lens variants usually share one, so the link needs no choice."""
        if not self.candidates:
            return ()
        shared = set(self.candidates[0].folders)
        for candidate in self.candidates[1:]:
            shared &= set(candidate.folders)
        return tuple(f for f in self.candidates[0].folders if f in shared)


@dataclass(frozen=True, slots=True)
class _Scored:
    hits: dict[int, float]  # entry -> score
    accepted: int | None
    family: tuple[int, ...]  # entries the query begins, when there are several and none is accepted
    lens_tier_done: bool = False  # the lens-omitted tier has run (it is not cheap: no second time)


@dataclass(frozen=True, slots=True)
class SkippedFile:
    path: str  # relative to the catalogue root
    reason: str


def folder_title(folder: str) -> str:
    """A folder path for people: ordering prefixes such as "01. " dropped, levels joined with " / "."""
    if folder in ("", "."):
        return "/"
    parts = [_ORDERING_PREFIX.sub("", part).strip() or part for part in folder.split("/")]
    return " / ".join(parts)


def decode_model_list(data: bytes) -> str:
    """Text of a model list written by whatever editor was at hand; ValueError when it is not text."""
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Notepad's "Unicode"
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValueError("broken UTF-16 text") from exc
    elif b"\x00" in data:
        raise ValueError("binary file (NUL bytes)")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1251", errors="replace")  # the Russian Windows default
    controls = len(_CONTROL_CHARACTERS.findall(text))
    if controls > max(2, len(text) // 50):
        raise ValueError("binary file (control characters)")
    return text


def parse_model_list(text: str) -> tuple[list[str], int]:
    """Models named in a model list, in order, and the number of non-empty pieces that were not models."""
    models: list[str] = []
    ignored = 0
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        if not line.strip():
            continue
        for piece in _LINE_SEPARATORS.split(line):
            piece = piece.strip()
            if piece.isascii() and _ASCII_MODEL.fullmatch(piece):
                models.append(piece)
                continue
            piece = clean_text(piece)
            if not piece:
                continue
            # "DH-IPC-HFW2431S-S-S2 (снят с производства)": keep the model, drop the remark.
            found = [display_name(t) for t in piece.split(" ") if looks_like_model(t)]
            if found:
                models.extend(found)
            else:
                ignored += 1
    return models, ignored


def is_model_list(name: str) -> bool:
    return name.strip().casefold() in MODEL_LIST_NAMES


class _Packed:
    """Many short strings in one: a Python str costs ~50 bytes of overhead, these cost 4."""

    __slots__ = ("_text", "_offsets")

    def __init__(self, items: Iterable[str]) -> None:
        chunks: list[str] = []
        batch: list[str] = []
        offsets = array("I", [0])
        total = 0
        for item in items:
            batch.append(item)
            total += len(item)
            offsets.append(total)
            if len(batch) == 4096:  # joined in batches so that the items can be freed as we go
                chunks.append("".join(batch))
                batch.clear()
        chunks.append("".join(batch))
        self._text = "".join(chunks)
        self._offsets = offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index: int) -> str:
        return self._text[self._offsets[index] : self._offsets[index + 1]]


class Catalogue:
    """An immutable index of one catalogue tree; safe to share between tasks and threads.

    Layout, chosen to keep 100k models in a few tens of megabytes: every search key (a model's key and
    its shortened form) has an id that is its position among all search keys sorted in the folded
    alphabet. Exact lookups ask a dict of folded keys and bisect for the position; prefixes are ranges.
    """

    def __init__(
        self,
        listing: Iterable[tuple[str, str]],
        *,
        root: Path | None = None,
        skipped_files: Iterable[SkippedFile] = (),
        files_read: int = 0,
        ignored_pieces: int = 0,
    ) -> None:
        self.root = root
        self.skipped_files: tuple[SkippedFile, ...] = tuple(skipped_files)
        self.files_read = files_read
        self.ignored_pieces = ignored_pieces
        self._build(listing)

    # --- loading ---------------------------------------------------------------------------------------

    @classmethod
    def empty(cls, root: Path | None = None) -> Catalogue:
        return cls((), root=root)

    def pick(self, index: int, version: int) -> MatchResult | None:
        """The model a button sent earlier names, as an accepted match; None if the catalogue has changed."""
        if version != self.version or not 0 <= index < self._count:
            return None
        chosen = self._candidate(index, ACCEPTED_SCORE)
        return MatchResult(chosen.model, chosen, (chosen,))

    @classmethod
    def load(cls, root: Path | str) -> Catalogue:
        """Read every model list under root. A file that cannot be read is skipped and reported, not fatal."""
        root = Path(root)
        if not root.exists():
            raise CatalogueError("missing", f"catalogue directory does not exist: {root}")
        if not root.is_dir():
            raise CatalogueError("not_a_directory", f"catalogue path is not a directory: {root}")
        try:
            with os.scandir(root) as listing_of_root:
                next(listing_of_root, None)
        except OSError as exc:
            raise CatalogueError("unreadable", f"catalogue directory cannot be read: {root}: {exc}") from exc

        listing: list[tuple[str, str]] = []
        skipped: list[SkippedFile] = []
        files_read = 0
        ignored = 0

        def walk_error(exc: OSError) -> None:
            rel = Path(exc.filename).relative_to(root).as_posix() if exc.filename else "?"
            skipped.append(SkippedFile(rel, f"folder cannot be read: {exc.strerror or exc}"))

        for dirpath, dirnames, filenames in os.walk(root, onerror=walk_error):
            # Hidden folders and the NAS's thumbnail/recycle folders are never part of the published tree.
            dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "@", "#")))
            folder = Path(dirpath).relative_to(root).as_posix()
            for filename in sorted(filenames):
                if not is_model_list(filename):
                    continue
                path = Path(dirpath, filename)
                rel = path.relative_to(root).as_posix()
                try:
                    size = path.stat().st_size
                    if size > MAX_LIST_BYTES:
                        raise ValueError(f"too large for a model list ({size} bytes)")
                    text = decode_model_list(path.read_bytes())
                except OSError as exc:
                    reason = f"cannot be read: {exc.strerror or exc}"
                except ValueError as exc:
                    reason = str(exc)
                else:
                    models, bad = parse_model_list(text)
                    files_read += 1
                    ignored += bad
                    listing.extend((model, folder) for model in models)
                    continue
                log.warning("firmware catalogue: skipped %s: %s", rel, reason)
                skipped.append(SkippedFile(rel, reason))
        return cls(listing, root=root, skipped_files=skipped, files_read=files_read, ignored_pieces=ignored)

    def _build(self, listing: Iterable[tuple[str, str]]) -> None:
        # Memory matters here more than elegance: the peak of this method is what the process keeps.
        entry_of_key: dict[str, int] = {}
        names: list[str] = []
        folder_of: list[str | list[str]] = []  # a list only for the few models listed in several folders
        keys: list[str] = []
        alternates: list[str | None] = []
        for name, folder in listing:
            mk = model_keys(name)
            if not has_digit(mk.key):
                continue
            index = entry_of_key.get(mk.key)
            if index is None:
                # DH-X and DHI-X are one device: the first spelling names it, the folders add up.
                entry_of_key[mk.key] = len(names)
                names.append(display_name(name))
                folder_of.append(folder)
                keys.append(mk.key)
                alternates.append(mk.alternate)
                continue
            known = folder_of[index]
            if isinstance(known, str):
                if known != folder:
                    folder_of[index] = [known, folder]
            elif folder not in known:
                known.append(folder)
        del entry_of_key

        # Thousands of models share a folder set: one tuple object per distinct set.
        single: dict[str, tuple[str]] = {}
        several: dict[tuple[str, ...], tuple[str, ...]] = {}
        folder_sets: list[tuple[str, ...]] = []
        members: dict[str, array] = {}
        for index, folders in enumerate(folder_of):
            if isinstance(folders, str):
                folder_tuple = single.get(folders) or single.setdefault(folders, (folders,))
            else:
                folder_tuple = several.setdefault(tuple(folders), tuple(folders))
            folder_sets.append(folder_tuple)
            for folder in folder_tuple:
                members.setdefault(folder, array("I")).append(index)
        self._names = _Packed(names)
        # Buttons name a model by its position; this tells a press from before a reload that changed the list.
        self.version = zlib.crc32("\n".join(names).encode("utf-8"))
        self._folder_sets = folder_sets
        self._members = members
        self._count = len(names)
        del names, folder_of, single, several

        # Search keys: every model's key, then the shortened ones; then sorted in the folded alphabet.
        shortened = len(keys)
        owner = array("I", range(len(keys)))
        owner.extend(index for index, a in enumerate(alternates) if a)
        literal = _Packed(chain(keys, (a for a in alternates if a)))
        del keys, alternates
        folded = [literal[sid].translate(FOLD) for sid in range(len(literal))]
        order = sorted(range(len(literal)), key=folded.__getitem__)
        sorted_folded: list[str] = []
        previous = None
        for sid in order:
            fkey = folded[sid]
            if fkey == previous:
                fkey = previous  # one string object per distinct folded key
            sorted_folded.append(fkey)
            previous = fkey
        del folded
        self._sorted = sorted_folded
        self._keys = _Packed(literal[sid] for sid in order)
        self._owner = array("I", (owner[sid] for sid in order))
        self._shortened = bytearray(sid >= shortened for sid in order)
        del order, literal, owner
        self._folded = dict.fromkeys(sorted_folded)  # membership only: the position comes from bisect

    # --- facts -----------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    def entry(self, index: int) -> CatalogueEntry:
        return CatalogueEntry(self._names[index], self._folder_sets[index])

    @property
    def entries(self) -> tuple[CatalogueEntry, ...]:
        return tuple(self.entry(i) for i in range(self._count))

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self._names[i] for i in range(self._count))

    @property
    def folders(self) -> tuple[str, ...]:
        """Folders that list at least one model, sorted."""
        return tuple(sorted(self._members))

    def models_in(self, folder: str) -> tuple[str, ...]:
        return tuple(self._names[i] for i in self._members.get(folder, ()))

    def lookup(self, model: str) -> CatalogueEntry | None:
        """The entry for a model written in any of its spellings (case, DH-/DHI-, dashes); no fuzzy guessing."""
        key = model_keys(model).key
        for sid in self._positions(key.translate(FOLD)):
            if not self._shortened[sid] and self._keys[sid] == key:
                return self.entry(self._owner[sid])
        return None

    def folders_for(self, model: str) -> tuple[str, ...]:
        entry = self.lookup(model)
        return entry.folders if entry else ()

    def index_of(self, model: str) -> int | None:
        """The position of a listed model (as the matcher names it), for buttons that must stay short."""
        key = model_keys(model).key
        for sid in self._positions(key.translate(FOLD)):
            if not self._shortened[sid] and self._keys[sid] == key:
                return self._owner[sid]
        return None

    def _positions(self, fkey: str) -> range:
        """Ids of the search keys whose folded form is fkey."""
        if fkey not in self._folded:
            return range(0)
        start = bisect_left(self._sorted, fkey)
        stop = start + 1
        while stop < len(self._sorted) and self._sorted[stop] == fkey:
            stop += 1
        return range(start, stop)

    def _range(self, fprefix: str) -> tuple[int, int]:
        """Ids of the search keys whose folded form begins with fprefix."""
        low = bisect_left(self._sorted, fprefix)
        return low, bisect_left(self._sorted, fprefix + "~", low)  # "~" sorts after every key character

    def _literal(self, form: QueryForm, sid: int) -> str:
        """The key to compare the form with: literal for Latin readings, folded for readings by sound."""
        return self._sorted[sid] if form.folded else self._keys[sid]

    # --- matching --------------------------------------------------------------------------------------

    def match(self, query: str, limit: int = 3) -> MatchResult:
        """Find a typed model: exact key, then unique prefix, then typos; accept only the unambiguous.

        A focal length written anywhere in the query ("2,8 мм", "f2.8", "2.7~13.5") picks the lens variant;
        the beginning of several models (a series, a model without its lens) gives that family; anything
        else with a model's shape gets its nearest models, and only text with no model in it gets nothing.
        """
        limit = max(1, limit)
        reading = split_lens(query)
        result = MatchResult(query, None, ())
        if reading is None or (not reading.marked and self._names_exactly(query)):
            # A word of the query alone must not win over the lens ("HFW2431T-ZS-S2 2.7-13.5"), hence no
            # fallbacks with a lens.
            result = self._plain(query, limit, fallbacks=reading is None)
            if result.accepted is not None:
                return result  # "AT NC 4B4M 2.8": the bare "lens" is part of a listed name
        if reading is not None:
            lensed, helped = self._lensed(query, reading.rest, reading.lens, limit)
            if not helped and not reading.marked:
                # A bare "2.7" may still be the beginning of a listed "-2.7-13.5": the whole text decides.
                result = self._plain(query, limit, fallbacks=False)
                if result.accepted is not None:
                    return result
            if helped or not result.candidates:
                result = lensed
        if not result.candidates:
            result = self._near_misses(query, limit)
        return result

    def _names_exactly(self, query: str) -> bool:
        """Whether the whole text is some listed model's key: the cheap first look before a lens is cut out."""
        return any(self._exact_entries(form)[0] for form in query_forms(query) if has_digit(form.key))

    def _plain(self, query: str, limit: int, fallbacks: bool = True) -> MatchResult:
        forms = [f for f in query_forms(query) if has_digit(f.key)]
        result = self._result(query, self._score_forms(forms, limit), limit)
        if not result.candidates and fallbacks:
            # Cheap second chance for a model buried in a sentence: each word with digits on its own.
            for word in query_fallbacks(query):
                scored = self._score_forms([f for f in query_forms(word) if has_digit(f.key)], limit)
                retry = self._result(query, scored, limit)
                if retry.candidates:
                    return retry
        return result

    def _score_forms(self, forms: list[QueryForm], limit: int) -> _Scored:
        if not forms or not self._count:
            return _Scored({}, None, ())
        hits: dict[int, float] = {}  # entry -> best score so far
        accepted: int | None = None
        by_prefix = False
        family: set[int] = set()  # entries the query begins (when it names no model exactly)
        lens_tier_done = False

        exact_by_form = [(form, *self._exact_entries(form)) for form in forms]
        exact = set().union(*(found for _, found, _ in exact_by_form))
        shortened_only = all(shortened for _, found, shortened in exact_by_form if found)
        if len(exact) == 1 and shortened_only and self._others_begin_with(forms, exact):
            # "nvr1104" is ATIX's AT-NVR-1104 without "AT-" but also how Dahua's NVR1104HS-S3/H begins:
            # a shortened spelling is only accepted when nothing else begins the same way.
            hits[next(iter(exact))] = AMBIGUOUS_EXACT_SCORE
            self._prefix_tier(forms, hits, set())
            exact = set()
            near_forms = forms
        elif len(exact) == 1:
            accepted = next(iter(exact))
            near_forms = [next(form for form, found, _ in exact_by_form if found)]
        else:
            for entry in exact:
                hits[entry] = AMBIGUOUS_EXACT_SCORE
            near_forms = forms
            if not exact:
                accepted = self._prefix_tier(forms, hits, family)
                by_prefix = accepted is not None
                if len(family) <= 1:
                    # "…-A-LED-S2" begins "…-A-LED-S2-0360B" but is also "…-A-LED-0360B-S2" without its lens.
                    omitted, lens_tier_done = self._lens_omitted_tier(forms, hits), True
                    if omitted - family:
                        family |= omitted
                        accepted = next(iter(family)) if len(family) == 1 else None
                        by_prefix = accepted is not None

        one_typo_away: set[int] = set()
        if limit > 1 or accepted is None or by_prefix:
            for form in near_forms:
                one_typo_away |= self._typo_tier(form, hits)
        if by_prefix and one_typo_away - {accepted}:
            # "…-2.7" begins "…-2.7-13.5" but is also one typo from "…-2.8": a missing tail is no likelier.
            accepted = None
        if not exact:
            for form in forms:
                self._typo_and_tail_tier(form, hits)
        if not hits and accepted is None:
            for form in forms:
                self._wide_tier(form, hits)
        if accepted is not None or len(family) < 2:
            family = set()
        return _Scored(hits, accepted, tuple(family), lens_tier_done)

    def _result(self, query: str, scored: _Scored, limit: int, lens: Lens | None = None) -> MatchResult:
        hits, accepted = dict(scored.hits), scored.accepted
        if accepted is not None:
            hits.pop(accepted, None)
        names = self._names
        candidates: list[CatalogueMatch] = []
        if accepted is not None:
            candidates.append(self._candidate(accepted, ACCEPTED_SCORE))
        if scored.family:
            # Every member fits what was typed equally well: the likeliest is the most common (see _common_first).
            shortest = sorted(scored.family, key=lambda e: (-hits[e], e))[:_FAMILY_RANKED]
            members = self._common_first(shortest, lens)[:limit]
            best = min(BEST_OFFERED_SCORE, round(max(hits[e] for e in members), 1))
            candidates.extend(self._candidate(e, round(best - 0.1 * rank, 1)) for rank, e in enumerate(members))
            return MatchResult(query, None, tuple(candidates), family=True, lens=lens)
        ranked = sorted(hits.items(), key=lambda item: (-item[1], names[item[0]]))
        best = candidates[0].score if candidates else (ranked[0][1] if ranked else 0.0)
        for index, score in ranked:
            if len(candidates) >= min(limit, NEAR_LIMIT) or score < MIN_SCORE or score < best - MARGIN:
                break
            candidates.append(self._candidate(index, min(round(score, 1), BEST_OFFERED_SCORE)))
        return MatchResult(query, candidates[0] if accepted is not None else None, tuple(candidates), lens=lens)

    def _candidate(self, entry: int, score: float) -> CatalogueMatch:
        name = self._names[entry]
        found = model_lens(name)
        return CatalogueMatch(name, score, self._folder_sets[entry], found.lens if found else None)

    def _common_first(self, family: Iterable[int], lens: Lens | None) -> list[int]:
        """Family members, the most common first. With no sales figures to go by, the catalogue itself says:
        the lens asked for first; then the base model before its options (fewer name segments, the lens
        code not counted: -8P, -LED, -PV each count one); then the everyday lenses, 2.8 mm before 3.6 mm
        before the rest by focal length, varifocal last; then the order of the model lists."""

        def order(entry: int) -> tuple:
            name = self._names[entry]
            found = model_lens(name)
            segments = name.count("-") + name.count("/")
            relation = lens_relation(lens, found.lens if found else None) if lens is not None else 0
            if found is None:
                lens_rank: tuple = (0, 0.0)
            else:
                if found.code:  # "-0280B", ATIX's "-2.8" one dash; ATIX's "-2.7-13.5" two
                    segments -= 2 if name.startswith("AT-") and found.lens.varifocal else 1
                wide = found.lens.wide
                lens_rank = (_COMMON_LENSES.index(wide), 0.0) if found.lens.fixed and wide in _COMMON_LENSES else (
                    (len(_COMMON_LENSES), wide) if found.lens.fixed else (len(_COMMON_LENSES) + 1, wide or 0.0))
            return relation, segments, lens_rank, entry

        return sorted(family, key=order)

    def _lensed(self, query: str, rest: str, lens: Lens, limit: int) -> tuple[MatchResult, bool]:
        """The query read as a model plus a focal length; helped says whether the lens singled anything out."""
        forms = [f for f in query_forms(rest) if has_digit(f.key)]
        scored = self._score_forms(forms, max(limit, 2))
        for word in query_fallbacks(rest) if not scored.hits and scored.accepted is None else ():
            forms = [f for f in query_forms(word) if has_digit(f.key)]  # "у меня hfw2431sp-s 2.8 не видит"
            scored = self._score_forms(forms, max(limit, 2))
            if scored.hits or scored.accepted is not None:
                break
        hits = dict(scored.hits)
        if scored.accepted is not None:
            hits[scored.accepted] = ACCEPTED_SCORE
            # "HFW2431T-ZS-S2" names a model, and is also "HFW2431T-ZS-27135-S2" without its lens.
            self._prefix_tier(forms, hits, set())
        if not scored.lens_tier_done:
            self._lens_omitted_tier(forms, hits)
        if not hits:
            return self._result(query, scored, limit, lens), False
        top = sorted(hits, key=hits.__getitem__, reverse=True)[:_LENS_CHECKED]
        relation = {}
        for entry in top:
            found = model_lens(self._names[entry])
            relation[entry] = lens_relation(lens, found.lens if found else None)
        same = [e for e in top if relation[e] == LENS_SAME]

        accepted = scored.accepted
        if accepted is not None and relation[accepted] != LENS_SAME and (same or relation[accepted] == LENS_OTHER):
            accepted = None  # another variant has the lens asked for, or "…-0280B 3.6 мм" contradicts itself
        if accepted is not None and relation[accepted] == LENS_SAME and len(same) > 1:
            accepted = None  # "…-A-S2 2.8": "…-A-S2-0280B-S2" begins so, "…-A-0280B-S2" is it with the lens put in
        if accepted is None and same:
            # The lens code put where each name has it: one whole name wins, else one accepted beginning.
            strength = {e: self._with_lens_code(forms, e) for e in same[:4]}
            for level in (_WHOLE_NAME, _ACCEPTED_BEGINNING):
                confirmed = [e for e, found in strength.items() if found == level]
                if confirmed:
                    accepted = confirmed[0] if len(confirmed) == 1 else None
                    break
        if accepted is not None:
            hits.pop(accepted, None)
            adjusted = {e: s + _LENS_BONUS[relation.get(e, LENS_UNKNOWN)] for e, s in hits.items()}
            return self._result(query, _Scored(adjusted, accepted, ()), limit, lens), True
        if not same and not any(relation[e] == LENS_COMPATIBLE for e in top):
            if scored.accepted is not None:  # named exactly, but with another lens: a choice, not an answer
                adjusted = {e: s + _LENS_BONUS[relation.get(e, LENS_UNKNOWN)] for e, s in hits.items()}
                return self._result(query, _Scored(adjusted, None, ()), limit, lens), False
            return self._result(query, scored, limit, lens), False
        if scored.family:
            return self._result(query, scored, limit, lens), True
        adjusted = {e: s + _LENS_BONUS[relation.get(e, LENS_UNKNOWN)] for e, s in hits.items()}
        return self._result(query, _Scored(adjusted, None, ()), limit, lens), True

    def _with_lens_code(self, forms: list[QueryForm], entry: int) -> int:
        """Whether the query with entry's lens code put where the name has it is entry's whole name
        (_WHOLE_NAME), is accepted as entry by the matcher (_ACCEPTED_BEGINNING), or neither (0)."""
        found = model_lens(self._names[entry])
        if found is None or not found.code:
            return 0
        full = model_keys(self._names[entry])
        skip = len(full.segments[0]) if full.alternate else 0
        for form in forms:
            if form.folded:
                continue
            for offset, key in ((found.offset, full.key), (found.offset - skip, full.alternate)):
                if not key or not 0 < offset <= len(form.key):
                    continue
                typed = form.key[:offset] + found.code + form.key[offset:]
                if typed == key:
                    return _WHOLE_NAME
                if not key.startswith(typed):
                    continue  # cheap refusal before the whole matcher runs
                again = self._score_forms([QueryForm(typed, False, form.penalty, form.reading)], 2)
                if again.accepted == entry:
                    return _ACCEPTED_BEGINNING
        return 0

    def _lens_omitted_tier(self, forms: list[QueryForm], hits: dict[int, float]) -> set[int]:
        """Models that are the query with a lens code put back inside ("HFW1230S1-S5" for "…-0280B-S5")."""
        found: set[int] = set()
        for form in forms[:1]:
            q = form.key
            if form.folded or len(q) < 6 or any(code in q[8:] for code in _LENS_CODES):
                continue  # a query that has its lens code (after the series number) did not leave it out
            # The part before the lens begins some key, so the lens can only go where the query still does.
            fq = q.translate(FOLD)
            known = self._known_prefix_length(fq)
            for offset in range(3, min(known, len(q) - 1) + 1):
                head, tail = q[:offset], q[offset:]
                fhead, ftail = fq[:offset], fq[offset:]
                for code in _LENS_CODES:  # lens codes are digits and B, the same once folded
                    fkey = fhead + code + ftail
                    if fkey not in self._folded:
                        continue
                    for sid in self._positions(fkey):
                        key = self._keys[sid]
                        if key != head + code + tail:
                            continue
                        entry = self._owner[sid]
                        lens = model_lens(self._names[entry])
                        shift = len(model_keys(self._names[entry]).key) - len(key)
                        if lens is None or lens.code != code or lens.offset - shift != offset:
                            continue
                        found.add(entry)
                        score = 100.0 * (1.0 - 1.0 / (len(q) + 1)) - form.penalty
                        hits[entry] = max(hits.get(entry, 0.0), score)
        return found

    def _near_misses(self, query: str, limit: int) -> MatchResult:
        """The last answer before "not found": the models nearest in spelling, for text shaped like a model.

        Only the sorted neighbourhood of the query is compared (typos in the first letters are the typo
        tier's), so the work stays bounded whatever the catalogue's size.
        """
        words = query_fallbacks(query) or [query]
        hits: dict[int, float] = {}
        for word in words:
            for form in [f for f in query_forms(word) if has_digit(f.key) and len(f.key) >= 5][:2]:
                fq = form.key if form.folded else form.key.translate(FOLD)
                position = bisect_left(self._sorted, fq)
                low = max(0, position - _NEAR_WINDOW)
                window = self._sorted[low : position + _NEAR_WINDOW]
                for _, similarity, offset in process.extract(
                    fq, window, scorer=fuzz.ratio, score_cutoff=NEAR_MISS_SCORE, limit=8
                ):
                    entry = self._owner[low + offset]
                    score = min(similarity - form.penalty, BEST_OFFERED_SCORE)
                    if hits.get(entry, 0.0) < score:
                        hits[entry] = score
        names = self._names
        ranked = sorted(hits.items(), key=lambda item: (-item[1], names[item[0]]))
        best = ranked[0][1] if ranked else 0.0
        candidates = tuple(
            self._candidate(entry, round(score, 1))
            for entry, score in ranked[: min(limit, NEAR_LIMIT)]
            if score >= best - MARGIN
        )
        return MatchResult(query, None, candidates, near_miss=bool(candidates))

    def _others_begin_with(self, forms: list[QueryForm], exact: set[int]) -> bool:
        for form in forms:
            low, high = self._range(form.key if form.folded else form.key.translate(FOLD))
            if any(self._owner[sid] not in exact for sid in range(low, min(high, low + _PREFIX_SCAN_CAP))):
                return True
        return False

    def _exact_entries(self, form: QueryForm) -> tuple[set[int], bool]:
        """Entries whose key is the query, and whether only through a shortened key.

        A full key beats a shortened one: "HFW1200T" listed on its own is meant, not IPC-HFW1200T.
        """
        full: set[int] = set()
        shortened: set[int] = set()
        for sid in self._positions(form.key if form.folded else form.key.translate(FOLD)):
            if form.folded or self._keys[sid] == form.key:
                (shortened if self._shortened[sid] else full).add(self._owner[sid])
        return (full, False) if full else (shortened, bool(shortened))

    def _prefix_tier(self, forms: list[QueryForm], hits: dict[int, float], family: set[int]) -> int | None:
        """Keys the query begins. One entry, with the query ending at a written segment boundary after the
        model's main part ("IPC-HFW2431SP-S" for "…-S-0280B"), is accepted; a family ("hfw2431") never is."""
        found: dict[int, tuple[float, int, int, int]] = {}  # entry -> (penalty, tail, search key id, query length)
        for form in forms:
            q = form.key
            if len(q) < 4:
                continue
            low, high = self._range(q if form.folded else q.translate(FOLD))
            for sid in range(low, min(high, low + _PREFIX_SCAN_CAP)):
                key = self._keys[sid]
                if len(key) == len(q) or not (form.folded or key.startswith(q)):
                    continue
                tail = len(key) - len(q)
                entry = self._owner[sid]
                if entry not in found or found[entry][1] > tail:
                    found[entry] = (form.penalty, tail, sid, len(q))
        if not found:
            return None
        family.update(found)
        ranked = sorted(found.items(), key=lambda item: item[1][:2])
        for rank, (entry, (penalty, tail, sid, length)) in enumerate(ranked):
            key_length = length + tail
            # Only the best few are worth parsing the name again.
            if rank < 8 and self._ends_at_boundary(sid, length):
                # Partners leave out lens codes and generations all the time: a whole missing tail
                # ranks above any one-typo neighbour, a shorter tail above a longer one.
                score = 100.0 * (1.0 - 1.0 / (length + 1)) + 2.0 * (1.0 - tail / key_length)
            else:
                # Stopping inside a segment ("hfw2431") is a family, not a model: like a few typos.
                score = 100.0 * (1.0 - min(tail, 1.0 + tail / 4.0) / key_length)
            score -= penalty
            hits[entry] = max(hits.get(entry, 0.0), score)
        if len(ranked) == 1:
            entry, (_, _, sid, length) = ranked[0]
            if self._ends_at_boundary(sid, length):
                return entry
        return None

    def _ends_at_boundary(self, sid: int, query_length: int) -> bool:
        segments = model_keys(self._names[self._owner[sid]]).segments
        ends, main_end = boundaries(segments, self._shortened[sid])
        return query_length >= main_end and query_length in ends

    def _score(self, form: QueryForm, key: str, distance: int) -> float:
        return 100.0 * (1.0 - distance / max(len(form.key), len(key))) - form.penalty

    def _typo_tier(self, form: QueryForm, hits: dict[int, float]) -> set[int]:
        """Keys one typo (missing, extra, wrong or swapped character) from the query; returns their entries.

        Every spelling one edit away from the query is looked up in the key index: about 1,000 lookups,
        complete, and independent of the catalogue's size.
        """
        q = form.key
        if len(q) < 4:
            return set()
        fq = q if form.folded else q.translate(FOLD)
        close: set[int] = set()
        spellings = _one_edit(fq)
        if not form.folded:
            spellings.add(fq)  # "PFC…" for "PFS…": one typo, but the same key once folded
        for fkey in self._folded.keys() & spellings:
            for sid in self._positions(fkey):
                key = self._keys[sid]
                # Folding can hide a second difference (C for S): the literal distance decides.
                distance = 1 if form.folded else OSA.distance(q, key, score_cutoff=3)
                if distance == 0 or distance > 2 or (distance == 2 and len(q) < 8):
                    continue
                entry = self._owner[sid]
                if distance == 1:
                    close.add(entry)
                score = self._score(form, key, distance)
                if hits.get(entry, 0.0) < score:
                    hits[entry] = score
        return close

    def _known_prefix_length(self, fq: str) -> int:
        """Length of the longest beginning of fq that some key also begins with."""
        low, high = 0, len(fq)
        while low < high:
            middle = (low + high + 1) // 2
            start, stop = self._range(fq[:middle])
            if start < stop:
                low = middle
            else:
                high = middle - 1
        return low

    def _typo_and_tail_tier(self, form: QueryForm, hits: dict[int, float]) -> None:
        """A typo and a missing tail together ("hfw2413sp-s" for "HFW2431SP-S-0280B").

        The typo is where the query stops being the beginning of any key, so only edits around that
        point are tried, each as a key beginning.
        """
        q = form.key
        lq = len(q)
        if lq < 6:
            return
        fq = q if form.folded else q.translate(FOLD)
        known = self._known_prefix_length(fq)
        if known >= lq:
            return  # the query begins some key: the prefix tier has it
        variants: set[str] = set()
        for i in range(max(0, known - 1), min(lq, known + 2)):
            head, rest = fq[:i], fq[i:]
            variants.add(head + rest[1:])
            variants.update(head + ch + rest[1:] for ch in _FOLDED_ALPHABET)
            variants.update(head + ch + rest for ch in _FOLDED_ALPHABET)
            if len(rest) > 1:
                variants.add(head + rest[1] + rest[0] + rest[2:])
        variants.discard(fq)
        for variant in variants:
            low, high = self._range(variant)
            for sid in range(low, min(high, low + 16)):
                if len(self._sorted[sid]) <= len(variant) + 1:
                    continue  # complete keys and one-character tails are the typo tier's
                key = self._literal(form, sid)
                head = key[: len(variant)]
                distance = 1 if form.folded else OSA.distance(q, head, score_cutoff=2)
                if distance > 1:
                    continue
                score = self._score(form, head, distance) - 30.0 * (len(key) - len(variant)) / len(key) - 4.0
                entry = self._owner[sid]
                if hits.get(entry, 0.0) < score:
                    hits[entry] = score

    def _wide_tier(self, form: QueryForm, hits: dict[int, float]) -> None:
        """Last resort, two or three typos: scan the keys sharing the query's beginning, if few enough.

        Bounded work instead of a full scan: a model with typos in its first letters and nothing closer
        stays "not found", and the bot asks for a photo of the label.
        """
        q = form.key
        lq = len(q)
        if lq < 7:
            return
        max_distance = 2 if lq <= 11 else 3
        fq = q if form.folded else q.translate(FOLD)
        known = self._known_prefix_length(fq)
        if known == 0:
            return
        # The shortest known beginning whose keys fit the budget: the typo is most likely after it.
        low, high = 1, known
        while low < high:
            middle = (low + high) // 2
            start, stop = self._range(fq[:middle])
            if stop - start <= _WIDE_SCAN_BUDGET:
                high = middle
            else:
                low = middle + 1
        start, stop = self._range(fq[:low])
        if stop - start > _WIDE_SCAN_BUDGET:
            return
        choices = self._sorted[start:stop]
        for _, _, position in process.extract(fq, choices, scorer=OSA.distance, score_cutoff=max_distance, limit=20):
            sid = start + position
            key = self._literal(form, sid)
            distance = OSA.distance(q, key, score_cutoff=max_distance)
            if 0 < distance <= max_distance:
                entry = self._owner[sid]
                score = self._score(form, key, distance)
                if hits.get(entry, 0.0) < score:
                    hits[entry] = score


def _one_edit(word: str) -> set[str]:
    """Every string one deletion, insertion, substitution or swap away from word (folded alphabet)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {head + rest[1:] for head, rest in splits if rest}
    out.update(head + rest[1] + rest[0] + rest[2:] for head, rest in splits if len(rest) > 1)
    out.update(head + ch + rest[1:] for head, rest in splits if rest for ch in _FOLDED_ALPHABET)
    out.update(head + ch + rest for head, rest in splits for ch in _FOLDED_ALPHABET)
    out.discard(word)
    return out


@dataclass(frozen=True, slots=True)
class ReloadReport:
    ok: bool
    reason: str | None  # None when ok; else "missing", "not_a_directory", "unreadable", "empty", "failed"
    detail: str  # one line for the admin: what was loaded, or why the old index stays
    models_before: int
    models_after: int
    folders_before: int
    folders_after: int
    added: int
    removed: int
    added_examples: tuple[str, ...]
    removed_examples: tuple[str, ...]
    skipped_files: tuple[SkippedFile, ...]
    seconds: float


class CatalogueService:
    """Holds the current catalogue; reload builds a new one aside and swaps it in only if it is sound."""

    def __init__(self, root: Path | str, catalogue: Catalogue | None = None) -> None:
        self.root = Path(root)
        self._current = catalogue if catalogue is not None else Catalogue.empty(self.root)
        self._reload_lock = asyncio.Lock()

    @property
    def current(self) -> Catalogue:
        return self._current

    def match(self, query: str, limit: int = 3) -> MatchResult:
        return self._current.match(query, limit)

    def folders_for(self, model: str) -> tuple[str, ...]:
        return self._current.folders_for(model)

    async def reload(self) -> ReloadReport:
        """Re-read the tree in a worker thread; requests keep using the old index until the swap."""
        async with self._reload_lock:
            old = self._current
            started = time.monotonic()
            try:
                new = await asyncio.to_thread(Catalogue.load, self.root)
            except CatalogueError as exc:
                return self._refused(old, exc.reason, str(exc), (), started)
            except Exception as exc:  # a bug or an odd file system must not take the old index down
                log.exception("firmware catalogue reload failed")
                return self._refused(old, "failed", f"reload failed: {exc!r}", (), started)
            if len(new) == 0:
                detail = f"no models found in any model list under {self.root}"
                if new.skipped_files:
                    detail += f" ({len(new.skipped_files)} file(s) skipped)"
                return self._refused(old, "empty", detail, new.skipped_files, started)
            before = set(old.models)
            after = set(new.models)
            added = sorted(after - before)
            removed = sorted(before - after)
            self._current = new  # one reference assignment: readers see the old or the new index, whole
            seconds = time.monotonic() - started
            detail = (
                f"loaded {len(new)} models in {len(new.folders)} folders from {self.root}"
                f" (+{len(added)} / -{len(removed)}; {len(new.skipped_files)} file(s) skipped)"
            )
            log.info("firmware catalogue: %s in %.2fs", detail, seconds)
            return ReloadReport(
                ok=True,
                reason=None,
                detail=detail,
                models_before=len(old),
                models_after=len(new),
                folders_before=len(old.folders),
                folders_after=len(new.folders),
                added=len(added),
                removed=len(removed),
                added_examples=tuple(added[:10]),
                removed_examples=tuple(removed[:10]),
                skipped_files=new.skipped_files,
                seconds=seconds,
            )

    def _refused(
        self, old: Catalogue, reason: str, detail: str, skipped: tuple[SkippedFile, ...], started: float
    ) -> ReloadReport:
        log.warning("firmware catalogue: reload refused, keeping %d models: %s", len(old), detail)
        folders = len(old.folders)
        return ReloadReport(
            ok=False,
            reason=reason,
            detail=detail,
            models_before=len(old),
            models_after=len(old),
            folders_before=folders,
            folders_after=folders,
            added=0,
            removed=0,
            added_examples=(),
            removed_examples=(),
            skipped_files=tuple(skipped),
            seconds=time.monotonic() - started,
        )
