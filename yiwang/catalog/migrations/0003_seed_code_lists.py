from django.db import migrations


def seed(apps, schema_editor):
    from yiwang.catalog.codes import CODE_LISTS

    CodeList = apps.get_model("catalog", "CodeList")
    Code = apps.get_model("catalog", "Code")
    for name, title, codes in CODE_LISTS:
        code_list, _ = CodeList.objects.get_or_create(name=name, defaults={"title": title})
        for position, (value, label, label_en) in enumerate(codes):
            Code.objects.get_or_create(
                code_list=code_list, value=value,
                defaults={"label": label, "label_en": label_en, "position": position},
            )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
