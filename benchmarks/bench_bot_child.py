"""The bot process of bench_bot.py: runs the full bot or a bare aiogram echo bot against the parent's emulator."""

# Nothing but the standard library before the clock starts: start-up and import times are measured here.
import time

SCRIPT_STARTED = time.time()

import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Written to stdout as "@@ {json}" lines; the parent reads them. Commands come on stdin, one per line.
PREFIX = "@@ "


def emit(event: str, **data) -> None:
    sys.stdout.write(PREFIX + json.dumps({"event": event, **data}) + "\n")
    sys.stdout.flush()


def proc_status() -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS) and friends in kB, as the kernel counts them."""
    wanted = {"VmRSS", "VmHWM", "RssAnon", "RssFile", "VmData"}
    result = {}
    with open("/proc/self/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in wanted:
                result[name] = int(value.split()[0])
    return result


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def thread_cpu() -> dict[str, float]:
    """CPU seconds of the event loop's thread and of all other threads (aiosqlite's connection thread
    does the SQLite work), from /proc/self/task/*/stat; 10 ms resolution."""
    tick = os.sysconf("SC_CLK_TCK")
    main, other = 0.0, 0.0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue  # the thread ended meanwhile
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(tid) == os.getpid():
            main += seconds
        else:
            other += seconds
    return {"loop": main, "other": other}


class GcTimes:
    """How often Python's cyclic collector ran, per generation, and its longest pause: a full
    collection walks every object the process holds (aiogram's and pydantic's, above all)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.counts = [0, 0, 0]
        self.longest = [0.0, 0.0, 0.0]
        self.total = [0.0, 0.0, 0.0]
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
            return
        generation = info["generation"]
        took = time.perf_counter() - self.started
        self.counts[generation] += 1
        self.total[generation] += took
        self.longest[generation] = max(self.longest[generation], took)

    def snapshot(self) -> dict:
        return {"counts": list(self.counts), "total": list(self.total), "longest": list(self.longest)}

    def reset_longest(self) -> None:
        self.longest = [0.0, 0.0, 0.0]


GC = GcTimes()
# The slowest trip to the SQLite thread since the last "mem": from the call to its answer, as a handler waits.
SLOWEST = {"seconds": 0.0, "sql": ""}


async def stdin_lines():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return
        yield line.decode().strip()


async def serve_commands(stop, set_global_pacing=None, counters=None) -> None:
    """mem: memory and CPU figures; pace on|off: the outbox's global 30 msg/s pacing; quit: stop."""
    async for line in stdin_lines():
        if line == "mem":
            extra = {"sql": dict(counters), "slowest_sql": dict(SLOWEST)} if counters is not None else {}
            emit("mem", status=proc_status(), cpu=cpu_seconds(), threads=thread_cpu(), gc=GC.snapshot(),
                 at=time.time(), **extra)
            # The next "mem" reports the longest pauses since this one.
            GC.reset_longest()
            SLOWEST.update(seconds=0.0, sql="")
        elif line.startswith("pace ") and set_global_pacing is not None:
            set_global_pacing(line.split()[1] == "on")
            emit("pace", on=line.split()[1] == "on")
        elif line == "quit":
            break
    await stop()


def count_sql(db) -> dict[str, int]:
    """Counts, on this instance only, writes (write() calls and transactions) and trips to
    aiosqlite's SQLite thread (every fetch, statement in a transaction, COMMIT, or group of
    queued writes is one): evidence of what one update costs."""
    counters = {"transactions": 0, "trips": 0}
    from bot.compat import wrap_connection_trips

    transaction, write = db.transaction, db.write

    def counted_transaction(*args, **kwargs):
        counters["transactions"] += 1
        return transaction(*args, **kwargs)

    async def counted_write(*args, **kwargs):
        counters["transactions"] += 1
        return await write(*args, **kwargs)

    def counted(trip):
        async def counted_trip(fn, *args, **kwargs):
            counters["trips"] += 1
            started = time.perf_counter()
            try:
                return await trip(fn, *args, **kwargs)
            finally:
                took = time.perf_counter() - started
                if took > SLOWEST["seconds"]:
                    sql = next((a for a in args if isinstance(a, str)), getattr(fn, "__name__", "?"))
                    SLOWEST["seconds"], SLOWEST["sql"] = took, " ".join(sql.split())[:60]

        return counted_trip

    db.transaction, db.write = counted_transaction, counted_write
    wrap_connection_trips(db.conn, counted)
    return counters


async def run_full(cfg: dict) -> None:
    before_import = time.time()
    from bot.compat import install_lazy_validators

    install_lazy_validators()  # as `python -m bot run` does (bot/cli/common.py) before aiogram is imported
    import bot.app as app_module
    from bot.config import load_settings

    imported_app = time.time()
    # The routers build_app imports on first use: counted as imports, not as building.
    import dialogs.broadcast, dialogs.firmware, dialogs.info_request, dialogs.intake, dialogs.rating  # noqa: E401,F401
    import handlers.admin, handlers.common, handlers.fallback, handlers.group, handlers.partner  # noqa: E401,F401
    import handlers.middlewares, handlers.tracking  # noqa: E401,F401

    imported = time.time()
    rss_imported = proc_status()["VmRSS"]
    timings: dict[str, float] = {}
    real_make_catalogue = app_module.make_catalogue

    def timed_make_catalogue(settings):
        started = time.time()
        rss_before = proc_status()["VmRSS"]
        try:
            return real_make_catalogue(settings)
        finally:
            timings["catalogue"] = time.time() - started
            timings["catalogue_rss"] = proc_status()["VmRSS"] - rss_before

    app_module.make_catalogue = timed_make_catalogue
    settings = load_settings(**cfg["settings"])
    app = await app_module.build_app(settings)
    app_module.tune_garbage_collector()  # as `python -m bot run` does
    built = time.time()
    pacer = app.outbox.pacer
    production_interval = 1.0 / 30  # OUTBOX_GLOBAL_PER_SECOND's production default

    def set_global_pacing(on: bool) -> None:
        pacer.global_interval = production_interval if on else 0.0

    set_global_pacing(cfg.get("global_pacing", True))
    counters = count_sql(app.db)
    polling = asyncio.create_task(app.run_polling())
    emit(
        "started",
        script=SCRIPT_STARTED,
        import_app=imported_app - before_import,
        import_all=imported - before_import,
        catalogue=timings.get("catalogue"),
        catalogue_rss=timings.get("catalogue_rss"),
        rss_imported=rss_imported,
        build=built - imported,
        catalogue_models=len(app.catalogue.current),
        gc_threshold=gc.get_threshold(),
        gc_frozen=gc.get_freeze_count(),
        at=built,
    )

    async def stop() -> None:
        await app.stop()
        try:
            await asyncio.wait_for(polling, timeout=10)
        except asyncio.TimeoutError:
            polling.cancel()

    await serve_commands(stop, set_global_pacing, counters)


async def run_echo(cfg: dict) -> None:
    before_import = time.time()
    from aiogram import Bot, Dispatcher
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.enums import ParseMode
    from aiogram.types import Message

    imported = time.time()
    rss_imported = proc_status()["VmRSS"]
    # The same session and defaults as bot.app.make_bot.
    session = AiohttpSession(api=TelegramAPIServer.from_base(cfg["settings"]["telegram_api_url"]))
    bot = Bot(
        token=cfg["settings"]["bot_token"],
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text)

    tune_garbage_collector()  # the same tuning as the full bot gets, or the comparison flatters it
    built = time.time()
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, polling_timeout=10, close_bot_session=True)
    )
    emit("started", script=SCRIPT_STARTED, import_app=imported - before_import, import_all=imported - before_import,
         catalogue=None, rss_imported=rss_imported, build=built - imported,
         gc_threshold=gc.get_threshold(), gc_frozen=gc.get_freeze_count(), at=built)

    async def stop() -> None:
        await dp.stop_polling()
        try:
            await asyncio.wait_for(polling, timeout=10)
        except asyncio.TimeoutError:
            polling.cancel()

    await serve_commands(stop)


def tune_garbage_collector() -> None:
    """bot/gc_tuning.py's tuning, loaded from its file alone: importing it through the `bot` package would
    also give the echo bot the full bot's imports."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_gc_tuning", ROOT / "bot" / "gc_tuning.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.tune_garbage_collector()


def main() -> None:
    cfg = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runner = run_full if cfg["kind"] == "full" else run_echo
    profile_to = os.environ.get("BENCH_PROFILE")  # a path prefix: where to dump the event loop's cProfile
    if profile_to:
        import cProfile

        with cProfile.Profile() as profiler:
            asyncio.run(runner(cfg))
        profiler.dump_stats(f"{profile_to}.{cfg['kind']}.prof")
    else:
        asyncio.run(runner(cfg))
    emit("stopped")


if __name__ == "__main__":
    main()
