"""The shipped topology is the article's network; a broken one names the field at fault."""
import json
import tomllib

import pytest

import config
from sync.errors import Code, ConfigError, NotFound, ValidationError
from sync.topology import EXPECTED_COUNTS, load_topology


@pytest.fixture
def entries():
    """The shipped [[center]] tables, as plain dicts a test may change."""
    with open(config.path("centers.toml"), "rb") as fh:
        return tomllib.load(fh)["center"]


def write_centers(tmp_path, entries):
    """Write ``entries`` as a centers file; string values only, so JSON quoting is valid TOML."""
    tables = ["[[center]]\n" + "".join(f"{key} = {json.dumps(value, ensure_ascii=False)}\n"
                                       for key, value in entry.items())
              for entry in entries]
    path = tmp_path / "centers.toml"
    path.write_text("\n".join(tables), encoding="utf-8")
    return path


def index_of(entries, code):
    return next(i for i, e in enumerate(entries) if e["code"] == code)


def test_the_shipped_network_has_the_articles_counts():
    topology = load_topology()
    assert topology.counts() == {"city": 1, "subcenter": 5, "district": 14, "street": 189}
    assert topology.counts() == EXPECTED_COUNTS
    assert len(topology.centers) == 209
    assert topology.hub.code == "210100" and topology.hub.name == "沈阳市政务服务中心"
    assert load_topology() is topology  # cached


def test_codes_and_names_are_unique():
    centers = load_topology().centers
    assert len({c.code for c in centers}) == len(centers)
    assert len({c.name for c in centers}) == len(centers)
    assert all(c.code.isascii() for c in centers)


def test_every_street_has_its_district():
    topology = load_topology()
    for street in topology.at_level("street"):
        district = topology.district_of(street.code)
        assert district.level == "district" and street.code.startswith(district.code)
        assert street in topology.children(district.code)
    assert sum(len(topology.children(d.code)) for d in topology.at_level("district")) == 189


def test_lookups():
    topology = load_topology()
    assert topology.get("210102001").name == "和平区太原街街道便民服务中心"
    assert topology.district_of("210102") == topology.get("210102")
    assert topology.district_of("210100") is None
    assert topology.district_of("210100F1") is None
    assert {c.level for c in topology.children("210100")} == {"subcenter", "district"}
    assert len(topology.children("210100")) == 19
    with pytest.raises(NotFound) as info:
        topology.get("210199001")
    assert info.value.code is Code.CENTER_UNKNOWN
    with pytest.raises(ValidationError):
        topology.at_level("province")


def test_the_shipped_file_round_trips_through_the_test_writer(tmp_path, entries):
    assert load_topology(write_centers(tmp_path, entries)).centers == load_topology().centers


def set_key(code, key, value):
    def change(entries):
        entries[index_of(entries, code)][key] = value
    return change


def drop_key(code, key):
    def change(entries):
        del entries[index_of(entries, code)][key]
    return change


def remove(code):
    def change(entries):
        del entries[index_of(entries, code)]
    return change


def both(*changes):
    def change(entries):
        for one in changes:
            one(entries)
    return change


def add(**entry):
    def change(entries):
        entries.append(entry)
    return change


@pytest.mark.parametrize("change, at, reason", [
    (set_key("210102002", "code", "210102001"), "210102002", "duplicate of center["),
    (set_key("210102002", "parent", "210102001"), "210102002", "must be a district"),
    (set_key("210102002", "level", "province"), "210102002", "must be one of"),
    (drop_key("210102002", "name"), "210102002", "required"),
    (set_key("210102002", "name", "  "), "210102002", "required"),
    (set_key("210102002", "parent", "210199"), "210102002", "no center has this code"),
    (set_key("210102002", "code", "21O102002"), "210102002", "9 digits"),
    (set_key("210102002", "code", "210103099"), "210102002", "parent's code 210102"),
    (set_key("210102002", "parnet", "210102"), "210102002", "unknown key"),
    (drop_key("210102002", "parent"), "210102002", "required for a street"),
    (set_key("210100", "parent", "210100F1"), "210100", "has no parent"),
    (set_key("210103", "parent", "210102"), "210103", "parent must be the city"),
    (both(set_key("210181", "level", "city"), drop_key("210181", "parent")), "210181",
     "a second city"),
], ids=["duplicate code", "street under a street", "unknown level", "missing name", "blank name",
        "unknown parent", "code not ASCII digits", "code outside its district", "unknown key",
        "street without parent", "city with a parent", "district under a district",
        "two cities"])
def test_a_broken_center_names_its_field(tmp_path, entries, change, at, reason):
    i = index_of(entries, at)
    change(entries)
    with pytest.raises(ConfigError) as info:
        load_topology(write_centers(tmp_path, entries))
    field = info.value.field
    assert field.startswith(f"center[{i}].")
    assert str(info.value).startswith(f"{field}: ") and reason in str(info.value)


@pytest.mark.parametrize("change, reason", [
    (remove("210102012"), "189 centers of level street"),
    (add(code="210102099", name="和平区新设街道便民服务中心", level="street", parent="210102"),
     "189 centers of level street"),
    (add(code="210100F6", name="沈阳市政务服务中心税务分中心", level="subcenter", parent="210100"),
     "5 centers of level subcenter"),
], ids=["a street lost", "a street too many", "a sixth sub-center"])
def test_a_wrong_count_names_the_level(tmp_path, entries, change, reason):
    change(entries)
    with pytest.raises(ConfigError, match=f"^center: .*{reason}"):
        load_topology(write_centers(tmp_path, entries))


@pytest.mark.parametrize("text, field", [
    ("[[center]\ncode = 1", "centers.toml"),
    ("", "center"),
    ('centers = []', "centers"),
    ('center = ["210100"]', "center[0]"),
], ids=["not TOML", "empty", "misspelt table", "not a table"])
def test_a_broken_file_names_what_is_wrong(tmp_path, text, field):
    path = tmp_path / "centers.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_topology(path)
    assert info.value.field.endswith(field)
