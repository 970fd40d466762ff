"""Seed the data catalogue (数据资源目录) from registry DATA_SOURCES; sharing.demo.load_data_catalog()
does the same later (idempotent) when the registry gains elements."""

from django.db import migrations


def seed(apps, schema_editor):
    from yiwang.sharing.constants import catalog_defaults

    DataElement = apps.get_model("sharing", "DataElement")
    for row in catalog_defaults():
        DataElement.objects.get_or_create(code=row["code"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
