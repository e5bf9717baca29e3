"""Demo question bank: the demo teacher (Claire Bonnefoy, maths) gets categories
"5e › Fractions", "5e › Proportionnalité" and "Géographie du Cantal" and 25 questions of
every type, with real 5e content and feedback; some are shared with the colleagues of her
school. Idempotent: a question is found again by its owner and title.

``demo_questions()`` gives the demo questions by title, for the assignments demo.
"""

from __future__ import annotations

from typing import Any

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Role, User

from ..models import Question, QuestionCategory, SchoolMember
from ..services import questions as services

FRACTIONS = ("5e", "Fractions")
PROPORTIONS = ("5e", "Proportionnalité")
CANTAL = ("Géographie du Cantal",)


def _c(id_: str, text: str, fraction: str = "0", feedback: str = "") -> dict[str, str]:
    return {"id": id_, "text": text, "fraction": fraction, "feedback": feedback}


QUESTIONS: list[dict[str, Any]] = [
    # --- 5e > Fractions ------------------------------------------------------------------------
    {
        "name": "Fraction égale à 3/4",
        "category": FRACTIONS,
        "qtype": "single",
        "text": "Quelle fraction est égale à 3/4 ?",
        "data": {
            "choices": [
                _c("a", "6/8", "1", "Oui : on a multiplié le numérateur et le dénominateur par 2."),
                _c("b", "4/3", "0", "Non : tu as inversé le numérateur et le dénominateur."),
                _c("c", "3/8", "0", "Non : seul le dénominateur a été multiplié."),
                _c("d", "5/6", "0", "Non : ajouter 2 en haut et en bas ne donne pas une fraction égale."),
            ],
            "shuffle": True,
        },
        "general_feedback": "Une fraction ne change pas quand on multiplie son numérateur et son dénominateur "
        "par le même nombre : 3/4 = (3 × 2)/(4 × 2) = 6/8.",
        "tags": ["fractions", "fractions égales"],
        "shared": True,
    },
    {
        "name": "Fractions égales à 1/2",
        "category": FRACTIONS,
        "qtype": "multiple",
        "text": "Cochez toutes les fractions égales à 1/2.",
        "data": {
            "choices": [
                _c("a", "2/4", "0.3333333", "Oui, 2/4 = 1/2."),
                _c("b", "5/10", "0.3333333", "Oui, 5/10 = 1/2."),
                _c("c", "50/100", "0.3333333", "Oui, 50/100 = 1/2."),
                _c("d", "2/1", "-0.5", "Non : 2/1 = 2, c'est le double."),
                _c("e", "1/3", "-0.5", "Non : 1/3 est plus petit que 1/2."),
            ],
            "shuffle": True,
        },
        "general_feedback": "Une fraction est égale à 1/2 quand son dénominateur est le double de son numérateur.",
        "tags": ["fractions", "fractions égales"],
        "shared": True,
    },
    {
        "name": "Simplifier 12/18",
        "category": FRACTIONS,
        "qtype": "short",
        "text": "Écris 12/18 sous forme de fraction irréductible (par exemple 5/7).",
        "data": {
            "answers": [
                _c("a", "2/3", "1", "Bravo : 12/18 = (6 × 2)/(6 × 3) = 2/3."),
                _c("b", "4/6", "0.5", "C'est juste, mais on peut encore simplifier par 2."),
                _c("c", "6/9", "0.5", "C'est juste, mais on peut encore simplifier par 3."),
            ],
            "case_sensitive": False,
            "accent_sensitive": True,
        },
        "general_feedback": "Le plus grand diviseur commun de 12 et 18 est 6 : 12/18 = 2/3.",
        "tags": ["fractions", "simplification"],
    },
    {
        "name": "Comparer 3/5 et 2/3",
        "category": FRACTIONS,
        "qtype": "truefalse",
        "text": "3/5 est plus grand que 2/3.",
        "data": {
            "answer": False,
            "feedback_true": "Non : 3/5 = 9/15 et 2/3 = 10/15, donc 3/5 est plus petit.",
            "feedback_false": "Exact : 3/5 = 9/15 est plus petit que 2/3 = 10/15.",
        },
        "tags": ["fractions", "comparaison"],
    },
    {
        "name": "Somme 1/4 + 2/4",
        "category": FRACTIONS,
        "qtype": "numerical",
        "text": "Calcule 1/4 + 2/4 et donne le résultat sous forme décimale.",
        "data": {
            "answers": [
                {"id": "a", "value": "0.75", "tolerance": "0", "fraction": "1", "feedback": "Oui : 3/4 = 0,75."},
                {
                    "id": "b",
                    "value": "0.7",
                    "tolerance": "0.05",
                    "fraction": "0.5",
                    "feedback": "Presque : 3/4 vaut exactement 0,75.",
                },
            ]
        },
        "general_feedback": "Même dénominateur : on ajoute les numérateurs. 1/4 + 2/4 = 3/4 = 0,75.",
        "tags": ["fractions", "addition"],
        "shared": True,
    },
    {
        "name": "Fraction d'une quantité",
        "category": FRACTIONS,
        "qtype": "numerical",
        "text": "Dans une classe de 28 élèves, les 3/4 sont demi-pensionnaires. "
        "Combien d'élèves déjeunent à la cantine ?",
        "data": {
            "answers": [
                {"id": "a", "value": "21", "tolerance": "0", "fraction": "1", "feedback": "Oui : 28 ÷ 4 × 3 = 21."},
                {
                    "id": "b",
                    "value": "7",
                    "tolerance": "0",
                    "fraction": "0",
                    "feedback": "7, c'est le quart de la classe : il en faut trois quarts.",
                },
            ]
        },
        "tags": ["fractions", "problème"],
    },
    {
        "name": "Fractions et leur écriture décimale",
        "category": FRACTIONS,
        "qtype": "matching",
        "text": "Associe chaque fraction à son écriture décimale.",
        "data": {
            "pairs": [
                {"id": "p1", "left": "1/2", "right": "0,5"},
                {"id": "p2", "left": "1/4", "right": "0,25"},
                {"id": "p3", "left": "3/4", "right": "0,75"},
                {"id": "p4", "left": "1/5", "right": "0,2"},
            ],
            "extra_rights": ["0,4"],
            "shuffle": True,
        },
        "tags": ["fractions", "nombres décimaux"],
    },
    {
        "name": "Ranger des fractions",
        "category": FRACTIONS,
        "qtype": "ordering",
        "text": "Range ces fractions dans l'ordre croissant (de la plus petite à la plus grande).",
        "data": {
            "items": [
                {"id": "i1", "text": "1/8"},
                {"id": "i2", "text": "1/4"},
                {"id": "i3", "text": "1/2"},
                {"id": "i4", "text": "3/4"},
            ]
        },
        "general_feedback": "Avec le même numérateur 1, plus le dénominateur est grand, plus la fraction est petite.",
        "tags": ["fractions", "comparaison"],
    },
    {
        "name": "Vocabulaire des fractions",
        "category": FRACTIONS,
        "qtype": "cloze",
        "text": "Complète le texte.",
        "data": {
            "segments": ["Dans la fraction 3/7, 3 est le ", " et 7 est le ", ". Cette fraction est ", " à 1."],
            "blanks": [
                {
                    "id": "b1",
                    "mode": "text",
                    "case_sensitive": False,
                    "accent_sensitive": False,
                    "answers": [_c("b1a1", "numérateur", "1")],
                },
                {
                    "id": "b2",
                    "mode": "text",
                    "case_sensitive": False,
                    "accent_sensitive": False,
                    "answers": [_c("b2a1", "dénominateur", "1")],
                },
                {
                    "id": "b3",
                    "mode": "choice",
                    "answers": [
                        _c("b3a1", "inférieure", "1"),
                        _c("b3a2", "supérieure", "0", "Non : 3 est plus petit que 7."),
                        _c("b3a3", "égale", "0"),
                    ],
                },
            ],
        },
        "tags": ["fractions", "vocabulaire"],
        "shared": True,
    },
    {
        "name": "Expliquer l'égalité de deux fractions",
        "category": FRACTIONS,
        "qtype": "essay",
        "text": "Explique avec tes mots pourquoi 2/3 et 8/12 sont égales. Tu peux t'aider d'un exemple.",
        "data": {
            "min_words": 15,
            "max_words": 120,
            "grader_info": "Attendu : multiplication du numérateur et du dénominateur par 4, "
            "ou un partage (pizza, bande) en parts égales.",
        },
        "default_mark": "2",
        "tags": ["fractions", "rédaction"],
    },
    # --- 5e > Proportionnalité ---------------------------------------------------------------
    {
        "name": "Prix de 5 cahiers",
        "category": PROPORTIONS,
        "qtype": "numerical",
        "text": "3 cahiers coûtent 4,50 €. Combien coûtent 5 cahiers (en euros) ?",
        "data": {
            "answers": [
                {
                    "id": "a",
                    "value": "7.5",
                    "tolerance": "0",
                    "fraction": "1",
                    "feedback": "Oui : un cahier coûte 1,50 €, donc 5 cahiers coûtent 7,50 €.",
                },
            ]
        },
        "general_feedback": "On passe par l'unité : 4,50 ÷ 3 = 1,50 € ; 1,50 × 5 = 7,50 €.",
        "tags": ["proportionnalité", "problème"],
        "shared": True,
    },
    {
        "name": "Tableau de proportionnalité",
        "category": PROPORTIONS,
        "qtype": "single",
        "text": "Un tableau donne 2 → 6 et 5 → 15. Quel est le coefficient de proportionnalité ?",
        "data": {
            "choices": [
                _c("a", "3", "1", "Oui : 2 × 3 = 6 et 5 × 3 = 15."),
                _c("b", "4", "0", "Non : 2 + 4 = 6, mais on cherche un nombre par lequel multiplier."),
                _c("c", "10", "0", "Non : 5 + 10 = 15, c'est une addition."),
            ],
            "shuffle": True,
        },
        "tags": ["proportionnalité", "tableau"],
    },
    {
        "name": "Situations de proportionnalité",
        "category": PROPORTIONS,
        "qtype": "multiple",
        "text": "Cochez les situations de proportionnalité.",
        "data": {
            "choices": [
                _c("a", "Le prix payé et la masse de pommes achetées (au même prix au kilo)", "0.5"),
                _c("b", "Le périmètre d'un carré et la longueur de son côté", "0.5"),
                _c("c", "La taille d'un enfant et son âge", "-0.5", "Non : on ne grandit pas régulièrement."),
                _c(
                    "d",
                    "L'aire d'un carré et la longueur de son côté",
                    "-0.5",
                    "Non : si le côté double, l'aire est multipliée par 4.",
                ),
            ],
            "shuffle": True,
        },
        "tags": ["proportionnalité"],
    },
    {
        "name": "Pourcentage d'une réduction",
        "category": PROPORTIONS,
        "qtype": "numerical",
        "text": "Un vélo coûte 240 €. Il est soldé à −25 %. Quel est le montant de la réduction (en euros) ?",
        "data": {
            "answers": [
                {"id": "a", "min": "60", "max": "60", "fraction": "1", "feedback": "Oui : 25 % de 240 = 60."},
                {
                    "id": "b",
                    "value": "180",
                    "tolerance": "0",
                    "fraction": "0",
                    "feedback": "180 € est le nouveau prix ; la question demande la réduction.",
                },
            ]
        },
        "tags": ["proportionnalité", "pourcentages"],
    },
    {
        "name": "Vitesse moyenne",
        "category": PROPORTIONS,
        "qtype": "short",
        "text": "Un train parcourt 120 km en 2 heures à vitesse constante. Quelle est sa vitesse (en km/h) ?",
        "data": {
            "answers": [
                _c("a", "60", "1", "Oui : 120 ÷ 2 = 60 km/h."),
                _c("b", "60 km/h", "1", "Oui : 120 ÷ 2 = 60 km/h."),
                _c("c", "240", "0", "Non : on divise la distance par la durée."),
            ],
            "case_sensitive": False,
            "accent_sensitive": False,
        },
        "tags": ["proportionnalité", "vitesse"],
    },
    {
        "name": "La règle de trois",
        "category": PROPORTIONS,
        "qtype": "description",
        "text": "Rappel : dans une situation de proportionnalité, on peut passer par l'unité. "
        "Si 4 croissants coûtent 4,80 €, un croissant coûte 4,80 ÷ 4 = 1,20 €.",
        "data": {},
        "default_mark": "0",
        "tags": ["proportionnalité", "rappel"],
    },
    {
        "name": "Recette de la truffade",
        "category": PROPORTIONS,
        "qtype": "cloze",
        "text": "Complète la recette.",
        "data": {
            "segments": [
                "Pour 4 personnes, il faut 1 kg de pommes de terre et 400 g de tomme fraîche. Pour 8 personnes, "
                "il faut ",
                " kg de pommes de terre et ",
                " g de tomme : c'est une situation de ",
                ".",
            ],
            "blanks": [
                {
                    "id": "b1",
                    "mode": "text",
                    "case_sensitive": False,
                    "accent_sensitive": True,
                    "answers": [_c("b1a1", "2", "1")],
                },
                {
                    "id": "b2",
                    "mode": "text",
                    "case_sensitive": False,
                    "accent_sensitive": True,
                    "answers": [_c("b2a1", "800", "1")],
                },
                {
                    "id": "b3",
                    "mode": "choice",
                    "answers": [
                        _c("b3a1", "proportionnalité", "1"),
                        _c("b3a2", "soustraction", "0"),
                        _c("b3a3", "hasard", "0"),
                    ],
                },
            ],
        },
        "tags": ["proportionnalité", "cantal"],
        "shared": True,
    },
    # --- Géographie du Cantal --------------------------------------------------------------------
    {
        "name": "Préfecture du Cantal",
        "category": CANTAL,
        "qtype": "short",
        "text": "Quelle est la préfecture du Cantal ?",
        "data": {
            "answers": [_c("a", "Aurillac", "1", "Oui, Aurillac est la préfecture du Cantal.")],
            "case_sensitive": False,
            "accent_sensitive": False,
        },
        "tags": ["cantal", "géographie"],
        "shared": True,
    },
    {
        "name": "Plus haut sommet du Cantal",
        "category": CANTAL,
        "qtype": "single",
        "text": "Quel est le plus haut sommet du Cantal ?",
        "data": {
            "choices": [
                _c("a", "Le Plomb du Cantal (1 855 m)", "1", "Oui, c'est le point culminant du département."),
                _c("b", "Le puy Mary (1 783 m)", "0", "Le puy Mary est célèbre, mais un peu moins haut."),
                _c("c", "Le puy de Dôme (1 465 m)", "0", "Le puy de Dôme est dans le Puy-de-Dôme."),
            ],
            "shuffle": True,
        },
        "tags": ["cantal", "géographie", "relief"],
    },
    {
        "name": "Sous-préfectures du Cantal",
        "category": CANTAL,
        "qtype": "multiple",
        "text": "Cochez les sous-préfectures du Cantal.",
        "data": {
            "choices": [
                _c("a", "Mauriac", "0.5"),
                _c("b", "Saint-Flour", "0.5"),
                _c("c", "Aurillac", "-1", "Aurillac est la préfecture, pas une sous-préfecture."),
                _c("d", "Murat", "-1", "Murat est une commune du Cantal, mais pas une sous-préfecture."),
            ],
            "shuffle": True,
        },
        "tags": ["cantal", "géographie"],
    },
    {
        "name": "Le Cantal en Auvergne-Rhône-Alpes",
        "category": CANTAL,
        "qtype": "truefalse",
        "text": "Le Cantal fait partie de la région Auvergne-Rhône-Alpes.",
        "data": {
            "answer": True,
            "feedback_true": "Oui, depuis 2016.",
            "feedback_false": "Si : le Cantal est dans la région Auvergne-Rhône-Alpes depuis 2016.",
        },
        "tags": ["cantal", "géographie"],
    },
    {
        "name": "Villes et rivières du Cantal",
        "category": CANTAL,
        "qtype": "matching",
        "text": "Associe chaque ville à la rivière qui la traverse.",
        "data": {
            "pairs": [
                {"id": "p1", "left": "Aurillac", "right": "la Jordanne"},
                {"id": "p2", "left": "Saint-Flour", "right": "le Lander"},
                {"id": "p3", "left": "Murat", "right": "l'Alagnon"},
            ],
            "extra_rights": ["la Loire"],
            "shuffle": True,
        },
        "tags": ["cantal", "géographie", "rivières"],
    },
    {
        "name": "Du nord au sud",
        "category": CANTAL,
        "qtype": "ordering",
        "text": "Range ces villes du nord au sud.",
        "data": {
            "items": [{"id": "i1", "text": "Condat"}, {"id": "i2", "text": "Murat"}, {"id": "i3", "text": "Maurs"}]
        },
        "tags": ["cantal", "géographie"],
    },
    {
        "name": "Le Cantal, un département",
        "category": CANTAL,
        "qtype": "cloze",
        "text": "Complète le texte.",
        "data": {
            "segments": ["Le Cantal est un ", " de France, sa préfecture est ", "."],
            "blanks": [
                {
                    "id": "b1",
                    "mode": "choice",
                    "answers": [_c("b1a1", "département", "1"), _c("b1a2", "pays", "0"), _c("b1a3", "région", "0")],
                },
                {
                    "id": "b2",
                    "mode": "text",
                    "case_sensitive": False,
                    "accent_sensitive": True,
                    "answers": [_c("b2a1", "Aurillac", "1")],
                },
            ],
        },
        "tags": ["cantal", "géographie"],
        "shared": True,
    },
    {
        "name": "Altitude du puy Mary",
        "category": CANTAL,
        "qtype": "numerical",
        "text": "Quelle est l'altitude du puy Mary, en mètres ? (une réponse à 10 m près est acceptée)",
        "data": {
            "answers": [
                {"id": "a", "value": "1783", "tolerance": "10", "fraction": "1", "feedback": "Oui, 1 783 m."},
                {
                    "id": "b",
                    "min": "1700",
                    "max": "1900",
                    "fraction": "0.5",
                    "feedback": "C'est le bon ordre de grandeur : 1 783 m exactement.",
                },
            ]
        },
        "tags": ["cantal", "relief"],
    },
]


