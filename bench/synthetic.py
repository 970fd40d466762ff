"""A synthetic catalogue of N items built from the demo one, as districts implement county-level items.

Each synthetic item is a demo item implemented by one of a city's districts (its 实施清单), with
the district in the name and a few name variants, so word statistics stay realistic.
"""

import copy
import json

from django.conf import settings
from django.db import transaction
from tqdm import tqdm

from yiwang.catalog.services import CatalogLookups, item_import

DISTRICTS = ["东城区", "西湖区", "滨江区", "高新区", "南湖区", "北山区", "江北区", "开发区", "临港新区",
             "青山区", "河西区", "城南区", "经开区", "白云区", "龙泉县", "清溪县", "石门县", "平安县"]
VARIANTS = ["", "", "", "（变更）", "（延续）", "（注销）", "（补办）", "（网上办理）"]


def synthetic_items(n: int) -> list[dict]:
    base = json.loads((settings.CATALOG_DEMO_DIR / "service_items.json").read_text(encoding="utf-8"))
    out = []
    for i in range(n):
        item = copy.deepcopy(base[i % len(base)])
        district = DISTRICTS[(i // len(base)) % len(DISTRICTS)]
        variant = VARIANTS[(i // (len(base) * len(DISTRICTS))) % len(VARIANTS)]
        item["code"] = f"{item['code']}-S{i:05d}"
        item["name"] = f"{district}{item['name']}{variant}"
        out.append(item)
    return out


def load_synthetic(n: int, *, progress: bool = True) -> int:
    items = synthetic_items(n)
    batch = 500
    lookups = CatalogLookups.load()
    with tqdm(total=len(items), disable=not progress, desc="synthetic items") as bar:
        for start in range(0, len(items), batch):
            with transaction.atomic():  # indexes each batch once, at commit
                for data in items[start:start + batch]:
                    item_import(data=data, lookups=lookups)
            bar.update(min(batch, len(items) - start))
    return len(items)
