"""Benchmark of the firmware catalogue: index build, query latency, accuracy on generated typos, memory."""

from __future__ import annotations

import argparse
from bisect import bisect_left
import gc
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import process  # noqa: E402
from rapidfuzz.distance import OSA  # noqa: E402

from bot.services.catalogue import Catalogue  # noqa: E402
from bot.services.model_normalize import FOLD, model_keys, model_lens  # noqa: E402

LIMIT = 8  # what the bot asks for: a family fills up to eight buttons, typo neighbours at most three

# --- a catalogue that looks like Dahua's: families, series numbers, suffixes, generations, lens codes -------

LENSES = ["-0280B", "-0360B", "-0600B", "-0800B", "-27135", "-2712", "-0280B-S2", "-0360B-S2"]
GENERATIONS = ["-S2", "-S3", "-S4", "-S5"]


def _ipc_core(rng: random.Random, kind: str) -> str:
    family = rng.choice(["HFW", "HDW", "HDBW", "HFW", "HDBW", "HDPW", "HF", "EB", "EW", "PFW", "HUM"])
    series = rng.choice("12345578")
    resolution = rng.choice("2445812")
    platform = rng.choice("3344912")
    tail = rng.choice("0119")
    letters = rng.choice(["S", "T", "E", "R", "TM", "H", "C", "F", "M", "DS", "EM", "T1", "S1", "H1", "CM"])
    if rng.random() < 0.4:
        letters += "P"
    return f"{kind}-{family}{series}{resolution}{platform}{tail}{letters}"


def _ipc_variant(rng: random.Random) -> str:
    variant = rng.choice(["", "-S", "-AS", "-ZS", "-ZAS", "-ASE", "-ZE", "-ZHE", "-SA", "-LED", "-A-LED", "-PV",
                          "-AS-PV", "-IL", "-S-IL", "-ZS-IL", "-AS-NI", "-A", "-Z", "-I4", "-I8"])
    if rng.random() < 0.45:
        variant += rng.choice(GENERATIONS)
    if rng.random() < 0.7:
        variant += rng.choice(LENSES)
    return variant


def _recorder_core(rng: random.Random) -> str:
    if rng.random() < 0.55:
        return "NVR" + rng.choice("124456") + rng.choice("1248") + rng.choice(["04", "08", "16", "32", "64", "28"]) + rng.choice(
            ["HS", "H", "", "A", "HS", "HE"])
    return "XVR" + rng.choice(["1B", "4", "5", "5", "7"]) + rng.choice("1248") + rng.choice(["04", "08", "16", "32"]) + rng.choice(
        ["HS", "H", "C", "HE", "A", "AN", "HS"])


def _recorder_variant(rng: random.Random) -> str:
    return rng.choice(["-4KS2", "-4KS3", "-I", "-I2", "-I3", "-EI", "-S3/H", "-P-4KS2", "-8P-4KS2", "-16P-4KS2",
                       "-4KS2/L", "-8P-I", "-16P-EI", "-P-I2", "-4KL-I3", "-4M-I3", "-X", "-4KL-X", "-S2", ""])


