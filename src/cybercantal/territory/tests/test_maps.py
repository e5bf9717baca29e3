"""The SVG map: well-formed, accessible, proportionate, small, cached."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest
from django.template import Context, Template

from cybercantal.territory import geometry, maps
from cybercantal.territory.models import Canton, Commune, Departement
from cybercantal.territory.services import territory_import

SVG = "{http://www.w3.org/2000/svg}"


def table() -> maps.MapTable:
    return maps.MapTable.build(
        caption="Tableau d'essai", columns=["Canton", maps.Column("Valeur", numeric=True)], rows=[]
    )


def parse(rendered: maps.RenderedMap) -> ET.Element:
    return ET.fromstring(str(rendered.svg))  # noqa: S314 - our own markup, not untrusted input


def test_map_is_well_formed_and_labelled(territory):
    rendered = maps.render_map(title="Les cantons", description="Une description.", table=table(), map_id="essai")
    root = parse(rendered)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "essai-title essai-desc"
    assert root.find(f"{SVG}title").get("id") == "essai-title"
    assert root.find(f"{SVG}title").text == "Les cantons"
    assert root.find(f"{SVG}desc").get("id") == "essai-desc"
    assert root.find(f"{SVG}desc").text == "Une description."
    titled = [g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}title") is not None]
    assert len(titled) == Canton.objects.count() == 15
    titles = {g.find(f"{SVG}title").text for g in titled}
    assert "Canton n° 10 : Riom-ès-Montagnes" in titles
    numbers = sorted(int(t.text) for t in root.iter(f"{SVG}text"))
    assert numbers == list(range(1, 16))


def test_links_make_a_group_with_focusable_cantons(territory):
    urls = {c.code: f"/territoire/cantons/{c.slug}/" for c in Canton.objects.all()}
    root = parse(maps.render_map(title="T", description="D", table=table(), canton_urls=urls))
    assert root.get("role") == "group"
    assert root.get("aria-labelledby") == "carte-title"
    assert root.get("aria-describedby") == "carte-desc"
    links = list(root.iter(f"{SVG}a"))
    assert len(links) == 15
    assert all(a.find(f"{SVG}title") is not None and a.get("href").startswith("/territoire/") for a in links)


def test_proportions_follow_the_latitude(territory):
    rendered = maps.render_map(title="T", description="D", table=table(), width=600)
    root = parse(rendered)
    width, height = float(root.get("width")), float(root.get("height"))
    minx, miny, maxx, maxy = geometry.parse(Departement.objects.get(code="15").boundary).bounds
    expected = (maxx - minx) * math.cos(math.radians((miny + maxy) / 2)) / (maxy - miny)
    assert (width - 2 * maps.PADDING) / (height - 2 * maps.PADDING) == pytest.approx(expected, rel=0.02)


def test_choropleth_and_legend(territory):
    riom, mauriac = Canton.objects.get(number=10), Canton.objects.get(number=5)
    rendered = maps.render_map(
        title="T",
        description="D",
        table=table(),
        choropleth={riom.code: ("#4f9a6c", "Avec borne"), mauriac.code: ("#f1f7f3", "Sans borne")},
        default_fill=("#ffffff", "Pas de données"),
    )
    root = parse(rendered)
    fills = {}
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if title is not None:
            fills[title.text] = group.find(f"{SVG}path").get("fill")
    assert fills["Canton n° 10 : Riom-ès-Montagnes — Avec borne"] == "#4f9a6c"
    assert fills["Canton n° 5 : Mauriac — Sans borne"] == "#f1f7f3"
    assert fills["Canton n° 1 : Arpajon-sur-Cère — Pas de données"] == "#ffffff"
    assert [item.label for item in rendered.legend] == ["Avec borne", "Sans borne", "Pas de données"]
    assert 'fill="#4f9a6c"' in rendered.legend[0].swatch


def test_markers_have_shapes_titles_and_links(territory):
    markers = [
        maps.Marker(45.28, 2.66, "EPN <de> Riom", "/lieux/epn-riom/", "epn"),
        maps.Marker(44.93, 2.44, "Borne d'Aurillac", "", "borne"),
        maps.Marker(45.03, 3.09, "Autre EPN", "", "epn"),
    ]
    styles = {
        "epn": maps.MarkerStyle("EPN", "circle", "#0b4f8a"),
        "borne": maps.MarkerStyle("Borne", "square", "#8a3b12"),
    }
    rendered = maps.render_map(title="T", description="D", table=table(), markers=markers, marker_styles=styles)
    raw = str(rendered.svg)
    assert "<de>" not in raw
    assert "EPN &lt;de&gt; Riom" in raw
    root = parse(rendered)
    assert root.get("role") == "group"  # a marker is a link
    link = next(a for a in root.iter(f"{SVG}a") if a.get("href") == "/lieux/epn-riom/")
    assert link.find(f"{SVG}title").text == "EPN <de> Riom (EPN)"
    assert link.find(f"{SVG}circle") is not None
    assert len(list(root.iter(f"{SVG}circle"))) == 2
    assert len(list(root.iter(f"{SVG}rect"))) == 1
    assert [item.label for item in rendered.legend] == ["EPN", "Borne"]
    # Markers land inside the map.
    width, height = float(root.get("width")), float(root.get("height"))
    for circle in root.iter(f"{SVG}circle"):
        assert 0 < float(circle.get("cx")) < width
        assert 0 < float(circle.get("cy")) < height


def test_default_marker_styles_differ_by_shape(territory):
    styles = maps.marker_styles_for(["a", "b", "c", "a"], labels={"a": "Lieu A"})
    assert list(styles) == ["a", "b", "c"]
    assert len({s.shape for s in styles.values()}) == 3
    assert styles["a"].label == "Lieu A"
    assert styles["b"].label == "b"
    markers = [maps.Marker(45.0, 2.5 + i / 10, f"m{i}", "", kind) for i, kind in enumerate((*maps.SHAPES, "z"))]
    root = parse(maps.render_map(title="T", description="D", table=table(), markers=markers))
    assert root.find(f"{SVG}title") is not None


def test_communes_layer_and_highlight(territory):
    riom = Canton.objects.get(number=10)
    plain = maps.render_map(title="T", description="D", table=table())
    all_communes = maps.render_map(title="T", description="D", table=table(), show_communes=True)
    one_canton = maps.render_map(
        title="T", description="D", table=table(), show_communes=riom.code, highlight=riom.code
    )
    for rendered in (plain, all_communes, one_canton):
        parse(rendered)
    assert plain.size_bytes < all_communes.size_bytes
    assert plain.size_bytes < one_canton.size_bytes < all_communes.size_bytes
    assert 'stroke-width="3.5"' in one_canton.svg
    assert "Canton sélectionné (contour épais)" in [item.label for item in one_canton.legend]


def test_svg_stays_small(territory):
    cantons = maps.render_map(title="T", description="D", table=table())
    communes = maps.render_map(title="T", description="D", table=table(), show_communes=True)
    assert cantons.size_bytes < 20_000
    assert communes.size_bytes < 70_000


def test_second_render_comes_from_the_cache(territory, monkeypatch, django_assert_num_queries):
    calls = []
    original = maps._svg

    def counting(**kwargs):
        calls.append(kwargs["title"])
        return original(**kwargs)

    monkeypatch.setattr(maps, "_svg", counting)
    first = maps.render_map(title="Cache", description="D", table=table())
    with django_assert_num_queries(0):
        second = maps.render_map(title="Cache", description="D", table=table())
    assert calls == ["Cache"]
    assert second.svg == first.svg
    maps.render_map(title="Autre titre", description="D", table=table())
    assert calls == ["Cache", "Autre titre"]


def test_new_data_version_renders_again(territory, monkeypatch):
    calls = []
    original = maps._svg
    monkeypatch.setattr(maps, "_svg", lambda **kw: calls.append(1) or original(**kw))
    maps.render_map(title="Version", description="D", table=table())
    Commune.objects.filter(insee_code="15014", kind="actuelle").update(name="Orlhac")
    territory_import()
    maps.render_map(title="Version", description="D", table=table())
    assert len(calls) == 2


def test_table_cells_are_formatted(territory):
    built = maps.MapTable.build(
        caption="C",
        columns=["Nom", maps.Column("Population", numeric=True), "Lien"],
        rows=[["Aurillac", 26214, maps.Link("voir", "/x/")], ["Vide", None, True]],
    )
    aurillac, empty = built.rows
    assert aurillac[1].numeric
    assert aurillac[1].text.replace("\u202f", " ").replace("\xa0", " ") == "26 214"
    assert aurillac[2].url == "/x/"
    assert empty[1].text == "—"
    assert empty[2].text == "oui"


def test_template_tag_renders_map_legend_and_table(territory):
    rendered = maps.render_map(
        title="Carte d'essai",
        description="D",
        map_id="essai",
        table=maps.MapTable.build(
            caption="Les chiffres", columns=["Canton", "Valeur"], rows=[["Riom", maps.Link("1", "/r/")]]
        ),
        choropleth={"15010": ("#4f9a6c", "Avec borne")},
    )
    html = Template("{% load territory_maps %}{% territory_map map %}").render(Context({"map": rendered}))
    assert '<figure class="map-figure territory-map"' in html
    assert "<svg" in html
    assert 'id="essai-title"' in html
    assert "Avec borne" in html
    assert "<caption>Les chiffres</caption>" in html
    assert '<th scope="row">Riom</th>' in html
    assert '<a href="/r/">1</a>' in html
    assert 'href="#essai-table"' in html
    assert 'id="essai-table"' in html


def test_class_choropleth(territory):
    values = {"a": 10, "b": 20, "c": 30, "d": 40, "e": None}
    classes = maps.class_choropleth(values, unit="habitants", palette=("#1", "#2"))
    assert classes["a"] == classes["b"] == ("#1", "de 10 à 20 habitants")
    assert classes["c"][0] == classes["d"][0] == "#2"
    assert "e" not in classes
    assert maps.class_choropleth({}, unit="x") == {}
    assert maps.class_choropleth({"a": 5}, unit="lieux") == {"a": (maps.SEQUENTIAL_PALETTE[0], "5 lieux")}


def test_map_without_territory(db):
    geometry.invalidate()
    rendered = maps.render_map(title="T", description="D", table=table(), departement_code="98")
    root = parse(rendered)
    assert root.find(f"{SVG}title").text == "T"


def test_frame_zooms_on_one_canton(territory):
    aurillac_1 = Canton.objects.get(name="Aurillac-1")
    full = parse(maps.render_map(title="T", description="D", table=table()))
    zoomed = maps.render_map(
        title="T",
        description="D",
        table=table(),
        frame=aurillac_1.code,
        highlight=aurillac_1.code,
        show_communes=aurillac_1.code,
    )
    root = parse(zoomed)
    titles = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.find(f"{SVG}title") is not None]
    assert "Canton n° 2 : Aurillac-1" in titles
    assert 1 < len(titles) < 15  # neighbours only
    assert "Canton n° 9 : Neuvéglise" not in titles
    assert root.get("width") == full.get("width")
    # A marker outside the frame is left out, one inside is drawn.
    with_markers = parse(
        maps.render_map(
            title="T",
            description="D",
            table=table(),
            frame=aurillac_1.code,
            markers=[maps.Marker(44.9266, 2.4397, "Aurillac", "", "a"), maps.Marker(45.28, 2.66, "Riom", "", "a")],
        )
    )
    marker_titles = [t.text for t in with_markers.iter(f"{SVG}title")]
    assert "Aurillac (a)" in marker_titles
    assert "Riom (a)" not in marker_titles
