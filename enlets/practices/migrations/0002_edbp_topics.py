"""The five topics of the EDBP project (DOMAIN.md), each with the member state that led it."""

from django.db import migrations

TOPICS = [
    ("anpr", "ANPR", "NL", "Automatic number plate recognition: choosing a solution, optimising a system, "
     "operational trials and rankings."),
    ("osint", "OSINT", "RO", "Open-source intelligence: tools and methods for investigating publicly available "
     "information."),
    ("sigint", "SIGINT", "RO", "Signals intelligence: lawful interception and analysis of signals and "
     "communications."),
    ("surveillance", "Surveillance", "NL", "Surveillance technology, tested in realistic conditions with a common "
     "test method."),
    ("front-line-policing", "Front Line Policing", "UK", "Technology for officers on the street, such as the "
     "remote stopping of vehicles."),
]


def seed(apps, schema_editor):
    Topic = apps.get_model("practices", "Topic")
    Country = apps.get_model("network", "Country")
    for slug, name, lead, description in TOPICS:
        # The UK led Front Line Policing while a member state; it is no longer one, so the topic
        # has no lead country until the Core Group names one.
        country = Country.objects.filter(pk=lead).first()
        Topic.objects.get_or_create(slug=slug, defaults={"name": name, "description": description,
                                                         "lead_country": country})


def unseed(apps, schema_editor):
    apps.get_model("practices", "Topic").objects.filter(slug__in=[t[0] for t in TOPICS], practices=None).delete()


class Migration(migrations.Migration):
    dependencies = [("practices", "0001_initial"), ("network", "0002_member_states")]
    operations = [migrations.RunPython(seed, unseed)]
