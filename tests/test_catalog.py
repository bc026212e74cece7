"""The shipped model catalog follows its schema, and what it names is safe to use as a path."""

from __future__ import annotations

import json

import jsonschema

from desktop.models.inventory import load_catalog
from desktop.paths import asset


def test_the_shipped_catalog_follows_its_schema() -> None:
    schema = json.loads(asset("catalog", "models.schema.json").read_text(encoding="utf-8"))
    catalog = json.loads(asset("catalog", "models.json").read_text(encoding="utf-8"))
    jsonschema.validate(catalog, schema)
    entries = load_catalog()
    assert len({e.id for e in entries}) == len(entries)
    assert {e.kind for e in entries} >= {"llm", "voice"}


def test_the_schema_refuses_what_could_escape_the_models_folder() -> None:
    schema = json.loads(asset("catalog", "models.schema.json").read_text(encoding="utf-8"))
    catalog = json.loads(asset("catalog", "models.json").read_text(encoding="utf-8"))
    catalog["models"][0]["file"] = "../../.bashrc"
    try:
        jsonschema.validate(catalog, schema)
    except jsonschema.ValidationError as error:
        assert "file" in str(error.path) or "does not match" in error.message
    else:
        raise AssertionError("a file name with a path was accepted")
    catalog["models"][0]["file"] = "ok.gguf"
    catalog["models"][0]["url"] = "http://plain.example/model.gguf"
    try:
        jsonschema.validate(catalog, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("a plain-http URL was accepted")


def test_entries_for_a_newer_hearth_are_not_offered(tmp_path) -> None:
    catalog = json.loads(asset("catalog", "models.json").read_text(encoding="utf-8"))
    catalog["models"][0]["min_app_version"] = "99.0"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    ids = [e.id for e in load_catalog(path)]
    assert catalog["models"][0]["id"] not in ids and len(ids) == len(catalog["models"]) - 1
