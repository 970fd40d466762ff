"""The demo people and company that the demo accounts map to (README lists them).

The numbers are synthetic but valid (GB 11643 / GB 32100 check characters). `load_demo_registry`
(registry work) creates them inside the generated population."""

import datetime as dt

DEMO_REGION = "330102"
DEMO_ADDRESS = "浙江省杭州市上城区解放路18号"

# key: (name, sex, birth date, 公民身份号码)
DEMO_PEOPLE = {
    # `citizen`: a married parent
    "citizen": ("张伟", "M", dt.date(1988, 5, 12), "330102198805120356"),
    "citizen_spouse": ("王丽", "F", dt.date(1990, 8, 20), "330102199008200465"),
    "citizen_child": ("张小宇", "M", dt.date(2019, 3, 3), "330102201903030116"),
    # `citizen2`: an elderly widow for whom `citizen` is the proxy
    "citizen2": ("李秀英", "F", dt.date(1948, 2, 14), "330102194802140820"),
    # `enterprise`: an authorised agent of the demo company; `legal_rep` is its legal representative
    "enterprise": ("王芳", "F", dt.date(1985, 11, 2), "330102198511020161"),
    "legal_rep": ("刘强", "M", dt.date(1979, 6, 30), "330102197906300250"),
}
DEMO_PHONES = {
    "citizen": "13800000001",
    "citizen_spouse": "13800000002",
    "citizen2": "13800000003",
    "enterprise": "13800000004",
    "legal_rep": "13800000005",
}
DEMO_COMPANY = {
    "uscc": "91330102712345672E",
    "name": "杭州一网餐饮管理有限公司",
    "kind": "company",
    "address": "浙江省杭州市上城区河坊街88号",
    "registered_on": dt.date(2021, 4, 8),
    "legal_rep": "legal_rep",
}


def load_demo_registry(persons: int = 1000, *, seed: int = 20260101):
    """The demo people and company inside a small synthetic population. Idempotent: when the demo
    people exist already, nothing is done (returns None); otherwise returns the PopulationReport."""
    from .population import demo_people_present, generate_population

    if demo_people_present():
        return None
    return generate_population(persons=persons, seed=seed, add=True)


DEMO_NEWBORN = ("张小萌", "F", "杭州市妇产科医院")
DEMO_NEWBORN_AGE_DAYS = 7


def load_demo_newborn():
    """张伟 and 王丽's daughter, born a week before the demo is loaded, as the hospital (WJW) records
    her: the parents then get the 新生儿出生一件事 offer and can apply for her. Idempotent: returns the
    newborn Person when recorded now, None when a newborn is already there (or the demo is absent)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from .selectors import newborn_children, person_by_id_number
    from .services import person_register_birth

    father = person_by_id_number(DEMO_PEOPLE["citizen"][3])
    mother = person_by_id_number(DEMO_PEOPLE["citizen_spouse"][3])
    actor = get_user_model().objects.filter(username="staff-wjw").first()
    if father is None or mother is None or actor is None or newborn_children(father):
        return None
    name, sex, place = DEMO_NEWBORN
    born = timezone.localdate() - dt.timedelta(days=DEMO_NEWBORN_AGE_DAYS)
    return person_register_birth(actor=actor, name=name, sex=sex, birth_date=born, birth_place=place,
                                 mother=mother, father=father)