def _intercom_core(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "VTO" + rng.choice("23346") + rng.choice("0123456") + rng.choice("0123") + rng.choice("12") + rng.choice(
            ["F", "D", "E", "G", "H", "R", "Q", "FB", "DW", "A"])
    return "VTH" + rng.choice("12258") + rng.choice("2345") + rng.choice("0246") + rng.choice("01") + rng.choice(
        ["CH", "CHW", "FW", "FB", "G", "GW", "D", "DW", "HW", "KMS", "BW"])


def _intercom_variant(rng: random.Random) -> str:
    return rng.choice(["-P", "-WP", "-P-S2", "-S1", "-S2", "-PV", "", "-W", "-2", "-P-S3"])


def _switch_core(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return "PFS" + rng.choice("3456") + rng.choice("012") + rng.choice("0123") + rng.choice("0124568") + "-" + rng.choice(
            ["4ET", "8ET", "16ET", "24ET", "8GT", "16GT", "24GT", "8ET1GT", "4GT", "2GT1GF"])
    if roll < 0.8:
        return "SG10" + rng.choice(["05", "08", "16", "24"]) + rng.choice(["P", "PE", "", "LP"])
    return "CS4" + rng.choice("012") + rng.choice(["10", "18", "26", "28"]) + "-" + rng.choice(["8ET", "16ET", "24ET", "24GT"])


def _switch_variant(rng: random.Random) -> str:
    return rng.choice(["-60", "-96", "-110", "-120", "-135", "-190", "-240", "-360", "-L", "-DP", ""])


def _ptz_core(rng: random.Random) -> str:
    return "SD" + rng.choice(["49", "59", "6C", "6A", "4A", "22", "1A", "3A", "8A"]) + rng.choice("2458") + rng.choice(
        ["25", "32", "40", "04", "03", "45"]) + rng.choice(["XA", "XB", "U", "DB", "T", "XA", "HB"])


def _ptz_variant(rng: random.Random) -> str:
    return rng.choice(["-HNR", "-HNI", "-HNY", "-GN", "-GNY", "-GNR", "-HNR-A", "-GN-A-PV", "-HNR-AGQ-PV", ""])


def _atix_core(rng: random.Random) -> str:
    if rng.random() < 0.75:
        return "AT-NC-" + rng.choice("24584") + rng.choice("BDTF") + rng.choice("2458") + "M" + rng.choice(["", "ZS", "Z", "A", "L"])
    return "AT-" + rng.choice(["NVR", "XVR"]) + "-" + rng.choice("12") + rng.choice("14") + rng.choice(["04", "08", "16", "32"])


def _atix_variant(rng: random.Random) -> str:
    return rng.choice(["-2.8", "-3.6", "-2.7-13.5", "-2.8-12", "-6", "", "-2.8-W", "-3.6-W"])


KINDS = [  # (weight, core maker, variant maker, folder group)
    (40, lambda r: _ipc_core(r, "IPC"), _ipc_variant, "01. IP-камеры"),
    (14, lambda r: _ipc_core(r, "HAC"), _ipc_variant, "02. HDCVI-камеры"),
    (16, _recorder_core, _recorder_variant, "03. Регистраторы"),
    (10, _intercom_core, _intercom_variant, "04. Домофония"),
    (6, _switch_core, _switch_variant, "05. Коммутаторы"),
    (6, _ptz_core, _ptz_variant, "06. PTZ"),
    (8, _atix_core, _atix_variant, "07. ATIX"),
]


def generate_models(count: int, seed: int) -> list[tuple[str, str]]:
    """count unique (model, folder) pairs; cores are reused many times so near-duplicates abound."""
    rng = random.Random(seed)
    weights = [k[0] for k in KINDS]
    cores: list[tuple[str, int]] = []
    for _ in range(max(20, count // 5)):
        kind = rng.choices(range(len(KINDS)), weights)[0]
        cores.append((KINDS[kind][1](rng), kind))
    seen: set[str] = set()
    result: list[tuple[str, str]] = []
    while len(result) < count:
        core, kind = rng.choice(cores)
        name = core + KINDS[kind][2](rng)
        if not name.startswith("AT-"):
            name = rng.choice(["DH-", "DH-", "DHI-"]) + name
        key = model_keys(name).key
        if key in seen:
            continue
        seen.add(key)
        group = KINDS[kind][3]
        digits = re.search(r"\d", core)
        family = re.match(r"(?:[A-Z]+-)?[A-Z]+", core.removeprefix("AT-")).group(0)
        series = digits.group(0) if digits else "0"
        result.append((name, f"{group}/{family}{series}XXX"))
    return result


def write_tree(root: Path, models: list[tuple[str, str]], seed: int) -> None:
    """Folders of about 150 models each, written the way real lists are: some messy on purpose."""
    rng = random.Random(seed)
    by_folder: dict[str, list[str]] = defaultdict(list)
    for name, folder in models:
        by_folder[folder].append(name)
        if rng.random() < 0.03:  # listed twice, in the archive as well
            by_folder["00. Архив/" + folder.split("/")[-1]].append(name)
    for folder, names in by_folder.items():
        for part in range(0, len(names), 150):
            chunk = names[part : part + 150]
            sub = root / folder / f"{part // 150 + 1:02d}. Линейка {part // 150 + 1}"
            sub.mkdir(parents=True, exist_ok=True)
            style = rng.random()
            if style < 0.2:
                text = "\r\n".join(["# список моделей"] + chunk) + "\r\n"
                data = text.encode("cp1251")
            elif style < 0.4:
                data = ("\ufeff" + "\n".join(", ".join(chunk[i : i + 4]) for i in range(0, len(chunk), 4))).encode("utf-8")
            else:
                data = ("\n".join(name + (" " if rng.random() < 0.1 else "") for name in chunk) + "\n").encode("utf-8")
            (sub / rng.choice(["model list", "model list.txt", "Model List.txt"])).write_bytes(data)


# --- typos of each kind a partner makes on a phone -------------------------------------------------------

LOOKALIKE = dict(zip("ABCEHKMOPTXY", "АВСЕНКМОРТХУ"))
SOUND = dict(zip("ABDEFGHIJKLMNOPQRSTUVWXYZ", "абдефгхижклмнопкрстуввхйз"))
LAYOUT = dict(zip("qwertyuiopasdfghjklzxcvbnm./", "йцукенгшщзфывапролдячсмитью."))
ROWS = ["1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"]


def _neighbours(ch: str) -> str:
    for r, row in enumerate(ROWS):
        i = row.find(ch)
        if i < 0:
            continue
        near = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
        for other in (r - 1, r + 1):
            if 0 <= other < len(ROWS):
                near += [ROWS[other][j] for j in (i - 1, i, i + 1) if 0 <= j < len(ROWS[other])]
        return "".join(near)
    return "0123456789"


def _vendor_split(name: str) -> tuple[str, str]:
    for prefix in ("DHI-", "DH-"):
        if name.startswith(prefix):
            return prefix, name[len(prefix) :]
    return "", name


def _edit(rng: random.Random, name: str, kind: str) -> str | None:
    prefix, body = _vendor_split(name)
    positions = [i for i, ch in enumerate(body) if ch.isalnum()]
    i = rng.choice(positions)
    if kind == "missing char":
        body = body[:i] + body[i + 1 :]
    elif kind == "extra char":
        extra = rng.choice([body[i], rng.choice(_neighbours(body[i]))])
        body = body[:i] + extra + body[i:]
    elif kind == "wrong char":
        body = body[:i] + rng.choice(_neighbours(body[i])) + body[i + 1 :]
    elif kind == "swapped chars":
        pairs = [j for j in positions if j + 1 < len(body) and body[j + 1].isalnum() and body[j] != body[j + 1]]
        if not pairs:
            return None
        j = rng.choice(pairs)
        body = body[:j] + body[j + 1] + body[j] + body[j + 2 :]
    return prefix + body


def make_typo(rng: random.Random, name: str, kind: str) -> str | None:
    prefix, body = _vendor_split(name)
    if kind == "lower case":
        return name.lower()
    if kind == "prefix dropped":
        return body if prefix else None
    if kind == "dashes->spaces":
        return body.replace("-", " ").lower()
    if kind == "dashes->nothing":
        return body.replace("-", "").lower()
    if kind == "cyrillic look-alikes":
        out = [LOOKALIKE[ch] if ch in LOOKALIKE and rng.random() < 0.5 else ch for ch in name]
        if out == list(name):
            letters = [i for i, ch in enumerate(name) if ch in LOOKALIKE]
            if not letters:
                return None
            out[letters[0]] = LOOKALIKE[name[letters[0]]]
        return "".join(out)
    if kind == "cyrillic by sound":
        text = body if rng.random() < 0.6 else name
        return "".join(("ц" if ch == "C" and rng.random() < 0.2 else SOUND.get(ch, ch)) for ch in text).lower()
    if kind == "wrong layout":
        text = body if rng.random() < 0.6 else name
        return "".join(LAYOUT.get(ch, ch) for ch in text.lower())
    if kind in ("missing char", "extra char", "wrong char", "swapped chars"):
        return _edit(rng, name, kind)
    if kind == "missing tail":
        match = re.search(r"-(\d{4}B|\d{4,5}|\d+(\.\d+)?(-\d+(\.\d+)?)?|S\d)$", name)
        if not match or model_keys(name[: match.start()]).key == "":
            return None
        return name[: match.start()]
    if kind == "phone (combined)":
        edited = _edit(rng, name, rng.choice(["missing char", "extra char", "wrong char", "swapped chars"]))
        if edited is None:
            return None
        _, body = _vendor_split(edited)
        return body.replace("-", rng.choice(["", " ", "-"])).lower()
    raise ValueError(kind)


TYPO_KINDS = [
    "lower case", "prefix dropped", "dashes->spaces", "dashes->nothing", "cyrillic look-alikes",
    "cyrillic by sound", "wrong layout", "missing char", "extra char", "wrong char", "swapped chars",
    "missing tail", "phone (combined)",
]
EDIT_KINDS = {"missing char", "extra char", "wrong char", "swapped chars", "phone (combined)"}


def _plain_key(text: str) -> str:
    prefix, body = _vendor_split(text.upper())
    return re.sub(r"[^0-9A-Z]", "", body)


@dataclass
class Query:
    kind: str
    text: str
    target: str
    resolvable: bool
    members: frozenset[str] | None = None  # a series query: every model it begins


# --- how installers write a lens, leave it out, or type only a series --------------------------------

_ATIX_LENS_TEXT = re.compile(r"-\d{1,2}(?:\.\d{1,2})?(?:-\d{1,2}(?:\.\d{1,2})?)?(?=$|-)")


def without_lens(name: str) -> str | None:
    """The model's name with its lens segment cut out ("…-0280B-S5" -> "…-S5"), None if it names no lens."""
    found = model_lens(name)
    if found is None or not found.code:
        return None
    if name.startswith("AT-"):
        match = _ATIX_LENS_TEXT.search(name, name.find("-", 3))
        return name[: match.start()] + name[match.end() :] if match else None
    return name.replace("-" + found.code, "", 1) if "-" + found.code in name else None


def _mm(value: float, comma: bool = False) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if comma else text


# kind -> how the lens is written, from the model's Lens; None when that form does not suit this lens
LENS_WRITINGS = {
    "lens 2.8mm": lambda lens: f"{_mm(lens.wide)}-{_mm(lens.tele)}mm" if lens.varifocal else f"{_mm(lens.wide)}mm",
    "lens 2,8 мм": lambda lens: (f"{_mm(lens.wide, True)}-{_mm(lens.tele, True)} мм" if lens.varifocal
                                 else f"{_mm(lens.wide, True)} мм"),
    "lens f2.8": lambda lens: None if lens.varifocal else f"f{_mm(lens.wide)}",
    "lens bare 2.8": lambda lens: (f"{_mm(lens.wide)}-{_mm(lens.tele)}" if lens.varifocal
                                   else (_mm(lens.wide) if lens.wide != int(lens.wide) else None)),
    "lens 2.7~13.5": lambda lens: f"{_mm(lens.wide)}~{_mm(lens.tele)}" if lens.varifocal else None,
}
LENS_KINDS = [*LENS_WRITINGS, "lens omitted", "series only"]
_SERIES = re.compile(r"(?:^|-)([A-Z]{2,}\d{3,5})")  # HFW2431, NVR4108, VTO2202: letters, then the digits


def _partner_spelling(rng: random.Random, name: str) -> str:
    _, body = _vendor_split(name)
    text = body if rng.random() < 0.6 else name
    return text.lower() if rng.random() < 0.4 else text


def make_lens_query(rng: random.Random, name: str, kind: str) -> str | None:
    if kind == "series only":
        body = _vendor_split(name)[1]
        if body.startswith("AT-"):
            return None
        match = _SERIES.search(body)
        if not match:
            return None
        return match.group(1).lower() if rng.random() < 0.4 else match.group(1)
    rest = without_lens(name)
    if rest is None or not model_keys(rest).key:
        return None
    if kind == "lens omitted":
        return _partner_spelling(rng, rest)
    written = LENS_WRITINGS[kind](model_lens(name).lens)
    if written is None:
        return None
    typed = _partner_spelling(rng, rest)
    return f"{written} {typed}" if rng.random() < 0.3 else f"{typed} {written}"


class Oracle:
    """Decides independently of the matcher whether a typo can be told apart from every other model."""

    def __init__(self, models: list[str]) -> None:
        self.keys = [model_keys(m).key for m in models]
        self.sorted_keys = sorted(self.keys)
        folded: dict[str, int] = defaultdict(int)
        for key in self.keys:
            folded[key.translate(FOLD)] += 1
        self.folded = folded
        # Lens-coded models without their lens, with the lens code: what a lens query must tell apart.
        self.models = models
        self.lens_free = sorted(
            (model_keys(rest).key, model_lens(m).code, m) for m in models if (rest := without_lens(m)) is not None
        )
        self.by_key = sorted((key, m) for key, m in zip(self.keys, models))
        alternates = [(model_keys(m).alternate, m) for m in models]
        self.by_alternate = sorted((a, m) for a, m in alternates if a)

    @staticmethod
    def _beginning(rows: list[tuple], prefix: str) -> list[tuple]:
        i = bisect_left(rows, (prefix,))
        found = []
        while i < len(rows) and rows[i][0].startswith(prefix):
            found.append(rows[i])
            i += 1
        return found

    def series_members(self, series: str) -> frozenset[str]:
        key = model_keys(series).key
        return frozenset(m for _, m in self._beginning(self.by_key, key) + self._beginning(self.by_alternate, key))

    def lens_resolvable(self, kind: str, target: str) -> bool:
        rest_key = model_keys(without_lens(target)).key
        code = model_lens(target).code
        lens_free = self._beginning(self.lens_free, rest_key)
        if kind == "lens omitted":
            # Only the target fits: no other lens variant, and no model whose name goes on from the query.
            others = {m for _, _, m in lens_free} | {m for _, m in self._beginning(self.by_key, rest_key)}
            return others == {target}
        # The lens written out singles the target out among the models that begin the same way, or the
        # query with the lens in place is the target's whole name.
        same_lens = [lf for lf, c, _ in lens_free if c == code]
        return len(same_lens) == 1 or same_lens.count(rest_key) == 1

    def resolvable(self, kind: str, text: str, target: str) -> bool:
        target_key = model_keys(target).key
        if kind == "cyrillic by sound":
            return self.folded[target_key.translate(FOLD)] == 1
        if kind == "missing tail":
            # Resolvable when only the target begins with the query.
            return self.extensions(_plain_key(text)) == 1
        if kind in EDIT_KINDS:
            # Resolvable when the target is strictly the closest model and the typo did not happen to turn
            # the query into the beginning of another model (then it reads as that model, tail left out).
            query_key = _plain_key(text)
            own = OSA.distance(query_key, target_key)
            if own == 0:
                return False
            rivals = process.extract(query_key, self.keys, scorer=OSA.distance, score_cutoff=own, limit=3)
            return sum(1 for _, d, _ in rivals if d <= own) == 1 and self.extensions(query_key) == 0
        return True

    def extensions(self, query_key: str) -> int:
        """How many model keys begin with query_key (itself included)."""
        i = bisect_left(self.sorted_keys, query_key)
        count = 0
        while i < len(self.sorted_keys) and self.sorted_keys[i].startswith(query_key):
            count += 1
            i += 1
        return count


def make_queries(rng: random.Random, names: list[str], oracle: Oracle, per_kind: int) -> list[Query]:
    queries = []
    for kind in TYPO_KINDS:
        made = 0
        attempts = 0
        while made < per_kind and attempts < per_kind * 20:
            attempts += 1
            target = rng.choice(names)
            text = make_typo(rng, target, kind)
            if not text:
                continue
            queries.append(Query(kind, text, target, oracle.resolvable(kind, text, target)))
            made += 1
    for kind in LENS_KINDS:
        made = 0
        attempts = 0
        while made < per_kind and attempts < per_kind * 40:
            attempts += 1
            target = rng.choice(names)
            text = make_lens_query(rng, target, kind)
            if not text:
                continue
            if kind == "series only":
                queries.append(Query(kind, text, target, True, oracle.series_members(text)))
            else:
                queries.append(Query(kind, text, target, oracle.lens_resolvable(kind, target)))
            made += 1
    return queries


def unknown_models(count: int, catalogue_models: list[str], seed: int, size: int) -> list[str]:
    """Realistic models that are not in the catalogue, nor a shortened spelling of one that is."""
    keys = sorted(model_keys(m).key for m in catalogue_models)
    known = set(keys)
    result = []
    for name, _ in generate_models(size + count * 40, seed)[size:]:
        key = model_keys(name).key
        if key in known:
            continue
        i = bisect_left(keys, key)
        if i < len(keys) and keys[i].startswith(key):
            continue  # "IPC-HFW2431S-S2" for "…-S2-0280B" is a missing tail, not an unknown model
        result.append(name)
        if len(result) >= count:
            break
    return result


# --- measuring -------------------------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def bench_size(size: int, per_kind: int, seed: int) -> dict:
    models = generate_models(size, seed)
    with tempfile.TemporaryDirectory(prefix="fwbench-") as tmp:
        root = Path(tmp)
        write_tree(root, models, seed)
        gc.collect()
        rss_before = rss_bytes()
        started = time.perf_counter()
        catalogue = Catalogue.load(root)
        build = time.perf_counter() - started
        gc.collect()
        rss_delta = rss_bytes() - rss_before
    names = [m for m, _ in models]
    rng = random.Random(seed + 1)
    oracle = Oracle(names)
    queries = make_queries(rng, names, oracle, per_kind)
    unknown = unknown_models(per_kind, names, seed + 2, size)

    # Each query is timed in three interleaved passes and keeps its best time: on a shared 2-core machine
    # a single pass measures the neighbours' load as much as the matcher. The first pass is shown too.
    texts = [q.text for q in queries] + unknown
    timings: list[list[float]] = [[] for _ in texts]
    results = []
    gc.collect()
    for attempt in range(3):
        for i, text in enumerate(texts):
            started = time.perf_counter_ns()
            result = catalogue.match(text, limit=LIMIT)
            timings[i].append((time.perf_counter_ns() - started) / 1e6)
            if attempt == 0:
                results.append(result)
    latencies = [min(t) for t in timings]
    kinds = [q.kind for q in queries] + ["not in catalogue"] * len(unknown)
    slowest = sorted(zip(latencies, kinds, texts), reverse=True)[:5]
    first_pass = [t[0] for t in timings]
    outcomes = list(zip(queries, results))
    unknown_results = results[len(queries) :]
    unknown_accepted = sum(r.accepted is not None for r in unknown_results)
    unknown_offered = sum(bool(r.candidates) for r in unknown_results)
    return {
        "size": size,
        "models": len(catalogue),
        "folders": len(catalogue.folders),
        "build": build,
        "rss": rss_delta,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "mean": statistics.fmean(latencies),
        "p99_first": percentile(first_pass, 99),
        "queries": len(latencies),
        "outcomes": outcomes,
        "unknown": len(unknown),
        "unknown_accepted": unknown_accepted,
        "unknown_offered": unknown_offered,
        "slowest": slowest,
    }


def report_accuracy(stats: dict) -> tuple[float, float]:
    by_kind: dict[str, list] = defaultdict(list)
    for q, result in stats["outcomes"]:
        by_kind[q.kind].append((q, result))
    print(f"\n  accuracy at {stats['models']:,} models")
    print("  (resolv: the typo still points at one model - no other model is as close, the typo did not make it")
    print("   the beginning of another model, a cut tail fits one model only; raw: every generated typo;")
    print("   auto: accepted without asking)")
    print(f"  {'kind':22} {'n':>5} {'resolv':>6} {'top-1':>7} {'top-3':>7} {'auto':>6} {'raw top-1':>9} {'raw top-3':>9}")
    totals = [0, 0, 0, 0, 0, 0]
    for kind in TYPO_KINDS:
        rows = by_kind.get(kind, [])
        good = [(q, r) for q, r in rows if q.resolvable]
        top1 = sum(1 for q, r in good if r.candidates and r.candidates[0].model == q.target)
        top3 = sum(1 for q, r in good if any(c.model == q.target for c in r.candidates[:3]))
        auto = sum(1 for q, r in good if r.accepted is not None and r.accepted.model == q.target)
        raw1 = sum(1 for q, r in rows if r.candidates and r.candidates[0].model == q.target)
        raw3 = sum(1 for q, r in rows if any(c.model == q.target for c in r.candidates[:3]))
        totals = [a + b for a, b in zip(totals, [len(rows), len(good), top1, top3, raw1, raw3])]
        n = max(1, len(good))
        print(
            f"  {kind:22} {len(rows):5} {len(good):6} {100 * top1 / n:6.1f}% {100 * top3 / n:6.1f}% "
            f"{100 * auto / n:5.0f}% {100 * raw1 / max(1, len(rows)):8.1f}% {100 * raw3 / max(1, len(rows)):8.1f}%"
        )
    rows, good, top1, top3, raw1, raw3 = totals
    t1, t3 = 100 * top1 / max(1, good), 100 * top3 / max(1, good)
    print(
        f"  {'overall':22} {rows:5} {good:6} {t1:6.1f}% {t3:6.1f}% {'':6} "
        f"{100 * raw1 / max(1, rows):8.1f}% {100 * raw3 / max(1, rows):8.1f}%"
    )
    print(
        f"  not in catalogue: {stats['unknown']} queries, accepted automatically "
        f"{100 * stats['unknown_accepted'] / max(1, stats['unknown']):.1f}% (must be 0), "
        f"offered candidates {100 * stats['unknown_offered'] / max(1, stats['unknown']):.0f}%"
    )
    misses = [(q, r) for q, r in stats["outcomes"]
              if q.kind in TYPO_KINDS and q.resolvable and not (r.candidates and r.candidates[0].model == q.target)]
    for q, r in misses[:8]:
        got = ", ".join(f"{c.model} {c.score:g}" for c in r.candidates) or "nothing"
        print(f"    miss [{q.kind}] {q.text!r} -> want {q.target}; got {got}")
    stats["silent_picks"] = report_lens_and_series(by_kind)
    return t1, t3


def _keys_of(model: str) -> tuple[str, ...]:
    keys = model_keys(model)
    return (keys.key, keys.alternate) if keys.alternate else (keys.key,)


def _series_hit(q: Query, r, k: int) -> bool:
    want = min(k, len(q.members))
    shown = r.candidates[:want]
    return len(shown) == want and all(c.model in q.members for c in shown)


def report_lens_and_series(by_kind: dict[str, list]) -> int:
    """Lens written out, lens left out, series only; returns how often one of several variants was picked."""
    print("\n  lens and series queries (lens: the name without its lens code plus the lens written as the kind")
    print("   says, before or after; resolv: the lens written singles out one model, or with the lens left out")
    print("   only one model fits; series: the query is the series alone, e.g. HFW2431 - top-k counts when the")
    print("   first k candidates all belong to it; in 8: the target among the bot's buttons; silent: one of")
    print("   several fitting models accepted without asking - must be 0)")
    print(f"  {'kind':22} {'n':>5} {'resolv':>6} {'top-1':>7} {'top-3':>7} {'auto':>6} {'raw top-1':>9} "
          f"{'raw top-3':>9} {'in 8':>6} {'silent':>6}")
    silent_total = 0
    for kind in LENS_KINDS:
        rows = by_kind.get(kind, [])
        if kind == "series only":
            good = rows
            top1 = sum(1 for q, r in rows if r.candidates and r.candidates[0].model in q.members)
            top3 = sum(1 for q, r in rows if _series_hit(q, r, 3))
            in8 = sum(1 for q, r in rows if _series_hit(q, r, 8))
            auto = sum(1 for q, r in rows if r.accepted is not None)
            # A series that is also a listed model's whole name ("SG1008") may be accepted.
            silent = sum(1 for q, r in rows if r.accepted is not None and len(q.members) > 1
                         and model_keys(q.text).key not in _keys_of(r.accepted.model))
            raw1, raw3 = top1, top3
        else:
            good = [(q, r) for q, r in rows if q.resolvable]
            top1 = sum(1 for q, r in good if r.candidates and r.candidates[0].model == q.target)
            top3 = sum(1 for q, r in good if any(c.model == q.target for c in r.candidates[:3]))
            auto = sum(1 for q, r in good if r.accepted is not None and r.accepted.model == q.target)
            raw1 = sum(1 for q, r in rows if r.candidates and r.candidates[0].model == q.target)
            raw3 = sum(1 for q, r in rows if any(c.model == q.target for c in r.candidates[:3]))
            in8 = sum(1 for q, r in rows if any(c.model == q.target for c in r.candidates[:8]))
            # Accepting a name typed in full is no pick ("AT-NC-4T2MZ" is listed as well as "…-3.6").
            silent = sum(1 for q, r in rows if r.accepted is not None and (not q.resolvable or r.accepted.model != q.target)
                         and (found := model_lens(r.accepted.model)) is not None and found.code)
        silent_total += silent
        n, total = max(1, len(good)), max(1, len(rows))
        print(
            f"  {kind:22} {len(rows):5} {len(good):6} {100 * top1 / n:6.1f}% {100 * top3 / n:6.1f}% "
            f"{100 * auto / n:5.0f}% {100 * raw1 / total:8.1f}% {100 * raw3 / total:8.1f}% "
            f"{100 * in8 / total:5.1f}% {silent:6}"
        )
    misses = [(q, r) for kind in LENS_KINDS for q, r in by_kind.get(kind, [])
              if q.resolvable and kind != "series only" and not (r.candidates and r.candidates[0].model == q.target)]
    for q, r in misses[:6]:
        got = ", ".join(f"{c.model} {c.score:g}" for c in r.candidates[:3]) or "nothing"
        print(f"    miss [{q.kind}] {q.text!r} -> want {q.target}; got {got}")
    return silent_total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k and 10k models, fewer queries")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    per_kind = 80 if args.quick else 250
    print(f"firmware catalogue benchmark (python {sys.version.split()[0]}, {os.cpu_count()} cpu)")
    print("  latency: each query's best of 3 passes; p99 1st = a single pass, neighbours' load included")
    print(f"  {'models':>8} {'folders':>7} {'build':>8} {'RSS delta':>10} {'p50':>8} {'p99':>8} {'max':>8} "
          f"{'p99 1st':>8} {'queries':>7}")
    results = []
    for size in sizes:
        stats = bench_size(size, per_kind, args.seed)
        results.append(stats)
        print(
            f"  {stats['models']:8,} {stats['folders']:7,} {stats['build']:7.2f}s {stats['rss'] / 2**20:8.1f}MB "
            f"{stats['p50']:6.2f}ms {stats['p99']:6.2f}ms {stats['max']:6.2f}ms {stats['p99_first']:6.2f}ms "
            f"{stats['queries']:7}"
        )
    for ms, kind, text in results[-1]["slowest"]:
        print(f"  slowest at {results[-1]['models']:,}: {ms:.2f}ms [{kind}] {text!r}")
    verdicts = []
    accuracy = [report_accuracy(stats) for stats in results]
    largest = results[-1]
    t1, t3 = accuracy[-1]
    verdicts.append(("build < 2 s", largest["build"] < 2.0, f"{largest['build']:.2f}s at {largest['models']:,}"))
    verdicts.append(("p99 < 2 ms", largest["p99"] < 2.0, f"{largest['p99']:.2f}ms at {largest['models']:,}"))
    verdicts.append(("top-1 >= 97%", t1 >= 97.0, f"{t1:.1f}%"))
    verdicts.append(("top-3 >= 99.5%", t3 >= 99.5, f"{t3:.1f}%"))
    accepted_unknown = sum(s["unknown_accepted"] for s in results)
    silent = sum(s["silent_picks"] for s in results)
    verdicts.append(("no silent lens pick", silent == 0, f"{silent} accepted among several, all sizes"))
    verdicts.append(("unknown never accepted", accepted_unknown == 0, f"{accepted_unknown} accepted, all sizes"))
    rss_mb = largest["rss"] / 2**20
    verdicts.append(("catalogue RSS (info)", True, f"{rss_mb:.0f}MB at {largest['models']:,} (bot budget 150MB)"))
    print("\n  targets (at the largest size):")
    for name, ok, figure in verdicts:
        print(f"    {'ok  ' if ok else 'MISS'} {name:24} {figure}")
    return 0 if all(ok for _, ok, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
