"""Demo courses: 5e B mathematics of the demo teacher (found through the models: their
``Teaching`` of 5e B in mathematics, this year's class first), two published courses with
real, short lessons of the 5e programme (« Les fractions », « Proportionnalité ») that
embed the demo documents (``demo.documents.demo_documents()``) and a link, and one draft
course (« Les nombres relatifs »).

Idempotent: courses are found by class, subject and title, lessons by course and title,
resources by lesson and title; running it twice creates nothing. Without the demo teacher
or their 5e B mathematics, nothing is created (zero counts).
"""

from __future__ import annotations

import logging
from typing import Any

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Role, User

from ..models import Course, Lesson, LessonResource, Teaching
from ..services import courses as services

logger = logging.getLogger(__name__)

FRACTIONS = "Les fractions"
PROPORTIONS = "Proportionnalité"
RELATIVES = "Les nombres relatifs"

# (title, body, [(kind, what, title)]): kind "document" (a demo document's name) or "link" (a URL).
LessonSpec = tuple[str, str, list[tuple[str, str, str]]]

FRACTIONS_LESSONS: list[LessonSpec] = [
    (
        "Qu'est-ce qu'une fraction ?",
        "<p>Une <strong>fraction</strong> s'écrit avec deux nombres entiers séparés par un trait : "
        "<strong>3/4</strong> se lit « trois quarts ».</p>"
        "<ul><li>le nombre du dessous, le <strong>dénominateur</strong>, dit en combien de parts égales "
        "on partage l'unité (ici 4) ;</li>"
        "<li>le nombre du dessus, le <strong>numérateur</strong>, dit combien de parts on prend (ici 3).</li></ul>"
        "<p>Une fraction est aussi un <em>quotient</em> : 3/4 est le nombre qui, multiplié par 4, donne 3. "
        "Donc 3/4 = 3 ÷ 4 = 0,75.</p>"
        "<h3>En musique</h3>"
        "<p>Une blanche dure la moitié d'une ronde (1/2) et une noire le quart d'une ronde (1/4) : "
        "deux noires durent autant qu'une blanche.</p>",
        [
            ("document", "Fiche méthode — les fractions.pdf", "Fiche méthode : les fractions"),
            ("document", "Son de démonstration — la 440 Hz.wav", "Écouter une note : le la à 440 Hz"),
        ],
    ),
    (
        "Fractions égales et simplification",
        "<p>On ne change pas une fraction en <strong>multipliant</strong> (ou en <strong>divisant</strong>) "
        "son numérateur et son dénominateur par un même nombre non nul.</p>"
        "<p>Exemples : 2/3 = (2 × 4)/(3 × 4) = 8/12 et 12/18 = (12 ÷ 6)/(18 ÷ 6) = 2/3.</p>"
        "<p><strong>Simplifier</strong> une fraction, c'est l'écrire avec des nombres plus petits. "
        "Quand on ne peut plus simplifier, la fraction est dite <em>irréductible</em> (2/3 est irréductible).</p>"
        "<blockquote><p>Astuce : pense aux critères de divisibilité par 2, 3, 5 et 10.</p></blockquote>",
        [],
    ),
    (
        "Comparer des fractions",
        "<h3>Même dénominateur</h3>"
        "<p>La plus grande fraction est celle qui a le plus grand numérateur : 5/7 &gt; 3/7.</p>"
        "<h3>Dénominateurs multiples l'un de l'autre</h3>"
        "<p>On écrit d'abord les deux fractions avec le même dénominateur : pour comparer 2/3 et 7/12, "
        "on écrit 2/3 = 8/12 ; comme 8/12 &gt; 7/12, on a 2/3 &gt; 7/12.</p>"
        "<h3>Comparer à 1</h3>"
        "<p>Si le numérateur est plus petit que le dénominateur, la fraction est plus petite que 1 (4/9 &lt; 1) ; "
        "s'il est plus grand, elle est plus grande que 1 (9/4 &gt; 1).</p>",
        [],
    ),
    (
        "Additionner et soustraire des fractions",
        "<p>Quand les fractions ont le <strong>même dénominateur</strong>, on additionne (ou on soustrait) "
        "les numérateurs et on garde le dénominateur : 2/9 + 5/9 = 7/9 et 7/8 − 3/8 = 4/8 = 1/2.</p>"
        "<p>Quand un dénominateur est un <strong>multiple</strong> de l'autre, on se ramène d'abord au même "
        "dénominateur : 1/2 + 3/4 = 2/4 + 3/4 = 5/4.</p>"
        "<ol><li>Je cherche le dénominateur commun.</li><li>J'écris les fractions avec ce dénominateur.</li>"
        "<li>J'additionne les numérateurs, puis je simplifie si possible.</li></ol>",
        [("link", "https://fr.wikipedia.org/wiki/Fraction_(math%C3%A9matiques)", "Les fractions sur Wikipédia")],
    ),
]

