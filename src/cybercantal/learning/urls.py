"""URLs of the cartable électronique, under ``/ent/``. Each part declares its own
``urlpatterns`` in its views module; they share the ``learning`` namespace."""

from django.urls import include, path

app_name = "learning"

PARTS = [
    "home",  # /ent/ : the home page of each role (student, teacher, parent, staff); privacy export
    "provisioning",  # sign-in with an ENT login, activation, CSV imports, activation letters
    "schools",  # schools, classes and groups, people, year rollover, password resets
    "documents",  # document spaces, folders, files (range requests)
    "courses",  # courses and lessons
    "questions",  # question bank, categories, tags, sharing, editor, preview
    "gift",  # GIFT import (preview, errors by line) and export
    "assignments",  # exercises, assignments to classes, results, grading, CSV
    "attempts",  # a student's attempts: answer, save, resume, submit, review
    "homework",  # cahier de textes, homework, workload, sign-off, iCalendar feed
]

urlpatterns = [path("", include(f"cybercantal.learning.views.{part}")) for part in PARTS]