def demo_teacher() -> User | None:
    return User.objects.filter(email=demo_email(Role.TEACHER)).first()


def _category(owner: User, path: tuple[str, ...]) -> QuestionCategory:
    parent = None
    for name in path:
        category = QuestionCategory.objects.filter(owner=owner, parent=parent, name=name).first()
        if category is None:
            category = services.category_create(actor=owner, name=name, parent=parent)
        parent = category
    if parent is None:
        raise ValueError("a category path is never empty")
    return parent


def load() -> dict[str, int]:
    teacher = demo_teacher()
    if teacher is None or not SchoolMember.objects.filter(user=teacher, kind=SchoolMember.Kind.TEACHER).exists():
        return {"questions": 0, "catégories de questions": 0}
    from ..access import forget

    forget(teacher)
    created = 0
    for spec in QUESTIONS:
        if Question.objects.filter(owner=teacher, name=spec["name"]).exists():
            continue
        services.question_create(
            actor=teacher,
            qtype=spec["qtype"],
            name=spec["name"],
            text=spec["text"],
            data=spec["data"],
            general_feedback=spec.get("general_feedback", ""),
            default_mark=spec.get("default_mark", "1"),
            category=_category(teacher, spec["category"]),
            tags=spec.get("tags", []),
            shared=spec.get("shared", False),
        )
        created += 1
    return {
        "questions": Question.objects.filter(owner=teacher).count(),
        "catégories de questions": QuestionCategory.objects.filter(owner=teacher).count(),
    }


def demo_questions() -> dict[str, Question]:
    """The demo teacher's demo questions by title (empty when the demo is not loaded)."""
    teacher = demo_teacher()
    if teacher is None:
        return {}
    names = [spec["name"] for spec in QUESTIONS]
    return {q.name: q for q in Question.objects.filter(owner=teacher, name__in=names)}