PROPORTIONS_LESSONS: list[LessonSpec] = [
    (
        "Reconnaître une situation de proportionnalité",
        "<p>Deux grandeurs sont <strong>proportionnelles</strong> quand on obtient les valeurs de l'une en "
        "multipliant celles de l'autre par un même nombre, le <strong>coefficient de proportionnalité</strong>.</p>"
        "<table><caption>Prix des pommes à 2,50 € le kilo</caption>"
        '<thead><tr><th scope="col">Masse (kg)</th><th scope="col">1</th><th scope="col">2</th>'
        '<th scope="col">3</th></tr></thead>'
        '<tbody><tr><th scope="row">Prix (€)</th><td>2,50</td><td>5</td><td>7,50</td></tr></tbody></table>'
        "<p>Le coefficient est 2,5 : le prix est proportionnel à la masse.</p>"
        "<p>Contre-exemple : la taille d'un enfant n'est pas proportionnelle à son âge "
        "(à 10 ans, on ne mesure pas deux fois sa taille de 5 ans).</p>",
        [],
    ),
    (
        "Calculer une quatrième proportionnelle",
        "<p>Problème : 4 cahiers coûtent 6 €. Combien coûtent 10 cahiers ?</p>"
        "<h3>Par le passage à l'unité</h3>"
        "<p>1 cahier coûte 6 ÷ 4 = 1,50 €, donc 10 cahiers coûtent 10 × 1,50 = 15 €.</p>"
        "<h3>Par les propriétés de linéarité</h3>"
        "<p>8 cahiers coûtent 2 × 6 = 12 € et 2 cahiers coûtent 6 ÷ 2 = 3 € ; 10 = 8 + 2, "
        "donc 10 cahiers coûtent 12 + 3 = 15 €.</p>",
        [],
    ),
    (
        "Appliquer un pourcentage",
        "<p>Prendre <strong>t %</strong> d'une quantité, c'est la multiplier par t/100.</p>"
        "<p>Exemple : dans un collège de 450 élèves, 20 % viennent en car. "
        "450 × 20/100 = 90 élèves viennent en car.</p>"
        "<p>À retenir : 50 %, c'est la moitié ; 25 %, le quart ; 10 %, le dixième.</p>",
        [],
    ),
    (
        "Agrandir une figure",
        "<p>Pour agrandir (ou réduire) une figure, on multiplie <strong>toutes les longueurs</strong> par un même "
        "nombre : les longueurs de la nouvelle figure sont proportionnelles à celles de la figure de départ.</p>"
        "<p>Les <strong>angles</strong>, eux, ne changent pas : un triangle rectangle agrandi reste rectangle.</p>"
        "<p>Exemple : un triangle de côtés 3 cm, 4 cm et 5 cm agrandi deux fois a pour côtés 6 cm, 8 cm et 10 cm.</p>",
        [("document", "Figure — le triangle rectangle.png", "Un triangle rectangle de côtés 3 cm, 4 cm et 5 cm")],
    ),
]

RELATIVES_LESSONS: list[LessonSpec] = [
    (
        "Découvrir les nombres négatifs",
        "<p>Un nombre <strong>relatif</strong> est formé d'un signe (+ ou −) et d'une distance à zéro. "
        "Par exemple, −5 °C est une température de 5 degrés sous zéro.</p>",
        [],
    ),
]


def _demo_teaching() -> Teaching | None:
    teacher = User.objects.filter(email__iexact=demo_email(Role.TEACHER)).first()
    if teacher is None:
        return None
    return (
        Teaching.objects.filter(teacher=teacher, school_class__name="5e B", subject__name__icontains="math")
        .select_related("school_class", "subject", "teacher")
        .order_by("-school_class__year__starts_on")
        .first()
    )


def _documents() -> dict[str, Any]:
    try:
        from .documents import demo_documents
    except ImportError:  # the documents demo is not there: lessons without documents
        return {}
    try:
        return demo_documents()
    except Exception:  # a demo must not stop on another part's data
        logger.warning("demo courses: the demo documents could not be loaded", exc_info=True)
        return {}


def _course(teaching: Teaching, title: str, summary: str, *, publish: bool, counts: dict[str, int]) -> Course:
    course = Course.objects.filter(school_class=teaching.school_class, subject=teaching.subject, title=title).first()
    if course is None:
        course = services.course_create(
            actor=None, school_class=teaching.school_class, subject=teaching.subject, title=title, summary=summary
        )
        Course.objects.filter(pk=course.pk).update(author=teaching.teacher)
        counts["cours"] += 1
        if publish:
            services.course_publish(actor=None, course=course)
    return course


def _lessons(
    course: Course, specs: list[LessonSpec], documents: dict[str, Any], *, publish: bool, counts: dict[str, int]
) -> None:
    for title, body, resources in specs:
        lesson = Lesson.objects.filter(course=course, title=title).select_related("course").first()
        if lesson is None:
            lesson = services.lesson_create(actor=None, course=course, title=title, body=body, publish=publish)
            counts["leçons"] += 1
        existing = set(LessonResource.objects.filter(lesson=lesson).values_list("title", flat=True))
        for kind, what, resource_title in resources:
            if resource_title in existing:
                continue
            if kind == "link":
                services.resource_add_link(actor=None, lesson=lesson, title=resource_title, url=what)
            elif what in documents:
                services.resource_add_document(
                    actor=None, lesson=lesson, document=documents[what], title=resource_title
                )
            else:
                continue
            counts["ressources de leçons"] += 1


def load() -> dict[str, int]:
    counts = {"cours": 0, "leçons": 0, "ressources de leçons": 0}
    teaching = _demo_teaching()
    if teaching is None:
        logger.warning("demo courses: no demo teacher of mathematics in 5e B")
        return counts
    documents = _documents()
    fractions = _course(
        teaching,
        FRACTIONS,
        "<p>Écrire, comparer et additionner des fractions : le chapitre du premier trimestre.</p>",
        publish=True,
        counts=counts,
    )
    _lessons(fractions, FRACTIONS_LESSONS, documents, publish=True, counts=counts)
    proportions = _course(
        teaching,
        PROPORTIONS,
        "<p>Reconnaître la proportionnalité, calculer une quatrième proportionnelle, appliquer un pourcentage.</p>",
        publish=True,
        counts=counts,
    )
    _lessons(proportions, PROPORTIONS_LESSONS, documents, publish=True, counts=counts)
    relatives = _course(teaching, RELATIVES, "<p>Chapitre en préparation.</p>", publish=False, counts=counts)
    _lessons(relatives, RELATIVES_LESSONS, documents, publish=False, counts=counts)
    return counts
