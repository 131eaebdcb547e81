"""Benchmark of the knowledge index: recall@1 and recall@3 of a partner's second wording, and p99 search time.

The test set (benchmarks/data/knowledge_set.jsonl) holds solved CCTV questions written for this
benchmark, each with a second wording of the same problem as a partner would type it. The solved
questions are imported, the index is padded to --items with generated tickets over the same
vocabulary, and every second wording is searched with its model; a hit is its own question."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.services.knowledge import HistoryRecord, KnowledgeService  # noqa: E402
from bot.storage.database import Database  # noqa: E402

SET = Path(__file__).resolve().parent / "data" / "knowledge_set.jsonl"
MODELS = ["NVR4108HS-4KS2", "NVR2108HS-S3", "XVR5104HS-I3", "IPC-HDW1230SP", "IPC-HFW2431S-S-0280B",
          "NVR4216-4KS2", "IPC-HFW2439S-SA-LED", "XVR5108HS-I3", "IPC-HDBW2231R-ZS", "NVR5216-4KS2"]


def load_set(path: Path = SET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# Words of the desk's other tickets: intercoms, access control, deliveries, documents, mounting.
OTHER_WORDS = """домофон вызывная панель трубка замок электромеханический считыватель карта ключ турникет
контроллер доступа кнопка выхода доводчик калитка монитор квартирный этаж подъезд трубку вызов абонент
счёт накладная доставка отгрузка склад поставка гарантия ремонт сервисный центр возврат обмен упаковка
сертификат паспорт инструкция документация спецификация габариты кронштейн крепление монтаж кожух
распаечная коробка гермоввод стойка шкаф серверный розетка удлинитель кабель-канал стяжки коннектор
объектив фокус зум варифокальный угол обзора мегапиксели матрица сенсор корпус металл пластик цвет белый
чёрный купольная цилиндрическая уличная внутренняя температура мороз влага защита IP67 вандалозащита
лицензия программа клиент сервер база данных экспорт отчёт пользователь роль группа права доступ журнал
цена скидка заказ менеджер договор оплата срок наличие аналог замена модельный ряд снят производства
""".split()


def filler(items: list[dict], count: int, seed: int, own_share: float = 0.25) -> list[HistoryRecord]:
    """Generated tickets: a quarter of their words from the test set's own questions and answers (so
    they compete with the real entries), the rest from the desk's other subjects."""
    rng = random.Random(seed)
    own = [w for item in items for w in (item["question"] + " " + item["answer"]).split()]

    def word() -> str:
        return rng.choice(own) if rng.random() < own_share else rng.choice(OTHER_WORDS)

    records = []
    for n in range(count):
        question = " ".join(word() for _ in range(rng.randint(6, 14)))
        answer = " ".join(word() for _ in range(rng.randint(4, 10)))
        records.append(HistoryRecord(id=f"filler-{n}", question=question, answer=answer, model=rng.choice(MODELS)))
    return records


async def measure(items: list[dict], total: int, seed: int = 1, limit: int = 3, own_share: float = 0.25) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        try:
            knowledge = KnowledgeService(db=db)
            real = [HistoryRecord(id=i["id"], question=i["question"], answer=i["answer"], model=i["model"])
                    for i in items]
            await knowledge.import_history(real + filler(items, max(0, total - len(real)), seed, own_share))
            indexed = await knowledge.repo.count()
            await knowledge.search("прогрев")  # the vocabulary is read once, as in the running bot
            at1 = at3 = 0
            times = []
            misses = []
            for _ in range(3):  # three rounds, for a steadier p99
                for item in items:
                    started = time.perf_counter()
                    found = await knowledge.search(item["second_wording"], model=item["model"], limit=limit)
                    times.append((time.perf_counter() - started) * 1000)
                    ids = [f.id for f in found]
                    if _ == 0:
                        at1 += ids[:1] == [item["id"]]
                        at3 += item["id"] in ids[:3]
                        if item["id"] not in ids[:3]:
                            misses.append((item["id"], ids))
        finally:
            await db.close()
    times.sort()
    return {
        "indexed": indexed, "questions": len(items),
        "recall@1": at1 / len(items), "recall@3": at3 / len(items),
        "p50_ms": statistics.median(times), "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000, help="how many items the index holds (default 10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--own-words", type=float, default=0.25,
                        help="share of the generated tickets' words taken from the test set (default 0.25)")
    parser.add_argument("--misses", action="store_true", help="list the second wordings not found in the top 3")
    args = parser.parse_args(argv)
    items = load_set()
    result = asyncio.run(measure(items, args.items, args.seed, own_share=args.own_words))
    print(f"knowledge index: {result['indexed']} items, {result['questions']} second wordings")
    print(f"recall@1 {result['recall@1']:.3f}  recall@3 {result['recall@3']:.3f}  (targets: recall@3 >= 0.8)")
    print(f"search p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  (target: p99 < 20 ms)")
    if args.misses:
        for item_id, ids in result["misses"]:
            print(f"  miss {item_id}: got {ids}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
