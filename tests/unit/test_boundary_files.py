"""Boundary files as cities deliver them (GeoJSON, Shapefile, GeoPackage; DataV's nested properties;
GBK attributes; projected CGCS2000), and the DataV-style fixture the demo writes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely
from pyproj import Transformer

from kaoping.demo.datav import datav_collection, write_datav
from kaoping.demo.geography import DemoGeography, build_geography
from kaoping.demo.sizes import SIZES
from kaoping.domain.organisation import RoadTier, UnitKind
from kaoping.domain.problems import CoordinateSystem
from kaoping.geo.crs import geometry_to_wgs84
from kaoping.io.boundaries import (
    BoundaryFileError,
    as_code,
    as_tier,
    field_value,
    guess_kind,
    normalise_code,
    original_crs,
    projected_to_degrees,
    read_source,
    require_fields,
)

SQUARE = shapely.box(117.0, 36.6, 117.01, 36.61)


def write_layer(
    path: Path, fields: dict[str, list[Any]], geoms: list[shapely.Geometry], **options: Any
) -> Path:
    """One layer through GDAL, as a GIS tool would write it."""
    wkbs = np.array([shapely.to_wkb(g) for g in geoms], dtype=object)
    columns = [np.array(v, dtype=object if isinstance(v[0], str) else None) for v in fields.values()]
    options.setdefault("crs", "EPSG:4326")
    pyogrio.raw.write(path, wkbs, columns, fields=list(fields), geometry_type="Polygon", **options)
    return path


@pytest.fixture(scope="module")
def city() -> DemoGeography:
    return build_geography(SIZES["small"], 2021)


def test_a_datav_file_reads_with_its_nested_parent_code_and_integer_adcode(
    city: DemoGeography, tmp_path: Path
) -> None:
    source = read_source(write_datav(city, tmp_path / "379900_full.json"))

    first = source.features[0]
    assert source.fields[:3] == ("adcode", "name", "center")
    assert (first.row, first.fid) == (1, 0)
    assert first.properties["adcode"] == int(city.districts[0].code)
    assert field_value(first.properties, "parent.adcode") == int(city.city.code)
    assert as_code(field_value(first.properties, "adcode")) == city.districts[0].code
    assert first.wkb is not None


def test_the_datav_fixture_has_datavs_shape_in_gcj02_rounded_to_six_decimals(city: DemoGeography) -> None:
    collection = datav_collection(city, "district")

    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [f["properties"]["subFeatureIndex"] for f in features] == list(range(len(city.districts)))
    props = features[0]["properties"]
    assert " ".join(props) == "adcode name center centroid childrenNum level parent subFeatureIndex acroutes"
    assert props["level"] == "district"
    assert props["parent"] == {"adcode": int(city.city.code)}
    assert props["acroutes"] == [100000, 370000, int(city.city.code)]
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in features)
    text = json.dumps(collection)
    assert not re.search(r"\d\.\d{7,}", text)  # no coordinate beyond DataV's 6 decimals
    for spec, feature in zip(city.districts, features, strict=True):
        gcj = shapely.geometry.shape(feature["geometry"])
        back = geometry_to_wgs84(gcj, CoordinateSystem.GCJ02)
        assert shapely.hausdorff_distance(back, spec.geometry) < 2e-6  # DataV's rounding, ≈ 0.2 m
        assert shapely.hausdorff_distance(gcj, spec.geometry) > 1e-3  # GCJ-02 is ~500 m off WGS84


def test_town_files_use_the_same_shape_with_the_district_as_parent(city: DemoGeography) -> None:
    props = datav_collection(city, "town")["features"][0]["properties"]

    town = city.towns[0]
    assert props["adcode"] == int(town.code)
    assert props["parent"] == {"adcode": int(town.parent_code or 0)}
    assert props["acroutes"][-2:] == [int(city.city.code), int(town.parent_code or 0)]


def test_a_missing_field_is_refused_naming_it_and_listing_the_fields_of_the_file(
    city: DemoGeography, tmp_path: Path
) -> None:
    source = read_source(write_datav(city, tmp_path / "d.json"))

    with pytest.raises(BoundaryFileError) as caught:
        require_fields(
            source, {"--code-field": "code", "--name-field": "name", "--parent-field": "parent.adcode"}
        )

    assert "d.json" in caught.value.message
    assert "没有字段 --code-field 'code'" in caught.value.message
    assert "文件中的字段: adcode, name, center" in caught.value.message


def test_a_geopackage_with_several_layers_needs_one_named(tmp_path: Path) -> None:
    path = tmp_path / "city.gpkg"
    write_layer(path, {"code": ["370102"]}, [SQUARE], layer="districts", driver="GPKG")
    write_layer(path, {"code": ["370102001"]}, [SQUARE], layer="towns", driver="GPKG", append=True)

    with pytest.raises(BoundaryFileError, match="文件有 2 个图层, 请用 --layer 指定: districts, towns"):
        read_source(path)
    assert read_source(path, layer="towns").features[0].properties["code"] == "370102001"
    with pytest.raises(BoundaryFileError, match="没有图层 'roads'"):
        read_source(path, layer="roads")


def test_a_gbk_shapefile_without_a_cpg_reads_with_the_encoding_given(tmp_path: Path) -> None:
    path = write_layer(tmp_path / "d.shp", {"NAME": ["历下区"], "CODE": [370102.0]}, [SQUARE], encoding="GBK")
    path.with_suffix(".cpg").unlink()

    source = read_source(path, encoding="GBK")

    assert source.features[0].properties["NAME"] == "历下区"
    assert (
        as_code(source.features[0].properties["CODE"]) == "370102"
    )  # a numeric field comes back as 370102.0


def test_a_shapefile_in_a_cgcs2000_gauss_kruger_zone_is_brought_back_to_degrees(tmp_path: Path) -> None:
    to_zone = Transformer.from_crs("EPSG:4490", "EPSG:4548", always_xy=True)  # CGCS2000 3° zone, 117°E
    projected = shapely.transform(SQUARE, lambda xy: np.column_stack(to_zone.transform(xy[:, 0], xy[:, 1])))
    source = read_source(write_layer(tmp_path / "g.shp", {"code": ["a"]}, [projected], crs="EPSG:4548"))

    unprojection = projected_to_degrees(source)

    assert unprojection is not None
    raw = shapely.from_wkb(source.features[0].wkb)
    back = shapely.transform(raw, lambda xy: np.column_stack(unprojection.transform(xy[:, 0], xy[:, 1])))
    assert shapely.hausdorff_distance(back, SQUARE) < 1e-9
    assert original_crs(source, "cgcs2000") == "EPSG:4548"


def test_a_projected_file_on_an_old_datum_is_refused(tmp_path: Path) -> None:
    source = read_source(
        write_layer(tmp_path / "x.shp", {"code": ["a"]}, [shapely.box(0, 0, 1, 1)], crs="EPSG:2383")
    )

    with pytest.raises(BoundaryFileError, match="无法可靠转换"):
        projected_to_degrees(source)


def test_a_file_in_degrees_needs_no_unprojection_and_keeps_the_system_the_user_named(
    city: DemoGeography, tmp_path: Path
) -> None:
    source = read_source(write_datav(city, tmp_path / "d.json"))

    assert projected_to_degrees(source) is None
    assert original_crs(source, "gcj02") == "gcj02"


def test_a_file_that_is_not_there_or_not_geographic_is_refused_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(BoundaryFileError, match="文件不存在"):
        read_source(tmp_path / "nowhere.json")
    (tmp_path / "notes.txt").write_text("不是边界文件")
    with pytest.raises(BoundaryFileError):
        read_source(tmp_path / "notes.txt")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (370102, "370102"),
        (370102.0, "370102"),
        (" 370102 ", "370102"),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_codes_are_read_as_text_whatever_type_the_file_gives(value: object, code: str | None) -> None:
    assert as_code(value) == code


def test_a_statistical_code_padded_with_zeros_is_cut_back_to_the_level() -> None:
    assert normalise_code("370102001000", 9) == "370102001"
    assert normalise_code("370102000000", 6) == "370102"
    assert normalise_code("370102001002", 9) == "370102001002"  # a community code, not a padded town
    assert normalise_code("370102001", 9) == "370102001"


def test_a_dotted_field_reads_a_nested_object_or_its_json_text() -> None:
    assert field_value({"parent": {"adcode": 370100}}, "parent.adcode") == 370100
    assert field_value({"parent": '{ "adcode": 370100 }'}, "parent.adcode") == 370100
    assert field_value({"parent.adcode": 1}, "parent.adcode") == 1  # a field really named so wins
    assert field_value({"parent": "not json"}, "parent.adcode") is None


@pytest.mark.parametrize(
    ("level", "code", "name", "kind"),
    [
        ("district", "370102", "历下区", UnitKind.DISTRICT),
        ("district", "370124", "平阴县", UnitKind.COUNTY),
        ("district", "370171", "济南高新技术产业开发区", UnitKind.ZONE),
        ("town", "370102001", "解放路街道", UnitKind.STREET),
        ("town", "370124100", "平阴镇", UnitKind.TOWN),
        ("town", "370124200", "孝直乡", UnitKind.TOWNSHIP),
        ("town", "370124101", "东阿", UnitKind.TOWN),  # no suffix: GB/T 10114 code 100-199 is a 镇
        ("community", "370102001001", "燕子山社区", UnitKind.COMMUNITY),
        ("community", "370124100201", "前转湾村", UnitKind.VILLAGE),
        ("community", "370124100202", "前转湾", UnitKind.VILLAGE),  # code 200-399: a 村委会
    ],
)
def test_the_kind_of_a_unit_comes_from_its_name_and_then_its_code(
    level: str, code: str, name: str, kind: UnitKind
) -> None:
    assert guess_kind(level, code, name) is kind


def test_road_tiers_are_read_from_codes_or_chinese_labels() -> None:
    assert as_tier("区一级") is RoadTier.DISTRICT_1
    assert as_tier("CITY") is RoadTier.CITY
    assert as_tier("district_2") is RoadTier.DISTRICT_2
    assert as_tier("高速") is None
