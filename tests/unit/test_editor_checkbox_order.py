"""Saving the editor with the same boxes ticked is no change, whatever order the
stored document listed them in (the boxes post in the schema's order)."""

from multidict import MultiDict

from qingdan.core.catalog.diff import diff_documents
from qingdan.core.catalog.validation import dump_document, validate_document
from qingdan.core.testing import sample_entry_document
from qingdan.web.element_form import parse_form


def _stored() -> dict:
    doc = sample_entry_document()
    doc["audience"] = ["government_body", "public_institution"]  # not the schema's order
    doc["channels"] = ["online_pc", "counter"]
    return dump_document(validate_document(doc))


def _posted(base: dict, **ticked: list[str]) -> MultiDict:
    """The editor form as the browser posts it: each box group in the schema's order."""
    form = MultiDict()
    for name, value in base.items():
        if isinstance(value, str):
            form.add(name, value)
    order = {
        "audience": [
            "natural_person",
            "enterprise",
            "public_institution",
            "social_organisation",
            "government_body",
            "other",
        ],
        "channels": ["counter", "online_pc", "online_mobile", "courier"],
    }
    for name, values in ticked.items():
        for value in order[name]:
            if value in values:
                form.add(name, value)
    return form


def test_unchanged_boxes_keep_the_stored_order_and_diff_to_nothing():
    base = _stored()
    form = _posted(base, audience=base["audience"], channels=base["channels"])
    values = parse_form(form, base)
    assert values["audience"] == ["government_body", "public_institution"]
    assert values["channels"] == ["online_pc", "counter"]
    before = validate_document(base)
    after = validate_document(
        base | {"audience": values["audience"], "channels": values["channels"]}
    )
    assert diff_documents(before, after).is_empty


def test_a_newly_ticked_box_comes_after_the_kept_ones_and_an_unticked_one_goes():
    base = _stored()
    form = _posted(
        base, audience=["natural_person", "government_body"], channels=["online_pc", "counter"]
    )
    values = parse_form(form, base)
    assert values["audience"] == ["government_body", "natural_person"]
    change = diff_documents(
        validate_document(base), validate_document(base | {"audience": values["audience"]})
    ).get("audience")
    assert change is not None and change.kind == "changed"
