# The masked labels stored before a mask showed at most a third of a value (issue 17 §11):
# identifiers' labels, the stores' registration environment, and the evidence of association
# risks. Their values are not kept (blind indexes only), so the labels are tightened as they are.

from django.db import migrations

from linkstar.core.masking import tighten


def tighten_labels(apps, schema_editor):
    for app, model in (("entities", "Identifier"), ("compliance", "StoreIdentifier")):
        Model = apps.get_model(app, model)
        for row in Model.objects.only("pk", "kind", "masked").iterator(chunk_size=500):
            label = tighten(row.masked, kind=row.kind)
            if label != row.masked:
                Model.objects.filter(pk=row.pk).update(masked=label)
    Risk = apps.get_model("compliance", "AssociationRisk")
    for risk in Risk.objects.only("pk", "kind", "masked", "identifiers").iterator(chunk_size=500):
        identifiers = [
            {**i, "masked": tighten(i.get("masked") or "", kind=i.get("kind") or "")}
            for i in risk.identifiers or []
        ]
        label = tighten(risk.masked, kind=risk.kind)
        if label != risk.masked or identifiers != risk.identifiers:
            Risk.objects.filter(pk=risk.pk).update(masked=label, identifiers=identifiers)


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0002_one_risk_per_pair"),
        ("entities", "0005_store_identifier_kinds"),
    ]

    operations = [migrations.RunPython(tighten_labels, migrations.RunPython.noop)]
